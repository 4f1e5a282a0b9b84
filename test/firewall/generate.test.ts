import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { firewallChoices, generateFirewall } from '../../src/firewall/generate.js';
import { analyzeRuleset } from '../../src/model/firewall.js';
import type { FilterFacts } from '../../src/model/firewall.js';
import { parseIptables, serializeIptables } from '../../src/parse/iptables.js';
import { listManifests } from '../../src/txn/index.js';
import { makeTree, removeTree, writeTree } from '../helpers/fixture.js';
import { netnsUnavailable } from '../helpers/netns.js';
import { copyTree, kimigayoTree, removeTree as removeCopy } from '../helpers/trees.js';
import { runCli as run } from '../helpers/cli.js';

function filterFacts(source: string, family: 4 | 6, sshPorts?: number[]): FilterFacts {
  const analysis = analyzeRuleset(parseIptables(source, `rules.v${family}`), family, sshPorts === undefined ? {} : { sshPorts });
  assert.deepEqual(analysis.problems, []);
  assert.ok(analysis.filter);
  return analysis.filter;
}

describe('generateFirewall rule sets', () => {
  const generated = generateFirewall(firewallChoices({ sshPorts: [2222], allowTcp: [443, 80, 443], allowUdp: [53] }));

  for (const family of [4, 6] as const) {
    const source = family === 4 ? generated.ipv4 : generated.ipv6;

    test(`IPv${family} passes every guide check`, () => {
      const facts = filterFacts(source, family, [2222]);
      assert.equal(facts.inputDefault.value, 'DROP');
      assert.equal(facts.inputPolicy.value, 'DROP');
      assert.equal(facts.forwardPolicy.value, 'DROP');
      assert.equal(facts.loopbackAccepted.value, true);
      assert.equal(facts.establishedAccepted.value, true);
      assert.equal(facts.invalidDropped.value, true);
      assert.equal(facts.ssh[0]?.allowed.value, true);
      assert.equal(facts.ssh[0]?.bruteForceLimited.value, true);
      assert.equal(facts.icmpEcho.accepted.value, true);
      assert.equal(facts.icmpEcho.rateLimited.value, true);
      assert.equal(facts.icmpEcho.bypassedByConntrack.value, false);
      assert.equal(facts.logBeforeFinalDrop.value, true);
      assert.deepEqual(facts.unreachable, []);
      assert.equal(facts.usesStateMatch.value, false);
    });

    test(`IPv${family} anti-scan drops reachable`, () => {
      for (const scan of filterFacts(source, family, [2222]).antiScan) {
        assert.equal(scan.present, true, scan.kind);
        assert.equal(scan.reachable, true, scan.kind);
        assert.deepEqual(scan.acceptedBefore, [], scan.kind);
      }
    });

    test(`IPv${family} opens only the profile ports`, () => {
      const ports = filterFacts(source, family, [2222]).allowedPorts.map((entry) => `${entry.protocol}/${entry.ranges.map((range) => range.join('-')).join(',')}`);
      assert.deepEqual(ports.sort(), ['tcp/2222-2222', 'tcp/443-443', 'tcp/80-80', 'udp/53-53']);
    });

    test(`IPv${family} round-trips through the parser`, () => {
      assert.equal(serializeIptables(parseIptables(source, 'x')), source);
    });
  }

  test('IPv6 uses only ICMPv6 options', () => {
    assert.doesNotMatch(generated.ipv6, /--icmp-type|-p icmp /);
    assert.match(generated.ipv6, /--icmpv6-type neighbour-solicitation -m hl --hl-eq 255 -j ACCEPT/);
    assert.doesNotMatch(generated.ipv4, /icmpv6|ipv6-icmp/);
  });

  test('same choices give the same bytes', () => {
    const again = generateFirewall(firewallChoices({ sshPorts: [2222], allowTcp: [80, 443], allowUdp: [53] }));
    assert.deepEqual(again, generated);
  });

  test('answerPing false drops every echo request', () => {
    const quiet = generateFirewall(firewallChoices({ answerPing: false }));
    for (const [family, source] of [[4, quiet.ipv4], [6, quiet.ipv6]] as const) {
      const facts = filterFacts(source, family);
      assert.equal(facts.icmpEcho.accepted.value, false, `IPv${family}`);
    }
    assert.doesNotMatch(quiet.nftables, /echo-request limit/);
    assert.match(quiet.nftables, /icmp type echo-request drop/);
  });

  test('no SSH port in profile means 22', () => {
    assert.deepEqual(firewallChoices({}).sshPorts, [22]);
    assert.deepEqual(firewallChoices({ sshPorts: [] }).sshPorts, [22]);
  });
});

describe('generated rules and the real programs', { skip: netnsUnavailable() }, () => {
  const generated = generateFirewall(firewallChoices({ allowTcp: [443], allowUdp: [53, 123] }));
  const namespace = `kh-fwgen-${process.pid}`;
  before(() => {
    assert.equal(spawnSync('ip', ['netns', 'add', namespace]).status, 0);
  });
  after(() => {
    spawnSync('ip', ['netns', 'del', namespace]);
  });

  const exec = (program: string, args: string[], input: string) =>
    spawnSync('ip', ['netns', 'exec', namespace, program, ...args], { input, encoding: 'utf8' });

  test('iptables-restore --test accepts IPv4', () => {
    const result = exec('iptables-restore', ['--test'], generated.ipv4);
    assert.equal(result.status, 0, result.stderr);
  });

  test('ip6tables-restore --test accepts IPv6', () => {
    const result = exec('ip6tables-restore', ['--test'], generated.ipv6);
    assert.equal(result.status, 0, result.stderr);
  });

  test('nft -c accepts the ruleset', () => {
    const result = exec('nft', ['-c', '-f', '-'], generated.nftables);
    assert.equal(result.status, 0, result.stderr);
  });

  test('nft -f loads it twice', () => {
    for (const attempt of [1, 2]) {
      const result = exec('nft', ['-f', '-'], generated.nftables);
      assert.equal(result.status, 0, `load ${attempt}: ${result.stderr}`);
    }
    const listed = exec('nft', ['list', 'table', 'inet', 'kimigayo_harden'], '');
    assert.match(listed.stdout, /policy drop/);
    assert.match(listed.stdout, /udp dport \{ 53, 123 \}/);
  });
});

describe('generate firewall command', () => {
  let tree = '';
  let profileDir = '';
  before(() => {
    tree = copyTree(kimigayoTree());
    profileDir = makeTree({
      'site.yaml': 'sshPorts: [2222]\nallowTcp: [443]\nanswerPing: false\n',
      'bad.yaml': 'answerPing: sometimes\n',
    });
  });
  after(() => {
    removeCopy(tree);
    removeTree(profileDir);
  });

  test('prints IPv4 rules by default', async () => {
    const result = await run(['generate', 'firewall']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^\*filter$/m);
    assert.match(result.stdout, /--dport 22 /);
  });

  test('prints nftables with --format', async () => {
    const result = await run(['generate', 'firewall', '--format', 'nftables', '--profile', path.join(profileDir, 'site.yaml')]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /tcp dport 2222 ct state new accept/);
  });

  test('bad profile value exits 2', async () => {
    const result = await run(['generate', 'firewall', '--profile', path.join(profileDir, 'bad.yaml')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /bad\.yaml:1:1: answerPing must be true or false/);
  });

  test('install follows IPTABLES_SAVE and warns on SAVE_ON_STOP', async () => {
    writeTree(tree, {
      'etc/init.d/iptables': '#!/sbin/openrc-run\n',
      'etc/init.d/ip6tables': '#!/sbin/openrc-run\n',
      'etc/conf.d/iptables': 'IPTABLES_SAVE="/etc/firewall/v4.rules"\nSAVE_ON_STOP="yes"\n',
      'etc/conf.d/ip6tables': 'IP6TABLES_SAVE="/etc/firewall/v6.rules"\nSAVE_ON_STOP="no"\n',
    });
    const result = await run(['generate', 'firewall', '--install', '--root', tree, '--profile', path.join(profileDir, 'site.yaml')]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /\/etc\/conf\.d\/iptables:2: SAVE_ON_STOP="yes"/);
    assert.doesNotMatch(result.stderr, /ip6tables service/);
    const v4 = fs.readFileSync(path.join(tree, 'etc/firewall/v4.rules'), 'utf8');
    const v6 = fs.readFileSync(path.join(tree, 'etc/firewall/v6.rules'), 'utf8');
    assert.match(v4, /--dport 2222 /);
    assert.match(v6, /--icmpv6-type echo-request -j DROP/);
    assert.equal(listManifests(tree).length, 1);
  });

  test('second install changes nothing', async () => {
    const result = await run(['generate', 'firewall', '--install', '--root', tree, '--profile', path.join(profileDir, 'site.yaml')]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /nothing to change/);
    assert.equal(listManifests(tree).length, 1);
  });

  test('installed rules pass the audit', async () => {
    writeTree(tree, { 'sbin/iptables': { content: '', mode: 0o755 }, 'sbin/ip6tables': { content: '', mode: 0o755 } });
    const result = await run(['audit', '--root', tree, '--level', '3', '--only', 'firewall', '--profile', path.join(profileDir, 'site.yaml'), '--format', 'json']);
    const report = JSON.parse(result.stdout) as { results: { id: string; status: string }[] };
    const failed = report.results.filter((item) => item.status !== 'pass' && item.status !== 'not-applicable');
    assert.deepEqual(failed, []);
    assert.ok(report.results.some((item) => item.id.startsWith('firewall.ipv6') && item.status === 'pass'));
  });

  test('SSH ports from the target sshd_config', async () => {
    const sshTree = makeTree({ 'etc/ssh/sshd_config': 'Port 2200\nPort 2201\n' });
    try {
      const result = await run(['generate', 'firewall', '--root', sshTree]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /--dport 2200 -m conntrack --ctstate NEW -j ACCEPT/);
      assert.match(result.stdout, /--dport 2201 -m conntrack --ctstate NEW -j ACCEPT/);
      assert.doesNotMatch(result.stdout, /--dport 22 /);
    } finally {
      removeTree(sshTree);
    }
  });

  test('nftables install warns without an include', async () => {
    const result = await run(['generate', 'firewall', '--install', '--format', 'nftables', '--root', tree]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /neither \/etc\/nftables\.nft nor \/etc\/nftables\.conf includes/);
    assert.match(fs.readFileSync(path.join(tree, 'etc/nftables.d/kimigayo-harden.nft'), 'utf8'), /table inet kimigayo_harden \{/);
  });

  test('nftables install with the include', async () => {
    const included = makeTree({ 'etc/nftables.nft': '#!/usr/sbin/nft -f\nflush ruleset\ninclude "/etc/nftables.d/*.nft"\n' });
    try {
      const result = await run(['generate', 'firewall', '--install', '--format', 'nftables', '--root', included]);
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /includes/);
      assert.ok(fs.existsSync(path.join(included, 'etc/nftables.d/kimigayo-harden.nft')));
    } finally {
      removeTree(included);
    }
  });

  test('netfilter-persistent gets rules.v4 and rules.v6', async () => {
    const debian = makeTree({ 'etc/hostname': 'debian\n', 'usr/sbin/netfilter-persistent': { content: '#!/bin/sh\n', mode: 0o755 } });
    try {
      const result = await run(['generate', 'firewall', '--install', '--root', debian]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /wrote \/etc\/iptables\/rules\.v4, \/etc\/iptables\/rules\.v6/);
      assert.match(fs.readFileSync(path.join(debian, 'etc/iptables/rules.v6'), 'utf8'), /--icmpv6-type/);
    } finally {
      removeTree(debian);
    }
  });

  test('shell expansion in IPTABLES_SAVE exits 2', async () => {
    writeTree(tree, { 'etc/conf.d/iptables': 'IPTABLES_SAVE="${RULES_DIR}/v4"\n' });
    const result = await run(['generate', 'firewall', '--install', '--root', tree]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /\/etc\/conf\.d\/iptables:1: IPTABLES_SAVE uses shell expansion/);
  });
});
