import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AntiScanKind, FilterFacts } from '../../src/model/firewall.js';
import { analyzeRuleset, firewallFiles, parsePortRange } from '../../src/model/firewall.js';
import { parseIptables, parseIptablesSave } from '../../src/parse/iptables.js';
import { RootFs } from '../../src/target/rootfs.js';
import { debianTree, kimigayoTree } from '../helpers/trees.js';
import { ScratchTrees } from '../helpers/fixture.js';
import type { TextTree } from '../helpers/fixture.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const corpus = path.resolve(repoRoot, '../shared/corpus');

/** The hardening guide's rules.v4 followed by its anti-scan rules, appended with -A as the guide does. */
const GUIDE_RULES = `#!/sbin/iptables-restore
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:LOG_DROP - [0:0]

-A INPUT -i lo -j ACCEPT
-A OUTPUT -o lo -j ACCEPT
-A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT
-A INPUT -m state --state INVALID -j DROP
-A INPUT -p tcp --dport 22 -m state --state NEW -m recent --set --name SSH
-A INPUT -p tcp --dport 22 -m state --state NEW -m recent --update --seconds 60 --hitcount 4 --name SSH -j LOG_DROP
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -p icmp --icmp-type echo-request -m limit --limit 1/s --limit-burst 2 -j ACCEPT
-A INPUT -p icmp --icmp-type echo-reply -j ACCEPT
-A INPUT -p icmp --icmp-type destination-unreachable -j ACCEPT
-A INPUT -p icmp --icmp-type time-exceeded -j ACCEPT
-A LOG_DROP -m limit --limit 5/min -j LOG --log-prefix "iptables DROP: " --log-level 7
-A LOG_DROP -j DROP
-A INPUT -j LOG_DROP
-A INPUT -p tcp --tcp-flags ALL NONE -j DROP
-A INPUT -p tcp --tcp-flags FIN,ACK FIN -j DROP
-A INPUT -p tcp --tcp-flags FIN,PSH,URG FIN,PSH,URG -j DROP
-A INPUT -p tcp --tcp-flags SYN,FIN SYN,FIN -j DROP
-A INPUT -p tcp --tcp-flags SYN,RST SYN,RST -j DROP
COMMIT
`;

const LOG_DROP_LINE = 21;
const ANTI_SCAN_LINES = [22, 23, 24, 25, 26];

function facts(source: string, family: 4 | 6 = 4, sshPorts?: number[]): FilterFacts {
  const analysis = analyzeRuleset(parseIptables(source, 'rules'), family, sshPorts === undefined ? {} : { sshPorts });
  assert.ok(analysis.filter, 'no filter table');
  return analysis.filter;
}

function lines(evidence: { line: number }[]): number[] {
  return evidence.map((item) => item.line);
}

function filterTable(...rules: string[]): string {
  return ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ...rules, 'COMMIT', ''].join('\n');
}

describe('analyzeRuleset on the guide rules', () => {
  const guide = facts(GUIDE_RULES);

  test('echo limit bypassed by ESTABLISHED', () => {
    assert.equal(guide.icmpEcho.bypassedByConntrack.value, true);
    assert.deepEqual(lines(guide.icmpEcho.bypassedByConntrack.evidence), [10]);
  });

  test('policies and default', () => {
    assert.equal(guide.inputPolicy.value, 'DROP');
    assert.deepEqual(lines(guide.inputPolicy.evidence), [3]);
    assert.equal(guide.forwardPolicy.value, 'DROP');
    assert.equal(guide.inputDefault.value, 'DROP');
    assert.equal(guide.inputDefault.source, 'rule');
    assert.deepEqual(lines(guide.inputDefault.evidence), [LOG_DROP_LINE, 20]);
  });

  test('loopback, established and invalid', () => {
    assert.equal(guide.loopbackAccepted.value, true);
    assert.deepEqual(lines(guide.loopbackAccepted.evidence), [8]);
    assert.equal(guide.establishedAccepted.value, true);
    assert.deepEqual(lines(guide.establishedAccepted.evidence), [10]);
    assert.equal(guide.invalidDropped.value, true);
    assert.deepEqual(lines(guide.invalidDropped.evidence), [11]);
  });

  test('ssh allowed with brute force limit', () => {
    const [ssh] = guide.ssh;
    assert.equal(ssh?.port, 22);
    assert.equal(ssh?.allowed.value, true);
    assert.deepEqual(lines(ssh?.allowed.evidence ?? []), [14]);
    assert.equal(ssh?.bruteForceLimited.value, true);
    assert.deepEqual(lines(ssh?.bruteForceLimited.evidence ?? []), [13, 20]);
  });

  test('ssh on another port is dropped', () => {
    const [ssh] = facts(GUIDE_RULES, 4, [2222]).ssh;
    assert.equal(ssh?.allowed.value, false);
    assert.equal(ssh?.bruteForceLimited.value, false);
  });

  test('icmp echo rate limited', () => {
    assert.equal(guide.icmpEcho.accepted.value, true);
    assert.deepEqual(lines(guide.icmpEcho.accepted.evidence), [15]);
    assert.equal(guide.icmpEcho.rateLimited.value, true);
  });

  test('log before final drop', () => {
    assert.equal(guide.logBeforeFinalDrop.value, true);
    assert.deepEqual(lines(guide.logBeforeFinalDrop.evidence), [19, LOG_DROP_LINE, 20]);
  });

  test('anti-scan rules are unreachable', () => {
    for (const finding of guide.antiScan) {
      assert.equal(finding.present, true, finding.kind);
      assert.equal(finding.reachable, false, finding.kind);
      // The scan packets are INVALID to connection tracking, so the INVALID drop takes them.
      assert.equal(finding.decidedBefore?.verdict, 'DROP', finding.kind);
      assert.deepEqual(lines(finding.decidedBefore?.evidence ?? []), [11], finding.kind);
    }
    const nullScan = guide.antiScan.find((finding) => finding.kind === 'null');
    assert.deepEqual(lines(nullScan?.rules ?? []), [22]);
  });

  test('unreachable rules name the shadowing line', () => {
    assert.deepEqual(
      guide.unreachable.map((item) => [item.chain, item.rule.line, item.shadowedBy.line]),
      ANTI_SCAN_LINES.map((line) => ['INPUT', line, LOG_DROP_LINE]),
    );
  });

  test('state match is reported', () => {
    assert.equal(guide.usesStateMatch.value, true);
    assert.deepEqual(lines(guide.usesStateMatch.evidence), [10, 11, 12, 13]);
  });

  test('allowed ports', () => {
    assert.deepEqual(
      guide.allowedPorts.map((item) => [item.protocol, item.ranges, item.restricted]),
      [['tcp', [[22, 22]], false]],
    );
  });
});

describe('analyzeRuleset anti-scan placement', () => {
  const scans = [
    '-A INPUT -p tcp --tcp-flags ALL NONE -j DROP',
    '-A INPUT -p tcp --tcp-flags FIN,ACK FIN -j DROP',
    '-A INPUT -p tcp --tcp-flags FIN,PSH,URG FIN,PSH,URG -j DROP',
    '-A INPUT -p tcp --tcp-flags SYN,FIN SYN,FIN -j DROP',
    '-A INPUT -p tcp --tcp-flags SYN,RST SYN,RST -j DROP',
  ];

  test('first in the chain: reachable, nothing accepted before', () => {
    const result = facts(filterTable(...scans, '-A INPUT -p tcp --dport 22 -j ACCEPT'));
    for (const finding of result.antiScan) {
      assert.equal(finding.reachable, true, finding.kind);
      assert.deepEqual(finding.acceptedBefore, [], finding.kind);
      assert.equal(finding.decidedBefore, undefined, finding.kind);
    }
    assert.deepEqual(result.unreachable, []);
  });

  test('after an ACCEPT of the same port', () => {
    const result = facts(filterTable('-A INPUT -p tcp --dport 22 -j ACCEPT', ...scans));
    for (const finding of result.antiScan) {
      assert.equal(finding.reachable, true, finding.kind);
      assert.deepEqual(lines(finding.acceptedBefore), [5], finding.kind);
    }
  });

  test('ACCEPT of established traffic does not take scans', () => {
    const result = facts(filterTable('-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT', ...scans));
    assert.deepEqual(result.antiScan.map((finding) => finding.acceptedBefore), [[], [], [], [], []]);
  });

  test('iptables-save spelling of ALL and --syn', () => {
    const result = facts(filterTable('-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE -j DROP'));
    const present = Object.fromEntries(result.antiScan.map((finding) => [finding.kind, finding.present])) as Record<AntiScanKind, boolean>;
    assert.deepEqual(present, { null: true, fin: false, xmas: false, 'syn-fin': false, 'syn-rst': false });
  });

  test('scan drops in a chain jumped to from INPUT', () => {
    const result = facts(filterTable(':SCAN - [0:0]', '-A INPUT -p tcp -j SCAN', '-A SCAN -p tcp --tcp-flags SYN,RST SYN,RST -j DROP'));
    const synRst = result.antiScan.find((finding) => finding.kind === 'syn-rst');
    assert.equal(synRst?.reachable, true);
    assert.deepEqual(lines(synRst?.rules ?? []), [7]);
  });
});

describe('analyzeRuleset chains and defaults', () => {
  test('policy ACCEPT with final DROP rule', () => {
    const source = filterTable('-A INPUT -i lo -j ACCEPT', '-A INPUT -j DROP').replace(':INPUT DROP', ':INPUT ACCEPT');
    const result = facts(source);
    assert.equal(result.inputPolicy.value, 'ACCEPT');
    assert.equal(result.inputDefault.value, 'DROP');
    assert.deepEqual(lines(result.inputDefault.evidence), [6]);
  });

  test('REJECT ends the chain too', () => {
    const result = facts(filterTable('-A INPUT -j REJECT --reject-with icmp-host-prohibited', '-A INPUT -i lo -j ACCEPT'));
    assert.equal(result.inputDefault.value, 'REJECT');
    assert.deepEqual(result.unreachable.map((item) => [item.rule.line, item.shadowedBy.line]), [[6, 5]]);
    assert.equal(result.loopbackAccepted.value, false);
  });

  test('jump to a chain that may return shadows nothing', () => {
    const result = facts(
      filterTable(':MAYBE - [0:0]', '-A MAYBE -s 198.18.0.0/15 -j RETURN', '-A MAYBE -j DROP', '-A INPUT -j MAYBE', '-A INPUT -i lo -j ACCEPT'),
    );
    assert.deepEqual(result.unreachable, []);
  });

  test('conditional rules shadow nothing', () => {
    const result = facts(filterTable('-A INPUT -s 198.18.0.1 -j DROP', '-A INPUT -m limit --limit 1/s -j DROP', '-A INPUT -i lo -j ACCEPT'));
    assert.deepEqual(result.unreachable, []);
    assert.equal(result.inputDefault.source, 'policy');
  });

  test('always-true conditions count as unconditional', () => {
    const result = facts(filterTable('-A INPUT -p all -s 0.0.0.0/0 -m comment --comment "end" -j DROP', '-A INPUT -i lo -j ACCEPT'));
    assert.deepEqual(result.unreachable.map((item) => item.rule.line), [6]);
  });

  test('unconditional goto ends the chain', () => {
    const result = facts(filterTable(':T - [0:0]', '-A T -j ACCEPT', '-A INPUT -g T', '-A INPUT -j DROP'));
    assert.deepEqual(result.unreachable.map((item) => [item.rule.line, item.shadowedBy.line]), [[8, 7]]);
  });

  test('log without limit before drop', () => {
    const result = facts(filterTable('-A INPUT -j LOG', '-A INPUT -j DROP'));
    assert.equal(result.logBeforeFinalDrop.value, false);
  });

  test('rate-limited log as the last rule before a DROP policy', () => {
    const result = facts(filterTable('-A INPUT -m limit --limit 5/min -j LOG --log-prefix "in: "'));
    assert.equal(result.logBeforeFinalDrop.value, true);
    assert.deepEqual(lines(result.logBeforeFinalDrop.evidence), [5, 2]);
  });

  test('invalid not dropped when an ACCEPT may take it', () => {
    const result = facts(filterTable('-A INPUT -p tcp --dport 80 -j ACCEPT', '-A INPUT -m conntrack --ctstate INVALID -j DROP'));
    assert.equal(result.invalidDropped.value, false);
    assert.deepEqual(lines(result.invalidDropped.evidence), [5, 6]);
    assert.equal(result.usesStateMatch.value, false);
  });
});

describe('analyzeRuleset ssh and icmp limits', () => {
  test('short recent window does not stop brute force', () => {
    const result = facts(
      filterTable(
        '-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --set',
        '-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 30 --hitcount 4 -j DROP',
        '-A INPUT -p tcp --dport 22 -j ACCEPT',
      ),
    );
    assert.equal(result.ssh[0]?.allowed.value, true);
    assert.equal(result.ssh[0]?.bruteForceLimited.value, false);
  });

  test('hashlimit on new connections', () => {
    const result = facts(filterTable('-A INPUT -p tcp --syn --dport 22 -m hashlimit --hashlimit-upto 4/min --hashlimit-name ssh -j ACCEPT'));
    assert.equal(result.ssh[0]?.allowed.value, true);
    assert.equal(result.ssh[0]?.bruteForceLimited.value, true);
  });

  test('multiport and port ranges', () => {
    const result = facts(filterTable('-A INPUT -p tcp -m multiport --dports 80,443,20:22 -j ACCEPT', '-A INPUT -p udp --dport 53 -j ACCEPT'));
    assert.equal(result.ssh[0]?.allowed.value, true);
    assert.deepEqual(
      result.allowedPorts.map((item) => [item.protocol, item.ranges]),
      [['tcp', [[80, 80], [443, 443], [20, 22]]], ['udp', [[53, 53]]]],
    );
  });

  test('unlimited icmp echo', () => {
    const result = facts(filterTable('-A INPUT -p icmp -j ACCEPT'));
    assert.equal(result.icmpEcho.accepted.value, true);
    assert.equal(result.icmpEcho.rateLimited.value, false);
    assert.deepEqual(lines(result.icmpEcho.rateLimited.evidence), [5]);
  });

  test('numeric icmp type', () => {
    const result = facts(filterTable('-A INPUT -p icmp -m icmp --icmp-type 8 -m limit --limit 1/s -j ACCEPT'));
    assert.equal(result.icmpEcho.accepted.value, true);
    assert.equal(result.icmpEcho.rateLimited.value, true);
  });

  test('parsePortRange', () => {
    assert.deepEqual(parsePortRange('22'), [22, 22]);
    assert.deepEqual(parsePortRange('1024:'), [1024, 65535]);
    assert.deepEqual(parsePortRange(':80'), [0, 80]);
    assert.deepEqual(parsePortRange('ssh'), [22, 22]);
    assert.equal(parsePortRange('nosuchservice'), undefined);
  });
});

describe('analyzeRuleset on corpus files', () => {
  test('tor relay IPv6 rules', () => {
    const source = fs.readFileSync(path.join(corpus, 'iptables/tor-relay.rules.v6'), 'utf8');
    const result = facts(source, 6);
    assert.equal(result.inputPolicy.value, 'DROP');
    assert.equal(result.loopbackAccepted.value, true);
    assert.equal(result.establishedAccepted.value, true);
    assert.equal(result.icmpEcho.accepted.value, true);
    assert.equal(result.icmpEcho.rateLimited.value, true);
    assert.deepEqual(lines(result.icmpEcho.rateLimited.evidence), [18]);
    assert.equal(result.ssh[0]?.bruteForceLimited.value, false);
    assert.equal(result.logBeforeFinalDrop.value, false);
    assert.deepEqual(result.allowedPorts.map((item) => item.ranges[0]?.[0]), [22, 9001, 9030]);
  });

  test('parser torture test', () => {
    const source = fs.readFileSync(path.join(corpus, 'iptables/parser-test.iptables-save'), 'utf8');
    const analysis = analyzeRuleset(parseIptables(source, 'p'), 4);
    assert.equal(analysis.complete, true);
    // FORWARD 31 follows an unconditional goto; the DOS~Pro-t_ect rules are covered by earlier
    // rules of their chain (same protocol, comment ignored, RETURN for all UDP).
    assert.deepEqual(analysis.filter?.unreachable.map((item) => [item.chain, item.rule.line, item.shadowedBy.line]), [
      ['FORWARD', 31, 30],
      ['DOS~Pro-t_ect', 37, 36],
      ['DOS~Pro-t_ect', 38, 36],
      ['DOS~Pro-t_ect', 41, 34],
      ['DOS~Pro-t_ect', 42, 34],
    ]);
    assert.equal(analysis.filter?.forwardDefault.value, 'DROP');
  });

  test('document with errors is incomplete', () => {
    const analysis = analyzeRuleset(parseIptables('*filter\n-A INPUT -j\n', 'bad'), 4);
    assert.equal(analysis.complete, false);
    assert.deepEqual(analysis.problems.map((problem) => [problem.code, problem.line]), [
      ['iptables.missing-argument', 2],
      ['iptables.missing-commit', 1],
    ]);
  });

  test('no filter table', () => {
    const analysis = analyzeRuleset(parseIptables('*nat\nCOMMIT\n', 'nat'), 4);
    assert.equal(analysis.filter, undefined);
  });
});

// ---------------------------------------------------------------------------------------------
// Rule files in a target tree

const scratch = new ScratchTrees('kh-firewall-');
after(() => scratch.removeAll());

function makeTree(files: TextTree): string {
  return scratch.create(files);
}

describe('firewallFiles', () => {
  test('OpenRC conf.d names the file', () => {
    const confd = fs.readFileSync(path.join(corpus, 'openrc/alpine-iptables.confd'), 'utf8');
    const root = makeTree({
      'etc/init.d/iptables': '#!/sbin/openrc-run\n',
      'etc/conf.d/iptables': confd,
      'etc/iptables/rules.v4': GUIDE_RULES,
    });
    try {
      const files = firewallFiles(new RootFs(root));
      assert.equal(files.init, 'openrc');
      assert.equal(files.ipv4.loaded?.path, '/etc/iptables/rules-save');
      assert.equal(files.ipv4.loaded?.isDefault, false);
      assert.equal(files.ipv4.loaded?.exists, false);
      const assignment = confd.split('\n').findIndex((line) => line.startsWith('IPTABLES_SAVE=')) + 1;
      assert.deepEqual(files.ipv4.loaded?.evidence, { path: '/etc/conf.d/iptables', line: assignment });
      assert.deepEqual(files.ipv4.others, [{ path: '/etc/iptables/rules.v4', role: 'guide' }]);
      assert.equal(files.ipv4.saveOnStop?.value, true);
      assert.equal(files.ipv6.loaded?.path, '/etc/iptables/rules6-save');
      assert.equal(files.ipv6.loaded?.isDefault, true);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('OpenRC custom path from conf.d', () => {
    const root = makeTree({
      'etc/init.d/iptables': '#!/sbin/openrc-run\n',
      'etc/conf.d/iptables': '# saved rules\nIPTABLES_SAVE="/etc/iptables/rules.v4"\nSAVE_ON_STOP="no"\n',
      'etc/iptables/rules.v4': GUIDE_RULES,
    });
    try {
      const files = firewallFiles(new RootFs(root));
      assert.equal(files.ipv4.loaded?.path, '/etc/iptables/rules.v4');
      assert.equal(files.ipv4.loaded?.exists, true);
      assert.deepEqual(files.ipv4.loaded?.evidence, { path: '/etc/conf.d/iptables', line: 2 });
      assert.deepEqual(files.ipv4.saveOnStop, { value: false, evidence: { path: '/etc/conf.d/iptables', line: 3 } });
      assert.deepEqual(files.ipv4.others, []);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('shell expansion in the save path is a problem', () => {
    const root = makeTree({ 'etc/init.d/iptables': '', 'etc/conf.d/iptables': 'IPTABLES_SAVE="${DIR}/rules"\n' });
    try {
      const files = firewallFiles(new RootFs(root));
      assert.equal(files.ipv4.loaded, undefined);
      assert.deepEqual(files.problems.map((problem) => [problem.code, problem.line]), [['firewall.save-path-expansion', 1]]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('netfilter-persistent loads rules.v4', () => {
    const root = makeTree({ 'usr/sbin/netfilter-persistent': '', 'etc/iptables/rules.v4': GUIDE_RULES, 'etc/iptables/rules-save': '' });
    try {
      const files = firewallFiles(new RootFs(root));
      assert.equal(files.init, 'netfilter-persistent');
      assert.equal(files.ipv4.loaded?.path, '/etc/iptables/rules.v4');
      assert.deepEqual(files.ipv4.others, [{ path: '/etc/iptables/rules-save', role: 'openrc' }]);
      assert.equal(files.ipv6.loaded?.exists, false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('no init convention', () => {
    const root = makeTree({ 'etc/hostname': 'x\n' });
    try {
      const files = firewallFiles(new RootFs(root));
      assert.equal(files.init, 'unknown');
      assert.equal(files.ipv4.loaded, undefined);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

function treeMissing(tree: () => string): string | undefined {
  try {
    tree();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

describe('firewallFiles on the test trees', () => {
  test('Kimigayo tree: OpenRC default, no file yet', { skip: treeMissing(kimigayoTree) }, () => {
    const files = firewallFiles(new RootFs(kimigayoTree()));
    assert.equal(files.init, 'openrc');
    assert.equal(files.ipv4.loaded?.path, '/etc/iptables/rules-save');
    assert.equal(files.ipv4.loaded?.exists, false);
    assert.deepEqual(files.problems, []);
  });

  test('Debian tree: no rule file', { skip: treeMissing(debianTree) }, () => {
    const files = firewallFiles(new RootFs(debianTree()));
    assert.equal(files.ipv4.loaded?.exists ?? false, false);
    assert.deepEqual(files.ipv4.others, []);
  });
});

// ---------------------------------------------------------------------------------------------
// Live rules: load into a network namespace made for the test, read back with iptables-save.

function namespaceAvailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  return spawnSync('ip', ['netns', 'list']).status === 0 ? undefined : 'ip netns is not usable here';
}

function loadAndSave(family: 4 | 6, source: string): string {
  const name = `kh-test-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const [restore, save] = family === 4 ? ['iptables-restore', 'iptables-save'] : ['ip6tables-restore', 'ip6tables-save'];
  execFileSync('ip', ['netns', 'add', name]);
  try {
    execFileSync('ip', ['netns', 'exec', name, restore], { input: source });
    return execFileSync('ip', ['netns', 'exec', name, save], { encoding: 'utf8' });
  } finally {
    execFileSync('ip', ['netns', 'del', name]);
  }
}

describe('live rules from iptables-save', { skip: namespaceAvailable() }, () => {
  test('guide rules loaded and saved', () => {
    const saved = loadAndSave(4, GUIDE_RULES);
    const doc = parseIptablesSave(saved);
    assert.deepEqual(doc.diagnostics, []);
    const analysis = analyzeRuleset(doc, 4);
    const live = analysis.filter;
    assert.ok(live);
    assert.equal(live.inputPolicy.value, 'DROP');
    assert.equal(live.inputDefault.value, 'DROP');
    assert.equal(live.loopbackAccepted.value, true);
    assert.equal(live.establishedAccepted.value, true);
    assert.equal(live.invalidDropped.value, true);
    assert.equal(live.ssh[0]?.bruteForceLimited.value, true);
    assert.equal(live.icmpEcho.rateLimited.value, true);
    assert.equal(live.logBeforeFinalDrop.value, true);
    assert.deepEqual(live.antiScan.map((finding) => [finding.kind, finding.present, finding.reachable]), [
      ['null', true, false],
      ['fin', true, false],
      ['xmas', true, false],
      ['syn-fin', true, false],
      ['syn-rst', true, false],
    ]);

    const jump = doc.lines.find((line) => line.raw === '-A INPUT -j LOG_DROP');
    assert.ok(jump);
    assert.equal(live.unreachable.length, 5);
    for (const item of live.unreachable) assert.equal(item.shadowedBy.line, jump.line);
  });

  test('tor relay IPv6 rules loaded and saved', () => {
    const source = fs.readFileSync(path.join(corpus, 'iptables/tor-relay.rules.v6'), 'utf8');
    const live = analyzeRuleset(parseIptablesSave(loadAndSave(6, source)), 6).filter;
    assert.ok(live);
    assert.equal(live.icmpEcho.rateLimited.value, true);
    assert.deepEqual(live.allowedPorts.map((item) => item.ranges[0]?.[0]), [22, 9001, 9030]);
  });
});
