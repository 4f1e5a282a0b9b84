import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { firewallChoices, generateFirewall } from '../../src/firewall/generate.js';
import { restoreInput } from '../../src/firewall/load.js';
import { makeTree, removeTree } from '../helpers/fixture.js';
import { CLIENT_V4, netnsUnavailable, SERVER_V4, TestNetwork } from '../helpers/netns.js';
import { repoRoot } from '../helpers/trees.js';

/**
 * `firewall load` run as a user would, through `ip netns exec` in a namespace made for the test,
 * so that only the namespace's rules change. The answer goes to the command's stdin.
 */

const cli = path.join(repoRoot, 'bin/kimigayo-harden.js');
const namespace = `kh-fwload-${process.pid}`;
const PREVIOUS_RULES = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 7 -j ACCEPT\nCOMMIT\n';

interface Run {
  code: number | null;
  stderr: string;
}

/** Run the CLI in the namespace. `answer` undefined keeps stdin open and silent; null closes it at once. */
function load(args: string[], answer: string | null | undefined): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, cli, 'firewall', 'load', ...args], { env: { ...process.env, LANG: 'C' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // Answer only after the prompt, as a person at the terminal would.
      if (answer !== undefined && answer !== null && stderr.includes('Type yes')) {
        child.stdin.end(answer);
        answer = undefined;
      }
    });
    if (answer === null) child.stdin.end();
    child.on('close', (code) => {
      removeBackup(stderr);
      resolve({ code, stderr });
    });
  });
}

/** Remove the copy of the saved rules that the command reports, so test runs leave no files. */
function removeBackup(stderr: string): void {
  const backup = /saved the running rules to (\S+)/.exec(stderr)?.[1];
  if (backup !== undefined) fs.rmSync(path.dirname(backup), { recursive: true, force: true });
}

function rules(program = 'iptables-save'): string {
  return spawnSync('ip', ['netns', 'exec', namespace, program], { encoding: 'utf8' }).stdout;
}

function nftRules(): string {
  return spawnSync('ip', ['netns', 'exec', namespace, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }).stdout;
}

describe('firewall load in a namespace', { skip: netnsUnavailable() }, () => {
  let dir = '';
  const generated = generateFirewall(firewallChoices({}));

  before(() => {
    assert.equal(spawnSync('ip', ['netns', 'add', namespace]).status, 0);
    dir = makeTree({
      'rules-save': generated.ipv4,
      'rules6-save': generated.ipv6,
      'host.nft': generated.nftables,
      'broken-rules-save': '*filter\n-A INPUT -p tcp --dport\nCOMMIT\n',
      'unknown-module-rules-save': '*filter\n-A INPUT -m nosuchmodule -j ACCEPT\nCOMMIT\n',
    });
  });

  beforeEach(() => {
    spawnSync('ip', ['netns', 'exec', namespace, 'nft', 'flush', 'ruleset']);
    const restored = spawnSync('ip', ['netns', 'exec', namespace, 'iptables-restore'], { input: PREVIOUS_RULES });
    assert.equal(restored.status, 0);
  });

  after(() => {
    spawnSync('ip', ['netns', 'del', namespace]);
    removeTree(dir);
  });

  test('yes keeps the new rules', async () => {
    const result = await load([path.join(dir, 'rules-save'), '--timeout', '20'], 'yes\n');
    assert.equal(result.code, 0, result.stderr);
    assert.match(rules(), /:INPUT DROP/);
    assert.match(result.stderr, /saved the running rules to \S+iptables\.rules/);
  });

  test('no answer restores after the timeout', async () => {
    const result = await load([path.join(dir, 'rules-save'), '--timeout', '1'], undefined);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /not confirmed: restored the saved rules/);
    const saved = rules();
    assert.match(saved, /:INPUT ACCEPT/);
    assert.match(saved, /--dport 7 -j ACCEPT/);
    assert.doesNotMatch(saved, /anti-scan/);
  });

  test('other answer restores at once', async () => {
    const result = await load([path.join(dir, 'rules-save'), '--timeout', '20'], 'no\n');
    assert.equal(result.code, 1);
    assert.match(rules(), /--dport 7 -j ACCEPT/);
  });

  test('closed stdin restores', async () => {
    const result = await load([path.join(dir, 'rules-save'), '--timeout', '20'], null);
    assert.equal(result.code, 1);
    assert.match(rules(), /:INPUT ACCEPT/);
  });

  test('IPv6 file goes to ip6tables', async () => {
    const result = await load([path.join(dir, 'rules6-save'), '--timeout', '20'], 'yes\n');
    assert.equal(result.code, 0, result.stderr);
    // ip6tables-save prints neighbour solicitation as its type number.
    assert.match(rules('ip6tables-save'), /--icmpv6-type 135 -m hl --hl-eq 255/);
    assert.doesNotMatch(rules(), /:INPUT DROP/);
  });

  test('nftables ruleset restored on timeout', async () => {
    const result = await load([path.join(dir, 'host.nft'), '--timeout', '1'], undefined);
    assert.equal(result.code, 1);
    assert.doesNotMatch(nftRules(), /kimigayo_harden/);
    assert.match(rules(), /--dport 7 -j ACCEPT/);
  });

  test('nftables ruleset kept on yes', async () => {
    const result = await load([path.join(dir, 'host.nft'), '--timeout', '20'], 'yes\n');
    assert.equal(result.code, 0, result.stderr);
    assert.match(nftRules(), /table inet kimigayo_harden/);
  });

  test('parse error exits 2 and loads nothing', async () => {
    const result = await load([path.join(dir, 'broken-rules-save')], null);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /broken-rules-save:2: option --dport requires an argument; nothing was loaded/);
    assert.doesNotMatch(result.stderr, /at .*\.js:\d+/);
    assert.match(rules(), /--dport 7 -j ACCEPT/);
  });

  test('file the kernel rejects exits 2', async () => {
    const result = await load([path.join(dir, 'unknown-module-rules-save')], null);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /rejected by iptables-restore --test/);
    assert.match(rules(), /--dport 7 -j ACCEPT/);
  });

  test('missing file exits 2', async () => {
    const result = await load([path.join(dir, 'nope')], null);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /nope: cannot read the rule file/);
  });

  test('bad timeout exits 2', async () => {
    const result = await load([path.join(dir, 'rules-save'), '--timeout', '0'], null);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /whole number of seconds from 1 to 3600/);
  });
});

describe('restoreInput', () => {
  test('empty block for a table the saved rules lack', () => {
    const input = restoreInput('iptables', '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n', '*filter\nCOMMIT\n*raw\n:PREROUTING DROP [0:0]\nCOMMIT\n');
    assert.equal(input, '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
  });

  test('nftables flushes first', () => {
    assert.equal(restoreInput('nftables', 'table inet x {\n}\n', ''), 'flush ruleset\ntable inet x {\n}\n');
  });
});

/** Rules that lock out SSH: policy DROP and nothing accepted. */
const LOCKOUT_RULES = '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';

describe('firewall load undoes a lockout', { skip: netnsUnavailable() }, () => {
  let network: TestNetwork;
  let dir = '';
  before(() => {
    network = new TestNetwork('lock');
    network.listen(22);
    network.waitForListener(22);
    dir = makeTree({ 'lockout-rules-save': LOCKOUT_RULES });
  });
  after(() => {
    network?.close();
    removeTree(dir);
  });

  test('SSH blocked until the timeout restores it', async () => {
    assert.equal(network.connect(CLIENT_V4, SERVER_V4, 22), 'connected');
    const child = spawn('ip', ['netns', 'exec', network.server, process.execPath, cli, 'firewall', 'load', path.join(dir, 'lockout-rules-save'), '--timeout', '4'], {
      env: { ...process.env, LANG: 'C' },
    });
    let stderr = '';
    const loaded = new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('Type yes')) resolve();
      });
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));

    await loaded;
    // The operator's connection attempt fails while the new rules are loaded...
    assert.equal(network.connect(CLIENT_V4, SERVER_V4, 22, 1), 'timed-out');
    // ...and nobody can confirm, so the old rules come back.
    assert.equal(await closed, 1);
    removeBackup(stderr);
    assert.equal(network.connect(CLIENT_V4, SERVER_V4, 22), 'connected');
  });
});
