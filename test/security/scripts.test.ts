// The harden-level scripts run under BusyBox sh (as on Kimigayo) with a kimigayo-harden on PATH
// that is this repository's CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTree, removeTree } from '../helpers/fixture.js';
import { repoRoot } from '../helpers/trees.js';

const shell = ['busybox', 'dash', 'sh'].find((candidate) => spawnSync('sh', ['-c', `command -v ${candidate}`]).status === 0) ?? 'sh';

describe('harden-level scripts', () => {
  let bin = '';
  before(() => {
    bin = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-bin-'));
    fs.writeFileSync(path.join(bin, 'kimigayo-harden'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(repoRoot, 'bin/kimigayo-harden.js'))} "$@"\n`, { mode: 0o755 });
  });
  after(() => fs.rmSync(bin, { recursive: true, force: true }));

  function runScript(level: number, args: string[]): { status: number | null; output: string } {
    const script = path.join(repoRoot, `security/harden-level${level}.sh`);
    const command = shell === 'busybox' ? ['busybox', 'sh', script, ...args] : [shell, script, ...args];
    const result = spawnSync(command[0] as string, command.slice(1), { encoding: 'utf8', env: { PATH: `${bin}:${process.env.PATH ?? ''}`, LANG: 'C' } });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  test('level 2 script applies with a profile', () => {
    const root = makeTree({
      '/etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
      '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
      '/etc/group': 'root:x:0:\n',
      '/profile.yml': 'keepModules: [squashfs]\n',
    });
    try {
      const result = runScript(2, [path.join(root, 'profile.yml'), '--root', root, '--container', 'no']);
      assert.equal(result.status, 0, result.output);
      assert.match(result.output, /applied: transaction/);
      assert.ok(fs.existsSync(path.join(root, 'etc/sysctl.d/99-security.conf')));
    } finally {
      removeTree(root);
    }
  });

  test('missing profile named on the command line is an error', () => {
    const result = runScript(1, ['/nonexistent/profile.yml', '--root', '/nonexistent']);
    assert.equal(result.status, 2, result.output);
    assert.match(result.output, /profile\.yml: cannot read the file/);
  });

  test('default profile is read inside --root', () => {
    const root = makeTree({
      '/etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
      '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
      '/etc/group': 'root:x:0:\n',
      '/etc/kimigayo/harden-profile.yml': 'notASetting: 1\n',
    });
    try {
      const result = runScript(1, ['--root', root, '--container', 'no']);
      assert.equal(result.status, 2, result.output);
      assert.match(result.output, new RegExp(`${root}/etc/kimigayo/harden-profile\\.yml:1:1: unknown setting "notASetting"`));
    } finally {
      removeTree(root);
    }
  });
});
