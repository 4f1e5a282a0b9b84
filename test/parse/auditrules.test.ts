import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { AuditCommand, AuditRulesDocument } from '../../src/parse/auditrules.js';
import { parseAuditRules, serializeAuditRules, splitFieldPair, tokenizeAuditLine } from '../../src/parse/auditrules.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const corpusFile = path.resolve(repoRoot, '../shared/corpus/audit/neo23x0-audit.rules');

function commandAt(doc: AuditRulesDocument, line: number): AuditCommand | undefined {
  const found = doc.lines[line - 1];
  return found?.kind === 'rule' ? found.command : undefined;
}

function diagnostics(doc: AuditRulesDocument): [string, number | undefined, number | undefined][] {
  return doc.diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.line, diagnostic.column]);
}

describe('parseAuditRules round trip', () => {
  const source = fs.readFileSync(corpusFile, 'utf8');
  const doc = parseAuditRules(source, 'neo23x0-audit.rules');

  test('corpus file byte for byte', () => {
    assert.equal(serializeAuditRules(doc), source);
  });

  test('corpus file line kinds', () => {
    const counts: Record<string, number> = {};
    for (const line of doc.lines) {
      const kind = line.kind === 'rule' ? (line.command?.kind ?? 'error') : line.kind;
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
    assert.deepEqual(counts, { comment: 238, blank: 172, control: 4, watch: 267, syscall: 136, error: 2 });
  });

  test('corpus key option without a value', () => {
    // `-k -F T1078_Valid_Accounts`: -k takes "-F" as the key, and auditctl rejects the line.
    assert.deepEqual(diagnostics(doc), [
      ['auditrules.unexpected-argument', 487, 91],
      ['auditrules.unexpected-argument', 488, 92],
    ]);
  });

  test('corpus control lines', () => {
    assert.deepEqual(commandAt(doc, 32), { kind: 'control', option: 'D' });
    assert.deepEqual(commandAt(doc, 36), { kind: 'control', option: 'b', value: '8192' });
    assert.deepEqual(commandAt(doc, 44), { kind: 'control', option: 'i' });
  });

  test('corpus old action,list order with -S all', () => {
    const rule = commandAt(doc, 91);
    assert.equal(rule?.kind, 'syscall');
    if (rule?.kind !== 'syscall') return;
    assert.deepEqual([rule.list, rule.action, rule.arches, rule.syscalls], ['exit', 'never', ['b64'], ['all']]);
    assert.deepEqual(rule.fields.map((field) => [field.name, field.op, field.value]), [['exe', '=', '/usr/bin/vmtoolsd']]);
  });

  test('corpus rule with trailing spaces', () => {
    const rule = commandAt(doc, 123);
    assert.equal(rule?.kind, 'syscall');
    if (rule?.kind !== 'syscall') return;
    assert.deepEqual(rule.keys, ['filebeat']);
    assert.equal(doc.lines[122]?.raw.endsWith('filebeat  '), true);
  });

  test('generated files', () => {
    const fragment = fc.constantFrom(
      '-w /etc/passwd -p wa -k passwd_changes',
      '-w /var/log/audit/ -k audit-log   ',
      '-a always,exit -F arch=b64 -S execve -F euid=0 -F uid!=0 -k suid',
      '-a exit,always -S open,openat -S creat -F auid>=1000 -F auid!=-1',
      '-e 2',
      '-D',
      '--backlog_wait_time 60000',
      '# comment\twith tab',
      '   ',
      '',
      '-w /path\\ with\\ space -p rw',
      '-w',
      '-p zz',
      '\t-w /etc',
    );
    const line = fc.oneof(fragment, fc.string({ maxLength: 30 }));
    const file = fc
      .tuple(fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n')), { maxLength: 20 }), fc.boolean())
      .map(([lines, finalNewline]) => {
        const joined = lines.map(([text, eol]) => text + eol).join('');
        return finalNewline ? joined : joined.replace(/\r?\n$/, '');
      });
    fc.assert(
      fc.property(file, (source) => {
        assert.equal(serializeAuditRules(parseAuditRules(source, 'generated')), source);
      }),
      { numRuns: 400 },
    );
  });
});

describe('parseAuditRules commands', () => {
  test('watch with default permissions', () => {
    const doc = parseAuditRules('-w /var/log/audit/ -k audit-log\n', 't');
    assert.deepEqual(commandAt(doc, 1), { kind: 'watch', remove: false, path: '/var/log/audit/', perms: 'rwxa', keys: ['audit-log'] });
  });

  test('watch removal', () => {
    const doc = parseAuditRules('-W /etc/passwd -p wa\n', 't');
    assert.deepEqual(commandAt(doc, 1), { kind: 'watch', remove: true, path: '/etc/passwd', perms: 'wa', keys: [] });
  });

  test('syscall rule with fields and key field', () => {
    const doc = parseAuditRules('-A exit,always -F arch=b32 -S open,openat -S creat -F auid>=1000 -F auid!=-1 -C uid!=euid -F key=opens\n', 't');
    const rule = commandAt(doc, 1);
    assert.equal(rule?.kind, 'syscall');
    if (rule?.kind !== 'syscall') return;
    assert.equal(rule.op, 'prepend');
    assert.deepEqual([rule.list, rule.action, rule.arches], ['exit', 'always', ['b32']]);
    assert.deepEqual(rule.syscalls, ['open', 'openat', 'creat']);
    assert.deepEqual(rule.fields.map((field) => [field.name, field.op, field.value, field.column]), [
      ['auid', '>=', '1000', 52],
      ['auid', '!=', '-1', 66],
    ]);
    assert.deepEqual(rule.comparisons.map((field) => [field.name, field.op, field.value]), [['uid', '!=', 'euid']]);
    assert.deepEqual(rule.keys, ['opens']);
  });

  test('control options with values', () => {
    const doc = parseAuditRules('-e 2\n-f 1\n-r 100\n--backlog_wait_time 60000\n--loginuid-immutable\n', 't');
    assert.deepEqual([1, 2, 3, 4, 5].map((line) => commandAt(doc, line)), [
      { kind: 'control', option: 'e', value: '2' },
      { kind: 'control', option: 'f', value: '1' },
      { kind: 'control', option: 'r', value: '100' },
      { kind: 'control', option: 'backlog_wait_time', value: '60000' },
      { kind: 'control', option: 'loginuid-immutable' },
    ]);
  });

  test('escaped space in a path', () => {
    const doc = parseAuditRules('-w /srv/my\\ dir -p w\n', 't');
    assert.equal(commandAt(doc, 1)?.kind === 'watch' ? (commandAt(doc, 1) as { path: string }).path : '', '/srv/my dir');
  });

  test('field operators', () => {
    assert.deepEqual(splitFieldPair('uid!=0'), { name: 'uid', op: '!=', value: '0' });
    assert.deepEqual(splitFieldPair('auid>=1000'), { name: 'auid', op: '>=', value: '1000' });
    assert.deepEqual(splitFieldPair('a1&=3'), { name: 'a1', op: '&=', value: '3' });
    assert.deepEqual(splitFieldPair('exit=-EACCES'), { name: 'exit', op: '=', value: '-EACCES' });
    assert.deepEqual(splitFieldPair('perm&2'), { name: 'perm', op: '&', value: '2' });
    assert.equal(splitFieldPair('novalue'), undefined);
  });

  test('tokenizer splits on spaces only', () => {
    assert.deepEqual(tokenizeAuditLine(' -w  /etc\t-p wa ').map((token) => [token.value, token.start]), [
      ['-w', 1],
      ['/etc\t-p', 5],
      ['wa', 13],
    ]);
  });
});

describe('parseAuditRules diagnostics', () => {
  const cases: { name: string; source: string; expected: [string, number, number][] }[] = [
    { name: 'unknown option', source: '-w /etc -z\n', expected: [['auditrules.unknown-option', 1, 9]] },
    { name: 'missing argument', source: '-w /etc -p\n', expected: [['auditrules.missing-argument', 1, 9]] },
    { name: 'bad perms', source: '-w /etc -p rwz\n', expected: [['auditrules.bad-perms', 1, 9]] },
    { name: 'bad perm field', source: '-a always,exit -F path=/x -F perm=q\n', expected: [['auditrules.bad-perms', 1, 27]] },
    { name: 'bad list and action', source: '-a always,entry -S all\n', expected: [['auditrules.bad-list-action', 1, 1]] },
    { name: 'field without operator', source: '-a always,exit -F arch\n', expected: [['auditrules.bad-field', 1, 16]] },
    { name: 'trailing comment', source: '-w /etc -k x # note\n', expected: [['auditrules.unexpected-argument', 1, 14], ['auditrules.unexpected-argument', 1, 16]] },
    { name: 'tab as separator', source: '-w /etc\t-p wa\n', expected: [['auditrules.tab', 1, 8], ['auditrules.unexpected-argument', 1, 12]] },
    { name: 'indented by a tab', source: '\t-w /etc\n', expected: [['auditrules.tab', 1, 1], ['auditrules.unexpected-argument', 1, 1], ['auditrules.unexpected-argument', 1, 5]] },
    { name: 'CRLF', source: '-w /etc -p wa\r\n', expected: [['auditrules.crlf', 1, 14]] },
  ];
  for (const { name, source, expected } of cases) {
    test(name, () => {
      const doc = parseAuditRules(source, 'case');
      assert.deepEqual(diagnostics(doc), expected);
      assert.equal(serializeAuditRules(doc), source);
    });
  }

  test('comment after spaces and blank line of spaces', () => {
    const doc = parseAuditRules('   # indented\n    \n', 't');
    assert.deepEqual(doc.lines.map((line) => line.kind), ['comment', 'blank']);
    assert.deepEqual(doc.diagnostics, []);
  });
});
