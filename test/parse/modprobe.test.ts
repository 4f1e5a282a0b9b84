import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { moduleNameMatches, normalizeModuleName, parseModprobe, serializeModprobe } from '../../src/parse/modprobe.js';
import type { ModprobeCommand } from '../../src/parse/modprobe.js';

function commands(source: string): ModprobeCommand[] {
  return parseModprobe(source, '/etc/modprobe.d/t.conf').lines.filter((line): line is ModprobeCommand => line.kind === 'command');
}

describe('parseModprobe', () => {
  test('each command kind', () => {
    const found = commands(
      [
        'install cramfs /bin/true',
        'remove  foo /sbin/modprobe -r bar',
        'blacklist firewire-core',
        'alias net-pf-10 off',
        'options snd-hda-intel  model=auto power_save=1',
        'softdep squash-fs pre: loop post: zstd',
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      found.map((c) => [c.command, c.module, c.argument]),
      [
        ['install', 'cramfs', '/bin/true'],
        ['remove', 'foo', '/sbin/modprobe -r bar'],
        ['blacklist', 'firewire_core', ''],
        ['alias', 'net_pf_10', 'off'],
        ['options', 'snd_hda_intel', 'model=auto power_save=1'],
        ['softdep', 'squash_fs', 'pre: loop post: zstd'],
      ],
    );
    assert.equal(found[2]?.rawModule, 'firewire-core');
    assert.equal(found[1]?.moduleColumn, 9);
  });

  test('backslash continues a line', () => {
    const source = '# head\ninstall cramfs /bin/sh -c \\\n  "echo no" \\\n  ; true\nblacklist udf\n';
    const doc = parseModprobe(source, '/t.conf');
    const install = doc.lines[1] as ModprobeCommand;
    assert.equal(install.kind, 'command');
    assert.equal(install.line, 2);
    assert.equal(install.endLine, 4);
    assert.equal(install.argument, '/bin/sh -c   "echo no"   ; true');
    assert.equal(doc.lines[2]?.line, 5);
    assert.equal(serializeModprobe(doc), source);
  });

  test('escaped backslash does not continue', () => {
    const doc = parseModprobe('install a /bin/echo \\\\\nblacklist b\n', '/t.conf');
    assert.deepEqual(
      doc.lines.map((line) => [line.kind, line.line]),
      [
        ['command', 1],
        ['command', 2],
      ],
    );
    assert.equal((doc.lines[0] as ModprobeCommand).argument, '/bin/echo \\');
  });

  test('CRLF keeps CR in the last word', () => {
    const doc = parseModprobe('install udf /bin/true\r\n', '/t.conf');
    assert.equal((doc.lines[0] as ModprobeCommand).argument, '/bin/true\r');
    assert.deepEqual(
      doc.diagnostics.map((d) => [d.code, d.line]),
      [['modprobe.carriage-return', 1]],
    );
    assert.equal(serializeModprobe(doc), 'install udf /bin/true\r\n');
  });

  test('unknown command', () => {
    const doc = parseModprobe('blacklist a\n  instal cramfs /bin/true\n', '/t.conf');
    assert.equal(doc.lines[1]?.kind, 'invalid');
    assert.deepEqual(
      doc.diagnostics.map((d) => [d.code, d.line, d.column, d.value]),
      [['modprobe.unknown-command', 2, 3, 'instal']],
    );
  });

  test('missing arguments', () => {
    const doc = parseModprobe('install cramfs\nblacklist\noptions\tx  \n', '/t.conf');
    assert.deepEqual(
      doc.diagnostics.map((d) => [d.code, d.line]),
      [
        ['modprobe.missing-argument', 1],
        ['modprobe.missing-argument', 2],
        ['modprobe.missing-argument', 3],
      ],
    );
  });

  test('deprecated include', () => {
    const doc = parseModprobe('include /etc/other.conf\n', '/t.conf');
    assert.deepEqual(
      doc.diagnostics.map((d) => [d.code, d.severity]),
      [['modprobe.deprecated-command', 'warning']],
    );
  });

  test('comments and blanks', () => {
    const doc = parseModprobe('#a\n\n \t# b\n   \n', '/t.conf');
    assert.deepEqual(
      doc.lines.map((line) => line.kind),
      ['comment', 'blank', 'comment', 'blank'],
    );
    assert.deepEqual(doc.diagnostics, []);
  });

  test('module names with dash and underscore', () => {
    assert.equal(normalizeModuleName('squash-fs'), 'squash_fs');
    assert.equal(normalizeModuleName('snd-[a-c]x'), 'snd_[a-c]x');
    assert.equal(moduleNameMatches('firewire_core', 'firewire-core'), true);
    assert.equal(moduleNameMatches('squash_fs', 'squashfs'), false);
    assert.equal(moduleNameMatches('snd_*', 'snd-hda-intel'), true);
    assert.equal(moduleNameMatches('nf_[!c]*', 'nf_conntrack'), false);
  });
});

const blank = fc.constantFrom(' ', '\t', '  ');
const edge = fc.constantFrom('', ' ', '\t');
const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/);
const argument = fc.stringMatching(/^[a-z0-9/=: -]{1,16}$/).filter((value) => value.trim() !== '');
const commandLine = fc
  .tuple(edge, fc.constantFrom('install', 'remove', 'options', 'softdep', 'alias'), blank, name, blank, argument, edge)
  .map((parts) => parts.join(''));
const anyLine = fc.oneof(
  commandLine,
  fc.tuple(edge, name).map(([a, n]) => `${a}blacklist ${n}`),
  fc.tuple(edge, fc.stringMatching(/^[^\r\n]{0,20}$/)).map(([a, b]) => `${a}#${b}`),
  edge,
  fc.stringMatching(/^[^\r\n]{0,30}$/),
  commandLine.map((line) => `${line} \\`),
);

describe('parseModprobe properties', () => {
  test('serialize returns the input', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyLine, fc.constantFrom('\n', '\r\n'))), fc.boolean(), (pairs, finalNewline) => {
        let source = pairs.map(([l, e]) => l + e).join('');
        if (!finalNewline) source = source.replace(/\r?\n$/, '');
        assert.equal(serializeModprobe(parseModprobe(source, '/t.conf')), source);
      }),
    );
  });

  test('command lines keep module and argument', () => {
    fc.assert(
      fc.property(commandLine, (line) => {
        const [command] = commands(`${line}\n`);
        const words = line.trim().split(/[\t ]+/);
        assert.equal(command?.command, words[0]);
        assert.equal(command?.module, normalizeModuleName(words[1] as string));
      }),
    );
  });
});
