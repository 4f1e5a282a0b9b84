// Runtime sysctl steps are tried in a network namespace the test creates: net.* keys there are
// the namespace's own, so writing them leaves this machine's settings alone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { writeSysctl } from '../../src/plan/runtime.js';
import { repoRoot } from '../helpers/trees.js';

const canUnshare = spawnSync('unshare', ['-n', 'true']).status === 0;

function inNetns(script: string): { status: number | null; output: string } {
  const module = path.join(repoRoot, 'dist/src/plan/runtime.js');
  const source = `import * as runtime from ${JSON.stringify(module)};\n${script}`;
  const result = spawnSync('unshare', ['-n', process.execPath, '--input-type=module', '-e', source], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('runtime sysctl steps', { skip: !canUnshare && 'needs root for unshare -n' }, () => {
  test('write, read back and undo in a netns', () => {
    const result = inNetns(`
      const key = 'net.ipv4.conf.all.accept_redirects';
      const file = '/proc/sys/net/ipv4/conf/all/accept_redirects';
      const fs = await import('node:fs');
      fs.writeFileSync(file, '1');
      const outcome = runtime.writeSysctl('/proc', key, '0');
      const after = fs.readFileSync(file, 'utf8').trim();
      const undone = runtime.undoStep({ kind: 'sysctl', description: { en: '', ja: '' }, done: true, undo: outcome.undo });
      const restored = fs.readFileSync(file, 'utf8').trim();
      console.log(JSON.stringify({ ok: outcome.ok, after, undone, restored }));
    `);
    assert.equal(result.status, 0, result.output);
    assert.deepEqual(JSON.parse(result.output), { ok: true, after: '0', undone: true, restored: '1' });
  });

  test('kernel clamps or rejects a value', () => {
    const result = inNetns(`
      const outcome = runtime.writeSysctl('/proc', 'net.ipv4.tcp_syncookies', 'seven');
      const missing = runtime.writeSysctl('/proc', 'net.ipv4.no_such_key', '1');
      console.log(JSON.stringify({ ok: outcome.ok, message: outcome.message.en, missing: missing.ok }));
    `);
    assert.equal(result.status, 0, result.output);
    const parsed = JSON.parse(result.output) as { ok: boolean; message: string; missing: boolean };
    assert.equal(parsed.ok, false);
    assert.match(parsed.message, /rejected|kept/);
    assert.equal(parsed.missing, false);
  });

  test('one-way keys have no undo', () => {
    // A stand-in /proc directory: the real key would disable kexec on this machine until reboot.
    const procRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-proc-'));
    try {
      fs.mkdirSync(path.join(procRoot, 'sys/kernel'), { recursive: true });
      fs.writeFileSync(path.join(procRoot, 'sys/kernel/kexec_load_disabled'), '0\n');
      const outcome = writeSysctl(procRoot, 'kernel.kexec_load_disabled', '1');
      assert.equal(outcome.ok, true);
      assert.equal(outcome.undo, undefined);
      const other = writeSysctl(procRoot, 'kernel.kexec_load_disabled', '0');
      assert.deepEqual(other.undo, { key: 'kernel.kexec_load_disabled', value: '1', procRoot });
    } finally {
      fs.rmSync(procRoot, { recursive: true, force: true });
    }
  });
});
