import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  normalizeSysctlKey,
  normalizeSysctlValue,
  parseSysctl,
  serializeSysctl,
  sysctlKeyMatches,
  withSysctlValue,
} from '../../src/parse/sysctl.js';
import type { SysctlSetting } from '../../src/parse/sysctl.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const corpusDir = path.resolve(repoRoot, '../shared/corpus/sysctl');

function settings(source: string): SysctlSetting[] {
  return parseSysctl(source, '/t.conf').lines.filter((line): line is SysctlSetting => line.kind === 'setting');
}

function only(source: string): SysctlSetting {
  const found = settings(source);
  assert.equal(found.length, 1);
  return found[0] as SysctlSetting;
}

describe('parseSysctl', () => {
  test('spaces around = or none', () => {
    for (const source of ['a.b = 1', 'a.b=1', 'a.b\t=\t1', '  a.b   =1   ', 'a.b= 1\r']) {
      const setting = only(source);
      assert.equal(setting.key, 'a.b', source);
      assert.equal(setting.value, '1', source);
    }
  });

  test('key and value columns', () => {
    const setting = only('  kernel.kptr_restrict =  2  # note');
    assert.equal(setting.keyColumn, 3);
    assert.equal(setting.valueColumn, 27);
    assert.equal(setting.rawKey, 'kernel.kptr_restrict');
    assert.equal(setting.value, '2  # note');
  });

  test('inline # is part of the value with a warning', () => {
    const doc = parseSysctl('kernel.kptr_restrict = 2 # note\n', '/t.conf');
    assert.deepEqual(
      doc.diagnostics.map((d) => [d.code, d.line, d.column]),
      [['sysctl.inline-comment', 1, 26]],
    );
  });

  test('multi-field value keeps inner whitespace', () => {
    const setting = only('net.ipv4.tcp_rmem =\t4096   87380 6291456 ');
    assert.equal(setting.value, '4096   87380 6291456');
    assert.equal(normalizeSysctlValue(setting.value), '4096 87380 6291456');
  });

  test('value starting with a pipe', () => {
    assert.equal(only('kernel.core_pattern=|/bin/false').value, '|/bin/false');
  });

  test('leading dash sets ignoreErrors', () => {
    const setting = only('-net.ipv4.ping_group_range = 0 2147483647');
    assert.equal(setting.ignoreErrors, true);
    assert.equal(setting.key, 'net.ipv4.ping_group_range');
    assert.equal(setting.keyColumn, 2);
    assert.equal(setting.value, '0 2147483647');
    assert.equal(only('net.ipv4.ping_group_range = 0 1').ignoreErrors, false);
  });

  test('dash without = is a glob exclusion', () => {
    const doc = parseSysctl('-net.ipv4.conf.all.rp_filter\n', '/t.conf');
    assert.equal(doc.lines[0]?.kind, 'exclusion');
    assert.deepEqual(doc.diagnostics, []);
  });

  test('comments with # and ;', () => {
    const doc = parseSysctl('# a\n  ; b\n\t#c=1\n', '/t.conf');
    assert.deepEqual(
      doc.lines.map((line) => line.kind),
      ['comment', 'comment', 'comment'],
    );
  });

  test('missing = is reported with key hint', () => {
    const doc = parseSysctl('kernel.dmesg_restrict = 1\n  kernel.kptr_restrict 2\n', '/t.conf');
    assert.equal(doc.lines[1]?.kind, 'invalid');
    assert.deepEqual(
      doc.diagnostics.map((d) => [d.code, d.line, d.column, d.value]),
      [['sysctl.missing-equals', 2, 3, 'kernel.kptr_restrict']],
    );
  });

  test('empty value is recorded with a warning', () => {
    const doc = parseSysctl('net.ipv4.tcp_syncookies =\n', '/t.conf');
    const setting = doc.lines[0] as SysctlSetting;
    assert.equal(setting.kind, 'setting');
    assert.equal(setting.value, '');
    assert.equal(setting.valueColumn, 26);
    assert.deepEqual(
      doc.diagnostics.map((d) => [d.code, d.line]),
      [['sysctl.empty-value', 1]],
    );
  });

  test('empty key is an error', () => {
    const doc = parseSysctl(' = 1\n', '/t.conf');
    assert.equal(doc.lines[0]?.kind, 'invalid');
    assert.deepEqual(
      doc.diagnostics.map((d) => [d.code, d.column]),
      [['sysctl.empty-key', 2]],
    );
  });

  test('slash separators normalize to dots', () => {
    assert.equal(only('net/ipv4/tcp_syncookies = 1').key, 'net.ipv4.tcp_syncookies');
    assert.equal(normalizeSysctlKey('net/ipv4/conf/eth0.100/rp_filter'), 'net.ipv4.conf.eth0/100.rp_filter');
    assert.equal(normalizeSysctlKey('net.ipv4.conf.eth0/100.rp_filter'), 'net.ipv4.conf.eth0/100.rp_filter');
  });

  test('glob keys match one component', () => {
    assert.equal(sysctlKeyMatches('net.ipv4.conf.*.rp_filter', 'net.ipv4.conf.all.rp_filter'), true);
    assert.equal(sysctlKeyMatches('net.ipv4.conf.*.rp_filter', 'net/ipv4/conf/default/rp_filter'), true);
    assert.equal(sysctlKeyMatches('net.ipv4.conf.*.rp_filter', 'net.ipv4.conf.all.accept_redirects'), false);
    assert.equal(sysctlKeyMatches('net.ipv4.conf.*.rp_filter', 'net.ipv4.conf.a.b.rp_filter'), false);
    assert.equal(sysctlKeyMatches('net.ipv4.conf.eth[01].rp_filter', 'net.ipv4.conf.eth1.rp_filter'), true);
    assert.equal(sysctlKeyMatches('net.ipv4.conf.eth[!01].rp_filter', 'net.ipv4.conf.eth1.rp_filter'), false);
    assert.equal(sysctlKeyMatches('kernel.kptr_restrict', 'kernel/kptr_restrict'), true);
  });

  test('edit changes only the value token', () => {
    const doc = parseSysctl('# x\r\nnet.ipv4.tcp_timestamps   =  1   \r\nvm.swappiness=0', '/t.conf');
    const index = doc.lines.findIndex((line) => line.kind === 'setting');
    doc.lines[index] = withSysctlValue(doc.lines[index] as SysctlSetting, '0');
    assert.equal(serializeSysctl(doc), '# x\r\nnet.ipv4.tcp_timestamps   =  0   \r\nvm.swappiness=0');
  });

  test('round trip of corpus files', () => {
    const names = fs.readdirSync(corpusDir);
    assert.ok(names.length >= 2);
    for (const name of names) {
      const source = fs.readFileSync(path.join(corpusDir, name), 'utf8');
      const doc = parseSysctl(source, name);
      assert.equal(serializeSysctl(doc), source, name);
      assert.deepEqual(
        doc.diagnostics.filter((d) => d.severity === 'error'),
        [],
        name,
      );
    }
  });

  test('corpus kicksecure values', () => {
    const source = fs.readFileSync(path.join(corpusDir, 'kicksecure-990-security-misc.conf'), 'utf8');
    const found = parseSysctl(source, 'k').lines.filter((line): line is SysctlSetting => line.kind === 'setting');
    const corePattern = found.find((setting) => setting.key === 'kernel.core_pattern');
    assert.equal(corePattern?.value, '|/bin/false');
    assert.equal(found.some((setting) => setting.key === 'vm.mmap_rnd_bits'), false);
  });

  test('corpus systemd dash line', () => {
    const source = fs.readFileSync(path.join(corpusDir, 'systemd-50-default.conf'), 'utf8');
    const found = parseSysctl(source, 's').lines.filter((line): line is SysctlSetting => line.kind === 'setting');
    const ping = found.find((setting) => setting.key === 'net.ipv4.ping_group_range');
    assert.equal(ping?.ignoreErrors, true);
    assert.equal(ping?.value, '0 2147483647');
  });
});

const blank = fc.constantFrom('', ' ', '\t', '  \t ');
const eol = fc.constantFrom('\n', '\r\n');
const keyPart = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);
const key = fc.array(keyPart, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.'));
const value = fc.stringMatching(/^[0-9a-z|/ ]{0,12}$/);
const line = fc.oneof(
  fc.tuple(blank, fc.constantFrom('-', ''), key, blank, blank, value, blank).map(([a, dash, k, b, c, v, d]) => `${a}${dash}${k}${b}=${c}${v}${d}`),
  fc.tuple(blank, fc.constantFrom('#', ';'), fc.stringMatching(/^[^\r\n]{0,20}$/)).map(([a, mark, rest]) => `${a}${mark}${rest}`),
  blank,
  fc.stringMatching(/^[^\r\n]{0,30}$/),
);

describe('parseSysctl properties', () => {
  test('serialize returns the input', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(line, eol)), fc.boolean(), (pairs, finalNewline) => {
        let source = pairs.map(([l, e]) => l + e).join('');
        if (!finalNewline && source.length > 0) source = source.replace(/\r?\n$/, '');
        assert.equal(serializeSysctl(parseSysctl(source, '/p.conf')), source);
      }),
    );
  });

  test('settings keep key and value', () => {
    fc.assert(
      fc.property(blank, key, blank, blank, value, blank, eol, (a, k, b, c, v, d, e) => {
        const doc = parseSysctl(`${a}${k}${b}=${c}${v}${d}${e}`, '/p.conf');
        const setting = doc.lines[0] as SysctlSetting;
        assert.equal(setting.kind, 'setting');
        assert.equal(setting.key, k);
        assert.equal(setting.value, v.trim());
      }),
    );
  });
});
