import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseShellWords } from '../../src/docker/shellwords.js';

/** Words as bash splits `line` (which must contain no expansion), by letting bash print them NUL-separated. */
function bashWords(line: string): string[] {
  // A first word of our own separates "no words" from "one empty word", which printf prints alike.
  const result = spawnSync('bash', ['--noprofile', '--norc', '-c', `printf '%s\\0' first ${line}`], { encoding: 'utf8' });
  assert.equal(result.status, 0, `bash failed on ${JSON.stringify(line)}: ${result.stderr}`);
  return result.stdout.slice(0, -1).split('\0').slice(1);
}

function ourWords(line: string): string[] {
  const parsed = parseShellWords(line);
  assert.deepEqual(parsed.errors, []);
  assert.ok(parsed.commands.length <= 1, `one command expected in ${JSON.stringify(line)}`);
  return parsed.commands[0]?.words.map((word) => word.value) ?? [];
}

describe('shell word splitting', () => {
  const cases = [
    `--tmpfs /tmp:noexec,nosuid,nodev --name 'my app' x`,
    `"double \\"quoted\\" \\\\ back" 'single \\ kept'`,
    `a\\ b c\\\nd`,
    `--env "A=1 2" -e 'B=3' --label=x=y`,
    `'' "" empty`,
    `mixed'quo'"ted"word`,
    `"line \\\ncontinued inside quotes"`,
    `tab\tseparated\t\twords`,
  ];
  for (const line of cases) {
    test(`matches bash on ${JSON.stringify(line).slice(0, 40)}`, () => {
      assert.deepEqual(ourWords(line), bashWords(line));
    });
  }

  test('matches bash on random quoted words', () => {
    const plain = fc.stringMatching(/^[A-Za-z0-9_.,:=\/@%+-]{1,8}$/);
    const anyText = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\t', "'", '"', '\\', ':', '=', '-', '#', ';', '|', '&', '(', ')', '<', '>', '*', '?', '~', '\n'), maxLength: 10 });
    const quoted = fc.oneof(
      plain,
      anyText.map((value) => `'${value.replace(/'/g, `'\\''`)}'`),
      anyText.map((value) => `"${value.replace(/[\\"`$]/g, (char) => `\\${char}`)}"`),
      anyText.filter((value) => !value.includes('\n')).map((value) => value.replace(/[^A-Za-z0-9]/g, (char) => `\\${char}`)),
    );
    const word = fc.array(quoted, { minLength: 1, maxLength: 3 }).map((parts) => parts.join(''));
    const separator = fc.constantFrom(' ', '  ', '\t', ' \\\n  ');
    const line = fc.array(fc.tuple(word, separator), { minLength: 1, maxLength: 6 }).map((pairs) => pairs.map(([text, gap]) => text + gap).join(''));
    fc.assert(
      fc.property(line, (source) => {
        assert.deepEqual(ourWords(source), bashWords(source));
      }),
      { numRuns: 150 },
    );
  });

  test('splits commands at operators and newlines', () => {
    const parsed = parseShellWords('a 1; docker run x && b | c\nd # comment ; e\n');
    assert.deepEqual(
      parsed.commands.map((command) => command.words.map((word) => word.value)),
      [['a', '1'], ['docker', 'run', 'x'], ['b'], ['c'], ['d']],
    );
  });

  test('drops redirections and their targets', () => {
    const parsed = parseShellWords('docker run x > out.log 2>&1 </dev/null');
    assert.deepEqual(parsed.commands[0]?.words.map((word) => word.value), ['docker', 'run', 'x']);
  });

  test('gives line and column across continuations', () => {
    const parsed = parseShellWords('docker run \\\n  --read-only \\\n  image');
    const words = parsed.commands[0]?.words ?? [];
    assert.equal(words.length, 4);
    assert.deepEqual([words[2]?.line, words[2]?.column], [2, 3]);
    assert.deepEqual([words[3]?.line, words[3]?.column], [3, 3]);
  });

  test('marks expansions', () => {
    const words = parseShellWords('run -u "$UID:$GID" "$(id -u)" plain \'$lit\'').commands[0]?.words ?? [];
    assert.deepEqual(
      words.map((word) => word.expands),
      [false, false, true, true, false, false],
    );
  });

  test('reports unterminated quotes with position', () => {
    const parsed = parseShellWords('docker run \\\n  --name "oops');
    assert.equal(parsed.errors.length, 1);
    assert.equal(parsed.errors[0]?.message, 'unterminated-double-quote');
    assert.deepEqual([parsed.errors[0]?.line, parsed.errors[0]?.column], [2, 10]);
    assert.equal(parseShellWords("x 'y").errors[0]?.message, 'unterminated-single-quote');
    assert.equal(parseShellWords('x $(y').errors[0]?.message, 'unterminated-substitution');
  });
});
