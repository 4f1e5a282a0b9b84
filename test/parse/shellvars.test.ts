import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { lastAssignment, parseShellVars, serializeShellVars, splitLines, splitShellWords } from '../../src/parse/shellvars.js';
import type { ShellAssignment } from '../../src/parse/shellvars.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const corpusDir = path.resolve(repoRoot, '../shared/corpus/openrc');

function only(source: string): ShellAssignment {
  const line = parseShellVars(source, 'test').lines[0];
  assert.equal(line?.kind, 'assignment');
  return line as ShellAssignment;
}

function codes(source: string): [string, number | undefined, number | undefined][] {
  return parseShellVars(source, 'test').diagnostics.map((found) => [found.code, found.line, found.column]);
}

describe('parseShellVars round trip', () => {
  const name = fc.constantFrom('cfgfile', 'command_args', 'SSHD_OPTS', 'IPTABLES_SAVE', '_x1');
  const word = fc.stringMatching(/^[A-Za-z0-9/._ -]{0,10}$/);
  const value = fc.oneof(
    word.map((text) => text.replace(/ /g, '')),
    word.map((text) => `"${text}"`),
    word.map((text) => `'${text}'`),
    word.map((text) => `"${text}\\"q\\$"`),
    fc.constant('"unclosed'),
    fc.constant('a\\ b'),
  );
  const assignment = fc
    .tuple(fc.constantFrom('', '  ', '\t', 'export '), name, value, fc.constantFrom('', ' ', '\t', ' # note', ' ls'))
    .map(([prefix, key, text, tail]) => `${prefix}${key}=${text}${tail}`);
  const other = fc.constantFrom('', '  ', '# comment', '#cfgfile="/etc/ssh/sshd_config"', 'if [ -f x ]; then', 'fi');
  const line = fc.oneof(assignment, other);

  test('generated files are byte-identical', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n')), { maxLength: 10 }), fc.boolean(), (lines, finalNewline) => {
        let source = lines.map(([text, eol]) => text + eol).join('');
        if (!finalNewline) source = source.replace(/\r?\n$/, '');
        assert.equal(serializeShellVars(parseShellVars(source, 'generated')), source);
      }),
    );
  });

  test('arbitrary text never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (source) => {
        assert.equal(serializeShellVars(parseShellVars(source, 'arbitrary')), source);
      }),
    );
  });

  test('splitLines keeps every byte', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (source) => {
        assert.equal(splitLines(source).map((line) => line.raw + line.eol).join(''), source);
      }),
    );
  });

  test('corpus files are byte-identical', () => {
    const names = fs.readdirSync(corpusDir);
    assert.ok(names.length > 0);
    for (const name of names) {
      const source = fs.readFileSync(path.join(corpusDir, name), 'utf8');
      const doc = parseShellVars(source, name);
      assert.equal(serializeShellVars(doc), source, name);
      assert.deepEqual(doc.diagnostics, [], name);
    }
  });
});

describe('parseShellVars corpus', () => {
  test('Alpine sshd conf.d sets nothing', () => {
    const source = fs.readFileSync(path.join(corpusDir, 'alpine-sshd.confd'), 'utf8');
    const doc = parseShellVars(source, 'alpine-sshd.confd');
    assert.equal(doc.lines.some((line) => line.kind === 'assignment'), false);
    assert.equal(lastAssignment(doc, 'cfgfile'), undefined);
  });

  test('Alpine iptables conf.d', () => {
    const source = fs.readFileSync(path.join(corpusDir, 'alpine-iptables.confd'), 'utf8');
    const doc = parseShellVars(source, 'alpine-iptables.confd');
    assert.equal(lastAssignment(doc, 'IPTABLES_SAVE')?.value, '/etc/iptables/rules-save');
    assert.equal(lastAssignment(doc, 'SAVE_ON_STOP')?.value, 'yes');
  });
});

describe('parseShellVars quoting', () => {
  test('double quotes', () => {
    const found = only('cfgfile="/etc/ssh/my config"\n');
    assert.equal(found.name, 'cfgfile');
    assert.equal(found.value, '/etc/ssh/my config');
    assert.equal(found.rawValue, '"/etc/ssh/my config"');
    assert.equal(found.valueColumn, 9);
    assert.equal(found.eol, '\n');
  });

  test('backslash escapes inside double quotes', () => {
    assert.equal(only('A="a\\"b\\$c\\\\d\\n"').value, 'a"b$c\\d\\n');
  });

  test('single quotes keep everything', () => {
    assert.equal(only('A=\'x "y" \\$z\'').value, 'x "y" \\$z');
  });

  test('unquoted escapes and joined quotes', () => {
    assert.equal(only('A=x\\ y').value, 'x y');
    assert.equal(only("A=a'b c'\"d\"").value, 'ab cd');
  });

  test('empty values', () => {
    assert.equal(only('A=').value, '');
    assert.equal(only('A=""').value, '');
    assert.deepEqual(codes('A=\nB=""\n'), []);
  });

  test('export and indentation', () => {
    const found = only('  export SSHD_OPTS="-p 2222"');
    assert.equal(found.exported, true);
    assert.equal(found.value, '-p 2222');
    assert.equal(found.valueColumn, 20);
    assert.equal(found.eol, '');
  });

  test('comment after the value', () => {
    assert.equal(only('A=1 # why').value, '1');
    assert.deepEqual(codes('A=1 # why'), []);
  });

  test('CRLF line endings', () => {
    const doc = parseShellVars('A="1"\r\nB=2\r\n', 'crlf');
    assert.equal(lastAssignment(doc, 'A')?.value, '1');
    assert.equal(lastAssignment(doc, 'B')?.value, '2');
    assert.equal(doc.lines[0]?.eol, '\r\n');
  });

  test('last assignment wins', () => {
    const doc = parseShellVars('cfgfile=/a\n#cfgfile=/b\ncfgfile=/c\n', 'last');
    assert.equal(lastAssignment(doc, 'cfgfile')?.value, '/c');
    assert.equal(lastAssignment(doc, 'cfgfile')?.line, 3);
  });
});

describe('parseShellVars diagnostics', () => {
  test('unclosed quote', () => {
    assert.deepEqual(codes('A=1\ncommand_args="-o X=y\n'), [['shellvars.unclosed-quote', 2, 14]]);
  });

  test('command line is not an assignment', () => {
    assert.deepEqual(codes('  if [ -f /x ]; then\n'), [['shellvars.not-an-assignment', 1, 3]]);
    assert.equal(parseShellVars('fi\n', 'other').lines[0]?.kind, 'other');
  });

  test('text after the value', () => {
    assert.deepEqual(
      codes('A=1 ls').map(([code, line]) => [code, line]),
      [['shellvars.trailing-text', 1]],
    );
  });

  // TODO: the column points at the blank before the text, one to the left of `ls`.
  test('text after the value column', () => {
    assert.deepEqual(codes('A=1 ls'), [['shellvars.trailing-text', 1, 5]]);
  });
});

describe('splitShellWords', () => {
  test('quotes group words', () => {
    assert.deepEqual(splitShellWords("-f /etc/ssh/x -o 'A B' -o \"C D\""), ['-f', '/etc/ssh/x', '-o', 'A B', '-o', 'C D']);
  });

  test('escaped blank joins words', () => {
    assert.deepEqual(splitShellWords('a\\ b c'), ['a b', 'c']);
  });

  test('blank input gives no words', () => {
    assert.deepEqual(splitShellWords(''), []);
    assert.deepEqual(splitShellWords(' \t\n '), []);
  });

  test('attached option value', () => {
    assert.deepEqual(splitShellWords('-oPermitRootLogin=yes   -p2222'), ['-oPermitRootLogin=yes', '-p2222']);
  });

  test('words survive a round of quoting', () => {
    const word = fc.stringMatching(/^[A-Za-z0-9 =/._-]{1,12}$/);
    fc.assert(
      fc.property(fc.array(word, { maxLength: 5 }), (words) => {
        const quoted = words.map((text) => `'${text}'`).join(' ');
        assert.deepEqual(splitShellWords(quoted), words);
      }),
    );
  });
});
