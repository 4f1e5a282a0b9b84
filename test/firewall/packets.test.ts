import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { firewallChoices, generateFirewall } from '../../src/firewall/generate.js';
import type { GeneratedFirewall } from '../../src/firewall/generate.js';
import { iptablesLinter } from '../../src/lint/iptables.js';
import { parseIptables } from '../../src/parse/iptables.js';
import {
  CLIENT_V4, CLIENT_V6, netnsUnavailable, OTHER_CLIENT_V4, OTHER_CLIENT_V6, SERVER_V4, SERVER_V6, TestNetwork,
} from '../helpers/netns.js';

/**
 * The generated rule sets, loaded into a server namespace with iptables-restore,
 * ip6tables-restore or nft -f, and probed with real packets from a client namespace: nc for
 * connections, ping for echo requests and scapy for crafted TCP scan packets.
 */

const SSH_PORT = 22;
const ALLOWED_PORT = 443;
const ALLOWED_UDP_PORT = 53;
/** A UDP port with a listener that the profile does not allow. */
const BLOCKED_UDP_PORT = 5353;
/** A listening port the profile does not allow, so only the firewall can keep it from answering. */
const BLOCKED_PORT = 8080;
/** A port nothing listens on, so that the kernel would answer scan packets with RST. */
const CLOSED_PORT = 9;
const SCANS_PER_KIND = 3;
const SCAN_KINDS = ['null', 'fin', 'xmas', 'syn-fin', 'syn-rst'] as const;
type ScanKind = (typeof SCAN_KINDS)[number];
const SCAN_COMMENTS: Record<ScanKind, string> = {
  null: 'anti-scan: NULL',
  fin: 'anti-scan: FIN without ACK',
  xmas: 'anti-scan: Xmas',
  'syn-fin': 'anti-scan: SYN+FIN',
  'syn-rst': 'anti-scan: SYN+RST',
};

/** Send SCANS_PER_KIND packets of each scan kind with scapy and print how many got an answer. */
const SCAN_SCRIPT = `
import json, sys
from scapy.all import IP, IPv6, TCP, sr, conf
conf.verb = 0
destination, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
kinds = {'null': '', 'fin': 'F', 'xmas': 'FPU', 'syn-fin': 'SF', 'syn-rst': 'SR'}
network = IPv6(dst=destination) if ':' in destination else IP(dst=destination)
answers = {}
for name, flags in kinds.items():
    packets = [network / TCP(sport=41000 + i, dport=port, flags=flags, seq=1000 + i) for i in range(count)]
    answered, _ = sr(packets, timeout=1)
    answers[name] = len(answered)
print(json.dumps(answers))
`;

const rules: GeneratedFirewall = generateFirewall(firewallChoices({ allowTcp: [ALLOWED_PORT], allowUdp: [ALLOWED_UDP_PORT] }));

function sendScans(network: TestNetwork, destination: string): Record<ScanKind, number> {
  // Debian's python3 is used on purpose: python3-scapy installs into it.
  const output = network.must(network.client, '/usr/bin/python3', ['-c', SCAN_SCRIPT, destination, String(CLOSED_PORT), String(SCANS_PER_KIND)]);
  return JSON.parse(output) as Record<ScanKind, number>;
}

/** Packet counters of the anti-scan rules, read back with iptables-save -c / ip6tables-save -c. */
function iptablesScanCounters(network: TestNetwork, family: 4 | 6): Record<ScanKind, number> {
  const saved = network.must(network.server, family === 4 ? 'iptables-save' : 'ip6tables-save', ['-c', '-t', 'filter']);
  const doc = parseIptables(saved, 'saved');
  const counters = {} as Record<ScanKind, number>;
  for (const kind of SCAN_KINDS) {
    const rule = doc.lines.find((line) => line.kind === 'rule' && line.raw.includes(`"${SCAN_COMMENTS[kind]}"`));
    assert.ok(rule !== undefined && rule.kind === 'rule' && rule.counters !== undefined, `no counted rule for ${kind} in:\n${saved}`);
    counters[kind] = Number(rule.counters.packets);
  }
  return counters;
}

interface NftRule {
  rule?: { comment?: string; expr: { counter?: { packets: number } }[] };
}

/** Packet counters of the anti-scan rules in the nftables table. nft counts both families together. */
function nftScanCounters(network: TestNetwork): Record<ScanKind, number> {
  const listing = JSON.parse(network.must(network.server, 'nft', ['-j', 'list', 'chain', 'inet', 'kimigayo_harden', 'input'])) as { nftables: NftRule[] };
  const counters = {} as Record<ScanKind, number>;
  for (const kind of SCAN_KINDS) {
    const rule = listing.nftables.find((item) => item.rule?.comment === SCAN_COMMENTS[kind])?.rule;
    const counter = rule?.expr.find((expression) => expression.counter !== undefined)?.counter;
    assert.ok(counter !== undefined, `no counter for ${kind}`);
    counters[kind] = counter.packets;
  }
  return counters;
}

function pingStats(network: TestNetwork, destination: string, count: number): { transmitted: number; received: number } {
  const family = destination.includes(':') ? '-6' : '-4';
  const result = network.exec(network.client, 'ping', [family, '-n', '-q', '-c', String(count), '-i', '0.01', '-W', '1', destination]);
  const match = /(\d+) packets transmitted, (\d+) received/.exec(result.stdout);
  assert.ok(match, `unexpected ping output: ${result.stdout}${result.stderr}`);
  return { transmitted: Number(match[1]), received: Number(match[2]) };
}

type Backend = 'iptables' | 'nftables';

function load(network: TestNetwork, backend: Backend): void {
  if (backend === 'iptables') {
    network.must(network.server, 'iptables-restore', [], rules.ipv4);
    network.must(network.server, 'ip6tables-restore', [], rules.ipv6);
  } else {
    network.must(network.server, 'nft', ['-f', '-'], rules.nftables);
  }
}

const skip = netnsUnavailable();

for (const backend of ['iptables', 'nftables'] as const) {
  describe(`${backend} rules with real packets`, { skip }, () => {
    let network: TestNetwork;
    const baseline: Partial<Record<4 | 6, Record<ScanKind, number>>> = {};

    before(() => {
      network = new TestNetwork(backend === 'iptables' ? 'ipt' : 'nft');
      for (const port of [SSH_PORT, ALLOWED_PORT, BLOCKED_PORT]) network.listen(port);
      for (const port of [SSH_PORT, ALLOWED_PORT, BLOCKED_PORT]) network.waitForListener(port);
      for (const port of [ALLOWED_UDP_PORT, BLOCKED_UDP_PORT]) {
        network.listenUdp(port);
        network.waitForListener(port, 50, 'udp', 2);
      }
      // Resolve neighbours first, so that the first scan packets are not lost while IPv6
      // neighbour discovery runs.
      network.must(network.client, 'ping', ['-4', '-c', '1', '-W', '2', SERVER_V4]);
      network.must(network.client, 'ping', ['-6', '-c', '1', '-W', '2', SERVER_V6]);
      // Without a firewall the closed port answers the scans with RST, which proves that an
      // unanswered scan below was dropped rather than never answered.
      baseline[4] = sendScans(network, SERVER_V4);
      baseline[6] = sendScans(network, SERVER_V6);
      load(network, backend);
    });

    after(() => network?.close());

    for (const family of [4, 6] as const) {
      const server = family === 4 ? SERVER_V4 : SERVER_V6;
      const client = family === 4 ? CLIENT_V4 : CLIENT_V6;
      const otherClient = family === 4 ? OTHER_CLIENT_V4 : OTHER_CLIENT_V6;

      test(`IPv${family} SSH and allowed port connect`, () => {
        assert.equal(network.connect(client, server, SSH_PORT), 'connected');
        assert.equal(network.connect(client, server, ALLOWED_PORT), 'connected');
      });

      test(`IPv${family} port not allowed times out`, () => {
        assert.equal(network.connect(client, server, BLOCKED_PORT), 'timed-out');
      });

      test(`IPv${family} allowed UDP port answers`, () => {
        assert.equal(network.sendUdp(server, ALLOWED_UDP_PORT), 'pong');
      });

      test(`IPv${family} UDP port not allowed silent`, () => {
        assert.equal(network.sendUdp(server, BLOCKED_UDP_PORT), '');
      });

      test(`IPv${family} 4th SSH connection in 60 s dropped`, () => {
        for (let attempt = 1; attempt <= 3; attempt++) {
          assert.equal(network.connect(otherClient, server, SSH_PORT), 'connected', `connection ${attempt}`);
        }
        assert.equal(network.connect(otherClient, server, SSH_PORT), 'timed-out', 'connection 4');
        assert.equal(network.connect(client, server, SSH_PORT), 'connected', 'other source');
      });

      test(`IPv${family} scan packets dropped and counted`, () => {
        const before = backend === 'iptables' ? iptablesScanCounters(network, family) : nftScanCounters(network);
        const answers = sendScans(network, server);
        const counted = backend === 'iptables' ? iptablesScanCounters(network, family) : nftScanCounters(network);
        for (const kind of SCAN_KINDS) {
          if (kind !== 'syn-rst') assert.equal(baseline[family]?.[kind], SCANS_PER_KIND, `${kind} answered without a firewall`);
          assert.equal(answers[kind], 0, `${kind} answered`);
          assert.equal(counted[kind] - before[kind], SCANS_PER_KIND, `${kind} counted`);
        }
      });

      test(`IPv${family} echo beyond the limit unanswered`, () => {
        const stats = pingStats(network, server, 20);
        assert.equal(stats.transmitted, 20);
        assert.ok(stats.received >= 1, `no echo answered: ${stats.received}`);
        // Burst 2 plus at most one more token at 1/s while 20 requests go out 10 ms apart.
        assert.ok(stats.received <= 3, `${stats.received} of 20 echo requests answered`);
      });
    }

    test('IPv6 neighbour discovery resolves the client', () => {
      const neighbours = network.must(network.server, 'ip', ['-6', 'neigh', 'show', CLIENT_V6]);
      assert.match(neighbours, /lladdr/);
      assert.doesNotMatch(neighbours, /PERMANENT|FAILED/);
    });
  });
}

/** The guide's order: the echo rate limit after the ESTABLISHED accept. */
const ECHO_AFTER_ESTABLISHED = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -p icmp --icmp-type echo-request -m limit --limit 1/s --limit-burst 2 -j ACCEPT
-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT
COMMIT
`;

describe('echo limit after the ESTABLISHED accept', { skip }, () => {
  let network: TestNetwork;
  before(() => {
    network = new TestNetwork('echo');
    network.must(network.server, 'iptables-restore', [], ECHO_AFTER_ESTABLISHED);
  });
  after(() => network?.close());

  test('ping flood answered in full', () => {
    const stats = pingStats(network, SERVER_V4, 20);
    assert.equal(stats.received, 20);
  });

  test('linter reports the bypass', () => {
    const findings = iptablesLinter.lint({ path: 'rules-save', content: ECHO_AFTER_ESTABLISHED, options: {} });
    assert.deepEqual(findings.filter((item) => item.code === 'iptables.echo-limit-bypassed').map((item) => item.line), [6]);
  });
});
