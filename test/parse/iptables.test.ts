import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { IptablesDocument, IptablesLine, IptablesRule } from '../../src/parse/iptables.js';
import { findOption, parseIptables, resolveTable, serializeIptables, tokenizeRestoreLine } from '../../src/parse/iptables.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const corpusDir = path.resolve(repoRoot, '../shared/corpus/iptables');

function codes(doc: IptablesDocument): string[] {
  return doc.diagnostics.map((diagnostic) => diagnostic.code);
}

function ruleAt(doc: IptablesDocument, line: number): IptablesRule {
  const found = doc.lines[line - 1] as IptablesLine;
  assert.equal(found.kind, 'rule', `line ${line} is a ${found.kind}`);
  return found as IptablesRule;
}

/** The hardening guide's rules.v4, with its anti-scan rules appended after the final jump. */
const GUIDE_RULES = `#!/sbin/iptables-restore
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:LOG_DROP - [0:0]

# loopback
-A INPUT -i lo -j ACCEPT
-A OUTPUT -o lo -j ACCEPT
-A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT
-A INPUT -m state --state INVALID -j DROP
-A INPUT -p tcp --dport 22 -m state --state NEW -m recent --set --name SSH
-A INPUT -p tcp --dport 22 -m state --state NEW -m recent --update --seconds 60 --hitcount 4 --name SSH -j LOG_DROP
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -p icmp --icmp-type echo-request -m limit --limit 1/s --limit-burst 2 -j ACCEPT
-A INPUT -p icmp --icmp-type echo-reply -j ACCEPT
-A LOG_DROP -m limit --limit 5/min -j LOG --log-prefix "iptables DROP: " --log-level 7
-A LOG_DROP -j DROP
-A INPUT -j LOG_DROP
-A INPUT -p tcp --tcp-flags ALL NONE -j DROP
-A INPUT -p tcp --tcp-flags FIN,ACK FIN -j DROP
COMMIT
`;

describe('tokenizeRestoreLine', () => {
  test('double quotes group words', () => {
    const { tokens } = tokenizeRestoreLine('-A X --comment "has space" -j ACCEPT');
    assert.deepEqual(tokens.map((token) => token.value), ['-A', 'X', '--comment', 'has space', '-j', 'ACCEPT']);
    assert.equal(tokens[3]?.start, 15);
    assert.equal(tokens[3]?.end, 26);
    assert.equal(tokens[3]?.quoted, true);
  });

  test('backslash escapes only inside quotes', () => {
    const { tokens } = tokenizeRestoreLine('a\\b "c\\"d" "e\\\\f"');
    assert.deepEqual(tokens.map((token) => token.value), ['a\\b', 'c"d', 'e\\f']);
  });

  test('closing quote ends the argument', () => {
    const { tokens } = tokenizeRestoreLine('ab"cd ef"gh');
    assert.deepEqual(tokens.map((token) => token.value), ['abcd ef', 'gh']);
  });

  test('empty quotes give an empty argument', () => {
    const { tokens } = tokenizeRestoreLine('--comment "" -j');
    assert.deepEqual(tokens.map((token) => token.value), ['--comment', '', '-j']);
  });

  test('tabs separate, carriage return does not', () => {
    const { tokens } = tokenizeRestoreLine('-j\tACCEPT\r');
    assert.deepEqual(tokens.map((token) => token.value), ['-j', 'ACCEPT\r']);
  });

  test('unclosed quote keeps the rest of the line', () => {
    const result = tokenizeRestoreLine('--comment "abc -j ACCEPT');
    assert.equal(result.unclosedQuoteAt, 10);
    assert.deepEqual(result.tokens.map((token) => token.value), ['--comment', 'abc -j ACCEPT']);
  });
});

describe('parseIptables round trip', () => {
  for (const name of fs.readdirSync(corpusDir).sort()) {
    test(`corpus ${name}`, () => {
      const source = fs.readFileSync(path.join(corpusDir, name), 'utf8');
      const doc = parseIptables(source, name);
      assert.equal(serializeIptables(doc), source);
      assert.deepEqual(codes(doc), []);
    });
  }

  test('generated files with odd whitespace', () => {
    const fragment = fc.constantFrom(
      '*filter',
      ':INPUT DROP [0:0]',
      ':MY-CHAIN - [12:345]',
      '-A INPUT -i lo -j ACCEPT',
      '-A INPUT  -p tcp\t--dport 22 -j ACCEPT   ',
      '[3:4] -A INPUT -m comment --comment "a \\"b\\" c" -j DROP',
      '-A INPUT -m comment --comment "unclosed',
      '-A INPUT -p tcp --dport ! 22',
      '-A INPUT -p tcp --dport',
      '-I INPUT 2 -s 198.18.0.0/15 -j REJECT --reject-with icmp-port-unreachable',
      '# comment',
      '  # indented',
      '   ',
      '',
      'COMMIT',
      'COMMIT ',
      '-N NEW',
      '-P FORWARD DROP',
      '! -x',
      '"',
    );
    const line = fc.oneof(fragment, fc.string({ maxLength: 30 }));
    const eol = fc.constantFrom('\n', '\r\n');
    const file = fc
      .tuple(fc.array(fc.tuple(line, eol), { maxLength: 25 }), fc.boolean())
      .map(([lines, finalNewline]) => {
        const joined = lines.map(([text, end]) => text + end).join('');
        return finalNewline ? joined : joined.replace(/\r?\n$/, '');
      });
    fc.assert(
      fc.property(file, (source) => {
        const doc = parseIptables(source, 'generated');
        assert.equal(serializeIptables(doc), source);
      }),
      { numRuns: 400 },
    );
  });

  test('missing final newline and CRLF', () => {
    const source = '*filter\r\n-A INPUT -j ACCEPT\r\nCOMMIT';
    const doc = parseIptables(source, 'crlf');
    assert.equal(serializeIptables(doc), source);
    assert.deepEqual(codes(doc), ['iptables.crlf']);
    assert.equal(ruleAt(doc, 2).target?.name, 'ACCEPT');
  });
});

describe('parseIptables rules', () => {
  const parserTest = parseIptables(fs.readFileSync(path.join(corpusDir, 'parser-test.iptables-save'), 'utf8'), 'parser-test');

  test('quoted log prefix with punctuation', () => {
    const rule = ruleAt(parserTest, 10);
    assert.equal(rule.target?.name, 'LOG');
    assert.deepEqual(rule.target?.options.map((option) => [option.name, option.args]), [
      ['log-prefix', ['!#*~%&/()=?']],
      ['log-level', ['6']],
    ]);
  });

  test('negated tcp-flags inside explicit tcp match', () => {
    const rule = ruleAt(parserTest, 12);
    const flags = findOption(rule, 'tcp-flags', 'tcp');
    assert.equal(flags?.negated, true);
    assert.deepEqual(flags?.args, ['FIN,SYN,RST,ACK', 'SYN']);
    assert.equal(findOption(rule, 'state', 'state')?.args[0], 'NEW');
    assert.equal(findOption(rule, 'in-interface')?.args[0], 'wlan0');
  });

  test('options after another module go to their owner', () => {
    const rule = ruleAt(parserTest, 14);
    assert.deepEqual(rule.matches.map((match) => match.module), ['state', 'tcp']);
    assert.equal(findOption(rule, 'dport', 'tcp')?.args[0], '1:65535');
  });

  test('goto and rule without target', () => {
    assert.equal(ruleAt(parserTest, 30).target?.goto, true);
    assert.equal(ruleAt(parserTest, 30).target?.name, 'Terminal');
    assert.equal(ruleAt(parserTest, 43).target, undefined);
    assert.equal(ruleAt(parserTest, 43).chain, 'LOGDROP');
  });

  test('negated protocol, source and ports', () => {
    const rule = ruleAt(parserTest, 40);
    assert.equal(findOption(rule, 'protocol')?.negated, true);
    assert.equal(findOption(rule, 'source')?.negated, true);
    const ports = ruleAt(parserTest, 42);
    assert.equal(findOption(ports, 'sport', 'udp')?.negated, true);
    assert.equal(findOption(ports, 'dport', 'udp')?.negated, true);
  });

  test('implicit protocol match', () => {
    const doc = parseIptables('*filter\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n', 't');
    const rule = ruleAt(doc, 2);
    assert.deepEqual(rule.matches.map((match) => [match.module, match.explicit, match.column]), [['tcp', false, 17]]);
    assert.equal(findOption(rule, 'dport', 'tcp')?.column, 17);
    assert.equal(rule.chainColumn, 4);
  });

  test('implicit icmpv6 match for ipv6-icmp', () => {
    const doc = parseIptables('*filter\n-A INPUT -p ipv6-icmp --icmpv6-type echo-request -m limit --limit 2/s -j ACCEPT\nCOMMIT\n', 't');
    const rule = ruleAt(doc, 2);
    assert.deepEqual(rule.matches.map((match) => match.module), ['icmp6', 'limit']);
  });

  test('old negation after the option', () => {
    const doc = parseIptables('*filter\n-A INPUT -p tcp --dport ! 22 -j ACCEPT\nCOMMIT\n', 't');
    const dport = findOption(ruleAt(doc, 2), 'dport');
    assert.equal(dport?.negated, true);
    assert.equal(dport?.negatedAfter, true);
    assert.deepEqual(dport?.args, ['22']);
    assert.deepEqual(doc.diagnostics.map((d) => [d.code, d.line, d.column, d.severity]), [
      ['iptables.negation-after-option', 2, 25, 'warning'],
    ]);
  });

  test('zero-argument options and multi-word options', () => {
    const doc = parseIptables(
      '*filter\n-A INPUT -p tcp --syn -m recent --update --seconds 60 --hitcount 4 --rsource --name SSH -j DROP\nCOMMIT\n',
      't',
    );
    const rule = ruleAt(doc, 2);
    const recent = rule.matches.find((match) => match.module === 'recent');
    assert.deepEqual(recent?.options.map((option) => [option.name, option.args]), [
      ['update', []],
      ['seconds', ['60']],
      ['hitcount', ['4']],
      ['rsource', []],
      ['name', ['SSH']],
    ]);
    assert.deepEqual(findOption(rule, 'syn', 'tcp')?.args, []);
  });

  test('counters prefix and -c', () => {
    const doc = parseIptables('*filter\n[5:600] -A INPUT -j ACCEPT\n-A INPUT -c 7 800 -j DROP\nCOMMIT\n', 't');
    assert.deepEqual(ruleAt(doc, 2).counters, { packets: '5', bytes: '600' });
    assert.deepEqual(ruleAt(doc, 3).counters, { packets: '7', bytes: '800' });
  });

  test('long option spellings', () => {
    const doc = parseIptables('*filter\n-A INPUT --protocol tcp --destination-port 22 --jump ACCEPT\nCOMMIT\n', 't');
    const rule = ruleAt(doc, 2);
    assert.equal(findOption(rule, 'protocol')?.args[0], 'tcp');
    assert.equal(findOption(rule, 'dport')?.flag, '--destination-port');
    assert.equal(rule.target?.name, 'ACCEPT');
  });
});

describe('parseIptables diagnostics', () => {
  const cases: { name: string; source: string; expected: [string, number, number][] }[] = [
    { name: 'rule outside a table', source: '-A INPUT -j ACCEPT\n', expected: [['iptables.outside-table', 1, 1]] },
    { name: 'missing COMMIT', source: '# x\n*filter\n-A INPUT -j ACCEPT\n', expected: [['iptables.missing-commit', 2, 1]] },
    { name: 'unknown chain', source: '*filter\n-A  FOO -j ACCEPT\nCOMMIT\n', expected: [['iptables.unknown-chain', 2, 5]] },
    {
      name: 'unclosed quote',
      source: '*filter\n-A INPUT -m comment --comment "abc -j ACCEPT\nCOMMIT\n',
      expected: [['iptables.unclosed-quote', 2, 31]],
    },
    {
      name: 'option missing its argument',
      source: '*filter\n-A INPUT -p tcp --dport\nCOMMIT\n',
      expected: [['iptables.missing-argument', 2, 17]],
    },
    { name: 'jump missing its target', source: '*filter\n-A INPUT -j\nCOMMIT\n', expected: [['iptables.missing-argument', 2, 10]] },
    { name: 'text after COMMIT', source: '*filter\nCOMMIT  \n', expected: [['iptables.commit-trailing-text', 2, 7]] },
    { name: 'COMMIT outside a table', source: 'COMMIT\n', expected: [['iptables.commit-outside-table', 1, 1]] },
    { name: 'whitespace-only line', source: '*filter\n \t\nCOMMIT\n', expected: [['iptables.whitespace-line', 2, 1]] },
    { name: 'indented comment', source: '*filter\n  # x\nCOMMIT\n', expected: [['iptables.indented-comment', 2, 3]] },
    { name: 'unknown table', source: '*bogus\nCOMMIT\n', expected: [['iptables.unknown-table', 1, 2]] },
    { name: 'bad policy', source: '*filter\n:INPUT BOGUS [0:0]\nCOMMIT\n', expected: [['iptables.bad-policy', 2, 8]] },
    { name: 'undeclared jump target', source: '*filter\n-A INPUT -j LOG_DROP\nCOMMIT\n', expected: [['iptables.unknown-target', 2, 10]] },
    { name: 'junk argument', source: '*filter\n-A INPUT -j ACCEPT junk\nCOMMIT\n', expected: [['iptables.unexpected-argument', 2, 20]] },
    { name: 'table inside table', source: '*filter\n*nat\nCOMMIT\n', expected: [['iptables.table-inside-table', 2, 1]] },
  ];
  for (const { name, source, expected } of cases) {
    test(name, () => {
      const doc = parseIptables(source, 'case');
      assert.deepEqual(doc.diagnostics.map((d) => [d.code, d.line, d.column]), expected);
      assert.equal(serializeIptables(doc), source);
    });
  }
});

describe('resolveTable', () => {
  test('replays insert, delete, flush and policy', () => {
    const source = [
      '*filter',
      ':INPUT ACCEPT [0:0]',
      '-A INPUT -s 198.18.0.1 -j DROP',
      '-A INPUT -s 198.18.0.2 -j DROP',
      '-I INPUT -i lo -j ACCEPT',
      '-I INPUT 2 -s 198.18.0.3 -j DROP',
      '-D INPUT -s 198.18.0.1 -j DROP',
      '-A OUTPUT -j ACCEPT',
      '-F OUTPUT',
      '-P INPUT DROP',
      'COMMIT',
      '',
    ].join('\n');
    const table = resolveTable(parseIptables(source, 't'), 'filter');
    const input = table?.chains.get('INPUT');
    assert.deepEqual(input?.rules.map((rule) => rule.line), [5, 6, 4]);
    assert.equal(input?.policy, 'DROP');
    assert.equal(input?.policyLine, 10);
    assert.deepEqual(table?.chains.get('OUTPUT')?.rules, []);
  });

  test('last block of a table wins', () => {
    const source = '*filter\n:INPUT DROP [0:0]\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n';
    assert.equal(resolveTable(parseIptables(source, 't'), 'filter')?.chains.get('INPUT')?.policyLine, 5);
  });
});

// ---------------------------------------------------------------------------------------------
// iptables-restore itself, run inside a network namespace created for the test.

function namespaceAvailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  const probe = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : 'ip netns is not usable here';
}

function withNamespace<T>(body: (name: string) => T): T {
  const name = `kh-test-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  execFileSync('ip', ['netns', 'add', name]);
  try {
    return body(name);
  } finally {
    execFileSync('ip', ['netns', 'del', name]);
  }
}

function restore(namespace: string, program: string, source: string, testOnly: boolean): { status: number | null; stderr: string } {
  const args = ['netns', 'exec', namespace, program, ...(testOnly ? ['--test'] : [])];
  const result = spawnSync('ip', args, { input: source, encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

describe('iptables-restore agrees', { skip: namespaceAvailable() }, () => {
  const valid: { name: string; program: string; source: string }[] = [
    { name: 'guide rules', program: 'iptables-restore', source: GUIDE_RULES },
    { name: 'implicit match after state', program: 'iptables-restore', source: '*filter\n-A INPUT -p tcp -m state --state NEW --dport 22 -j ACCEPT\nCOMMIT\n' },
    { name: 'inserted rules', program: 'iptables-restore', source: '*filter\n-N X\n-A X -j DROP\n-I INPUT 1 -j X\n-P FORWARD DROP\nCOMMIT\n' },
    ...fs.readdirSync(corpusDir).map((name) => ({
      name,
      program: name.endsWith('.v6') ? 'ip6tables-restore' : 'iptables-restore',
      source: fs.readFileSync(path.join(corpusDir, name), 'utf8'),
    })),
  ];
  for (const { name, program, source } of valid) {
    test(`accepts ${name}`, () => {
      assert.deepEqual(parseIptables(source, name).diagnostics.filter((d) => d.severity === 'error'), []);
      withNamespace((namespace) => {
        const checked = restore(namespace, program, source, true);
        assert.equal(checked.status, 0, checked.stderr);
        const loaded = restore(namespace, program, source, false);
        assert.equal(loaded.status, 0, loaded.stderr);
      });
    });
  }

  const rejected: { name: string; source: string }[] = [
    { name: 'CRLF', source: '*filter\r\n-A INPUT -j ACCEPT\r\nCOMMIT\r\n' },
    { name: 'text after COMMIT', source: '*filter\nCOMMIT  \n' },
    { name: 'whitespace-only line', source: '*filter\n   \nCOMMIT\n' },
    { name: 'indented comment', source: '  # x\n*filter\nCOMMIT\n' },
    { name: 'missing COMMIT', source: '*filter\n-A INPUT -j ACCEPT\n' },
    { name: 'unknown chain', source: '*filter\n-A FOO -j ACCEPT\nCOMMIT\n' },
    { name: 'undeclared jump target', source: '*filter\n-A INPUT -j LOG_DROP\nCOMMIT\n' },
    { name: 'old negation', source: '*filter\n-A INPUT -p tcp --dport ! 22 -j ACCEPT\nCOMMIT\n' },
    { name: 'missing argument', source: '*filter\n-A INPUT -p tcp --dport\nCOMMIT\n' },
  ];
  for (const { name, source } of rejected) {
    test(`rejects ${name}`, () => {
      assert.notDeepEqual(parseIptables(source, name).diagnostics, []);
      withNamespace((namespace) => {
        const loaded = restore(namespace, 'iptables-restore', source, false);
        assert.notEqual(loaded.status, 0);
      });
    });
  }
});
