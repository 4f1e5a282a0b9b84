import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { firewallChoices, generateFirewall } from '../../src/firewall/generate.js';
import { ip6tablesLinter, iptablesLinter } from '../../src/lint/iptables.js';
import { familyFromPath } from '../../src/model/firewall-family.js';
import { detectLinter } from '../../src/lint/registry.js';
import type { Finding, LintOptions } from '../../src/lint/types.js';
import { makeTree, removeTree } from '../helpers/fixture.js';
import { netnsUnavailable } from '../helpers/netns.js';
import { repoRoot } from '../helpers/trees.js';
import { runCli as run } from '../helpers/cli.js';

const corpusDir = path.resolve(repoRoot, '../shared/corpus/iptables');

/** The hardening guide's rules: -m state, and anti-scan drops appended after the final jump to LOG_DROP. */
const GUIDE_RULES = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:LOG_DROP - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT
-A INPUT -m state --state INVALID -j DROP
-A INPUT -p tcp --dport 22 -m state --state NEW -m recent --set --name SSH
-A INPUT -p tcp --dport 22 -m state --state NEW -m recent --update --seconds 60 --hitcount 4 --name SSH -j LOG_DROP
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -p icmp --icmp-type echo-request -m limit --limit 1/s --limit-burst 2 -j ACCEPT
-A LOG_DROP -m limit --limit 5/min -j LOG --log-prefix "iptables DROP: " --log-level 7
-A LOG_DROP -j DROP
-A INPUT -j LOG_DROP
-A INPUT -p tcp --tcp-flags ALL NONE -j DROP
-A INPUT -p tcp --tcp-flags SYN,RST SYN,RST -j DROP
COMMIT
`;

function filterTable(...rules: string[]): string {
  return ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ...rules, 'COMMIT', ''].join('\n');
}

function lint(content: string, file = 'rules.v4', options: LintOptions = {}): Finding[] {
  const linter = familyFromPath(file) === 6 ? ip6tablesLinter : iptablesLinter;
  return linter.lint({ path: file, content, options });
}

function codesAt(findings: Finding[], code: string): number[] {
  return findings.filter((item) => item.code === code).map((item) => item.line ?? 0);
}

describe('iptables linter on the guide rules', () => {
  const findings = lint(GUIDE_RULES);

  test('anti-scan rules after LOG_DROP unreachable', () => {
    assert.deepEqual(codesAt(findings, 'iptables.unreachable-rule'), [16, 17]);
    const first = findings.find((item) => item.code === 'iptables.unreachable-rule');
    assert.match(first?.message.en ?? '', /line 15 \(-A INPUT -j LOG_DROP\)/);
  });

  test('-m state reported on each use', () => {
    assert.deepEqual(codesAt(findings, 'iptables.state-match'), [7, 8, 9, 10]);
    const first = findings.find((item) => item.code === 'iptables.state-match');
    assert.equal(first?.column, 10);
    assert.match(first?.message.en ?? '', /-m conntrack --ctstate ESTABLISHED,RELATED/);
  });

  test('echo limit after ESTABLISHED accept', () => {
    assert.deepEqual(codesAt(findings, 'iptables.echo-limit-bypassed'), [7]);
  });

  test('no lockout or open-policy finding', () => {
    assert.deepEqual(codesAt(findings, 'iptables.ssh-blocked'), []);
    assert.deepEqual(codesAt(findings, 'iptables.input-accept'), []);
  });
});

describe('iptables linter findings', () => {
  test('shadowed by a wider earlier rule', () => {
    const findings = lint(filterTable(
      '-A INPUT -p tcp -m multiport --dports 20:30,80 -j ACCEPT',
      '-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT',
      '-A INPUT -p tcp --dport 31 -j ACCEPT',
      '-A INPUT -p udp --dport 22 -j ACCEPT',
    ));
    assert.deepEqual(codesAt(findings, 'iptables.shadowed-rule'), [6]);
  });

  test('ctstate subset is shadowed', () => {
    const findings = lint(filterTable(
      '-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED,INVALID -j DROP',
      '-A INPUT -m conntrack --ctstate INVALID -j DROP',
    ));
    assert.deepEqual(codesAt(findings, 'iptables.shadowed-rule'), [6]);
  });

  test('negated conditions compared by set', () => {
    const findings = lint(filterTable(
      '-A INPUT -p tcp ! --dport 22 -j DROP',
      '-A INPUT -p tcp ! --dport 20:30 -j DROP',
      '-A INPUT -p tcp ! --dport 23 -j DROP',
      '-A INPUT ! -s 198.18.0.0/15 -j DROP',
      '-A INPUT ! -s 198.18.0.0/15 -p udp -j DROP',
    ));
    assert.deepEqual(codesAt(findings, 'iptables.shadowed-rule'), [6, 9]);
  });

  test('quoted comments do not matter', () => {
    const findings = lint(filterTable(
      '-A INPUT -p tcp --dport 80 -m comment --comment "web \\"front\\" door" -j ACCEPT',
      '-A INPUT -p tcp --dport 80 -m comment --comment "again" -j ACCEPT',
    ));
    assert.deepEqual(codesAt(findings, 'iptables.shadowed-rule'), [6]);
  });

  test('goto ends the chain for shadowing', () => {
    const findings = lint([
      '*filter', ':INPUT DROP [0:0]', ':WEB - [0:0]',
      '-A WEB -j ACCEPT',
      '-A INPUT -p tcp --dport 80 -g WEB',
      '-A INPUT -p tcp --dport 80 -j DROP',
      'COMMIT', '',
    ].join('\n'));
    assert.deepEqual(codesAt(findings, 'iptables.shadowed-rule'), [6]);
  });

  test('rate-limited rule after a wider one', () => {
    const findings = lint(filterTable('-A INPUT -p icmp -j ACCEPT', '-A INPUT -p icmp -m limit --limit 1/s -j ACCEPT'));
    assert.deepEqual(codesAt(findings, 'iptables.shadowed-rule'), [6]);
  });

  test('rate-limited rule shadows nothing', () => {
    const findings = lint(filterTable(
      '-A INPUT -p icmp -m limit --limit 1/s -j ACCEPT',
      '-A INPUT -p icmp -j DROP',
      '-A INPUT -p tcp --dport 22 -j LOG',
      '-A INPUT -p tcp --dport 22 -j ACCEPT',
    ));
    assert.deepEqual(codesAt(findings, 'iptables.shadowed-rule'), []);
  });

  test('jump to an always-dropping chain shadows', () => {
    const findings = lint([
      '*filter', ':INPUT DROP [0:0]', ':BLOCK - [0:0]',
      '-A BLOCK -j DROP',
      '-A INPUT -s 198.18.0.0/15 -j BLOCK',
      '-A INPUT -s 198.18.0.0/15 -p tcp --dport 22 -j ACCEPT',
      'COMMIT', '',
    ].join('\n'));
    assert.deepEqual(codesAt(findings, 'iptables.shadowed-rule'), [6]);
  });

  test('unreachable in nat table too', () => {
    const findings = lint('*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j ACCEPT\n-A PREROUTING -p tcp -j REDIRECT --to-ports 8080\nCOMMIT\n');
    assert.deepEqual(codesAt(findings, 'iptables.unreachable-rule'), [4]);
  });

  test('INPUT ACCEPT with no final drop', () => {
    const open = lint('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 23 -j DROP\nCOMMIT\n');
    assert.deepEqual(codesAt(open, 'iptables.input-accept'), [2]);
    const closed = lint('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j DROP\nCOMMIT\n');
    assert.deepEqual(codesAt(closed, 'iptables.input-accept'), []);
  });

  test('SSH port not allowed', () => {
    const findings = lint(filterTable('-A INPUT -i lo -j ACCEPT', '-A INPUT -p tcp --dport 443 -j ACCEPT'));
    assert.deepEqual(codesAt(findings, 'iptables.ssh-blocked'), [2]);
    assert.match(findings.find((item) => item.code === 'iptables.ssh-blocked')?.message.en ?? '', /SSH port 22/);
  });

  test('SSH port from the profile', () => {
    const rules = filterTable('-A INPUT -p tcp --dport 22 -j ACCEPT');
    const findings = lint(rules, 'rules.v4', { profile: { sshPorts: [2222] } });
    assert.equal(findings.filter((item) => item.code === 'iptables.ssh-blocked')[0]?.value, '2222');
  });

  test('anti-scan after an ACCEPT of the same traffic', () => {
    const findings = lint(filterTable(
      '-A INPUT -p tcp --dport 22 -j ACCEPT',
      '-A INPUT -p tcp --tcp-flags ALL NONE -j DROP',
    ));
    const scan = findings.filter((item) => item.code === 'iptables.anti-scan-after-accept');
    assert.deepEqual(scan.map((item) => item.line), [6]);
    assert.match(scan[0]?.message.en ?? '', /line 5/);
  });

  test('IPv4 options in an IPv6 file', () => {
    const findings = lint(filterTable(
      '-A INPUT -p icmp --icmp-type echo-request -j ACCEPT',
      '-A INPUT -s 198.18.0.0/15 -j ACCEPT',
      '-A INPUT -p tcp -j REJECT --reject-with icmp-port-unreachable',
    ), 'rules6-save');
    const mismatches = findings.filter((item) => item.code === 'iptables.ipv4-option-in-ipv6');
    assert.deepEqual(mismatches.map((item) => item.value), ['-p icmp', '--icmp-type echo-request', '-s 198.18.0.0/15', '--reject-with icmp-port-unreachable']);
    assert.match(mismatches[1]?.message.en ?? '', /use --icmpv6-type/);
  });

  test('IPv6 options in an IPv4 file', () => {
    const findings = lint(filterTable('-A INPUT -p ipv6-icmp --icmpv6-type echo-request -j ACCEPT', '-A INPUT -s 2001:2::/48 -j ACCEPT'), 'rules.v4');
    const mismatches = findings.filter((item) => item.code === 'iptables.ipv6-option-in-ipv4');
    assert.deepEqual(mismatches.map((item) => item.value), ['-p ipv6-icmp', '--icmpv6-type echo-request', '-s 2001:2::/48']);
  });

  test('parse errors become findings', () => {
    const findings = lint('*filter\n-A INPUT -p tcp --dport\nCOMMIT\n');
    assert.deepEqual(codesAt(findings, 'iptables.missing-argument'), [2]);
  });
});

describe('iptables linter and the target', () => {
  let root = '';
  before(() => {
    root = makeTree({ 'etc/init.d/iptables': '#!/sbin/openrc-run\n', 'etc/iptables/rules-save': filterTable('-A INPUT -p tcp --dport 22 -j ACCEPT') });
  });
  after(() => removeTree(root));

  test('no IPv6 rule set while IPv6 is on', () => {
    const findings = lint(filterTable('-A INPUT -p tcp --dport 22 -j ACCEPT'), 'rules.v4', { root });
    const missing = findings.find((item) => item.code === 'iptables.no-ipv6-ruleset');
    assert.match(missing?.message.en ?? '', /\/etc\/iptables\/rules6-save is missing/);
  });

  test('IPv6 off in the profile', () => {
    const findings = lint(filterTable('-A INPUT -p tcp --dport 22 -j ACCEPT'), 'rules.v4', { root, profile: { ipv6: false } });
    assert.deepEqual(codesAt(findings, 'iptables.no-ipv6-ruleset'), []);
  });
});

describe('iptables type detection', () => {
  test('IPv4 content and name', () => {
    assert.equal(detectLinter(GUIDE_RULES, 'firewall.rules').linter?.type, 'iptables');
  });

  test('IPv6 content', () => {
    const source = filterTable('-A INPUT -p ipv6-icmp --icmpv6-type echo-request -j ACCEPT');
    assert.equal(detectLinter(source, 'firewall.rules').linter?.type, 'ip6tables');
  });

  test('file name decides over content', () => {
    assert.equal(detectLinter(GUIDE_RULES, '/etc/iptables/rules6-save').linter?.type, 'ip6tables');
  });

  test('other text is not iptables', () => {
    assert.equal(detectLinter('net.ipv4.ip_forward = 0\n', 'sysctl.conf').linter?.type, 'sysctl');
    assert.equal(detectLinter('hello world\n', 'notes.txt').linter, undefined);
  });
});

describe('iptables linter on real files', () => {
  for (const name of fs.readdirSync(corpusDir).sort()) {
    test(`corpus ${name} has no parse errors`, () => {
      const content = fs.readFileSync(path.join(corpusDir, name), 'utf8');
      const errors = lint(content, name).filter((item) => item.severity === 'error' && !item.code.startsWith('iptables.input-accept'));
      assert.deepEqual(errors, []);
    });
  }

  test('generated rules have no findings', () => {
    const generated = generateFirewall(firewallChoices({ allowTcp: [443], allowUdp: [53] }));
    assert.deepEqual(lint(generated.ipv4, 'rules-save'), []);
    assert.deepEqual(lint(generated.ipv6, 'rules6-save'), []);
  });
});

describe('lint command on rule files', () => {
  let dir = '';
  before(() => {
    const generated = generateFirewall(firewallChoices({}));
    dir = makeTree({ 'guide.rules': GUIDE_RULES, 'rules-save': generated.ipv4, 'rules6-save': generated.ipv6 });
  });
  after(() => removeTree(dir));

  test('guide rules exit 1 with file and line', async () => {
    const result = await run(['lint', path.join(dir, 'guide.rules')]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /guide\.rules:16:4: warning: rule in filter\/INPUT can never match/);
  });

  test('generated rules exit 0', async () => {
    const result = await run(['lint', path.join(dir, 'rules-save'), path.join(dir, 'rules6-save')]);
    assert.equal(result.code, 0, result.stdout);
  });

  test('--type ip6tables on an IPv4 file', async () => {
    const result = await run(['lint', '--type', 'ip6tables', '--format', 'json', path.join(dir, 'guide.rules')]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /iptables\.ipv4-option-in-ipv6/);
  });
});

describe('ip6tables-restore agrees on IPv4 options', { skip: netnsUnavailable() }, () => {
  const namespace = `kh-fwlint-${process.pid}`;
  before(() => {
    assert.equal(spawnSync('ip', ['netns', 'add', namespace]).status, 0);
  });
  after(() => {
    spawnSync('ip', ['netns', 'del', namespace]);
  });

  const cases = [
    '-A INPUT -p icmp --icmp-type echo-request -j ACCEPT',
    '-A INPUT -s 198.18.0.0/15 -j ACCEPT',
    '-A INPUT -p tcp -j REJECT --reject-with icmp-port-unreachable',
  ];
  for (const rule of cases) {
    test(`rejects ${rule}`, () => {
      const source = filterTable(rule);
      assert.ok(lint(source, 'rules.v6').some((item) => item.code === 'iptables.ipv4-option-in-ipv6'));
      const result = spawnSync('ip', ['netns', 'exec', namespace, 'ip6tables-restore', '--test'], { input: source, encoding: 'utf8' });
      assert.notEqual(result.status, 0);
    });
  }
});
