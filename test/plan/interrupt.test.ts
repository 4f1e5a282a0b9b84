// An apply killed in the middle (a test hook sends SIGKILL to the process after N file writes)
// leaves a journal; the next plan reports it, apply refuses, and rollback restores every file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { STOP_AFTER_WRITES_ENV } from '../../src/txn/index.js';
import { makeTree, removeTree } from '../helpers/fixture.js';
import { repoRoot } from '../helpers/trees.js';

const BIN = path.join(repoRoot, 'bin/kimigayo-harden.js');

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; signal: NodeJS.Signals | null; output: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, LANG: 'C', ...env } });
  return { status: result.status, signal: result.signal, output: `${result.stdout}${result.stderr}` };
}

function snapshot(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const file of ['etc/fstab', 'etc/ssh/sshd_config', 'etc/sysctl.conf']) {
    const host = path.join(root, file);
    files[file] = fs.existsSync(host) ? `${fs.statSync(host).mode.toString(8)} ${fs.readFileSync(host, 'utf8')}` : 'missing';
  }
  files['etc/sysctl.d'] = fs.existsSync(path.join(root, 'etc/sysctl.d')) ? fs.readdirSync(path.join(root, 'etc/sysctl.d')).join(',') : 'missing';
  return files;
}

describe('interrupted apply', () => {
  test('killed after two writes, then rolled back', () => {
    const root = makeTree({
      '/etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
      '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
      '/etc/group': 'root:x:0:\n',
      '/etc/fstab': 'proc /proc proc defaults 0 0\n',
      '/etc/sysctl.conf': 'kernel.kptr_restrict = 0\n',
      '/etc/ssh/sshd_config': { content: 'PermitRootLogin prohibit-password\n', mode: 0o644 },
    });
    try {
      const before = snapshot(root);
      const killed = cli(['apply', '--root', root, '--level', '3', '--container', 'no', '--allow-lockout'], { [STOP_AFTER_WRITES_ENV]: '2' });
      assert.equal(killed.signal, 'SIGKILL', killed.output);
      assert.notDeepEqual(snapshot(root), before, 'the killed apply wrote something');

      const plan = cli(['plan', '--root', root, '--level', '3', '--container', 'no']);
      assert.match(plan.output, /was interrupted; run kimigayo-harden rollback \S+/);

      const apply = cli(['apply', '--root', root, '--level', '3', '--container', 'no', '--allow-lockout']);
      assert.equal(apply.status, 2, apply.output);
      assert.match(apply.output, /was interrupted/);

      const rollback = cli(['rollback', '--root', root]);
      assert.equal(rollback.status, 0, rollback.output);
      assert.deepEqual(snapshot(root), before);

      const leftovers = fs.readdirSync(path.join(root, 'etc')).filter((name) => name.includes('.kh-'));
      assert.deepEqual(leftovers, [], 'no temporary file is left');
      assert.doesNotMatch(cli(['plan', '--root', root, '--level', '3', '--container', 'no']).output, /interrupted/);
    } finally {
      removeTree(root);
    }
  });
});
