import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTree, removeTree } from '../helpers/fixture.js';
import { repoRoot } from '../helpers/trees.js';

/**
 * The live audit reads /proc/sys of the network namespace it runs in. These tests create their
 * own namespace, set net.* values there, and bind-mount a fixture over /etc/sysctl.d inside a
 * private mount namespace, so neither this machine's kernel values nor its files change.
 */
const NETNS = `kh-live-${process.pid}`;
const canRun = process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0;

interface JsonResult {
  id: string;
  status: string;
  reason: string | null;
}

function liveAudit(sysctlDir: string, only: string[]): JsonResult[] {
  const cli = path.join(repoRoot, 'bin/kimigayo-harden.js');
  const args = ['audit', '--container', 'no', '--level', '2', '--format', 'json', '--lang', 'en', ...only.flatMap((id) => ['--only', id])];
  const script = `mount --bind "$1" /etc/sysctl.d && shift && exec "$@"`;
  const result = spawnSync(
    'ip',
    ['netns', 'exec', NETNS, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', sysctlDir, process.execPath, cli, ...args],
    { encoding: 'utf8' },
  );
  assert.ok(result.status === 0 || result.status === 1, `audit exited ${result.status}: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { results: JsonResult[] }).results;
}

describe('live sysctl values in a network namespace', { skip: canRun ? false : 'needs root and iproute2' }, () => {
  let fixture = '';

  before(() => {
    execFileSync('ip', ['netns', 'add', NETNS]);
    const set = (key: string, value: string) => execFileSync('ip', ['netns', 'exec', NETNS, 'sysctl', '-q', '-w', `${key}=${value}`]);
    set('net.ipv4.conf.all.rp_filter', '1');
    set('net.ipv4.conf.all.accept_redirects', '0');
    set('net.ipv4.conf.all.send_redirects', '1');
    set('net.ipv4.conf.all.log_martians', '1');
    fixture = makeTree({
      '/99-security.conf': [
        'net.ipv4.conf.all.rp_filter = 1',
        'net.ipv4.conf.all.accept_redirects = 1',
        'net.ipv4.conf.all.send_redirects = 0',
        '',
      ].join('\n'),
    });
  });

  after(() => {
    spawnSync('ip', ['netns', 'del', NETNS]);
    removeTree(fixture);
  });

  test('persisted and live passes', () => {
    const [result] = liveAudit(fixture, ['sysctl.net.ipv4.conf.all.rp_filter']);
    assert.equal(result?.status, 'pass', result?.reason ?? '');
  });

  test('live but not persisted fails and says so', () => {
    const [result] = liveAudit(fixture, ['sysctl.net.ipv4.conf.all.log_martians']);
    assert.equal(result?.status, 'fail');
    assert.match(result?.reason ?? '', /^live but not persisted/);
  });

  test('persisted but not live fails and says so', () => {
    const [result] = liveAudit(fixture, ['sysctl.net.ipv4.conf.all.send_redirects']);
    assert.equal(result?.status, 'fail');
    assert.match(result?.reason ?? '', /^persisted but not live/);
  });

  test('file value wrong while live value right', () => {
    const [result] = liveAudit(fixture, ['sysctl.net.ipv4.conf.all.accept_redirects']);
    assert.equal(result?.status, 'fail');
    assert.match(result?.reason ?? '', /live but not persisted.*99-security\.conf:2/);
  });
});
