// Apply level 3 to a copy of the Debian bookworm tree and check the result with the real
// programs: sshd -t and sshd -T run inside the tree with bubblewrap, findmnt --verify reads the
// new fstab, modprobe --showconfig reads the new modprobe.d, and rollback restores every file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../src/engine/audit.js';
import { makePlan } from '../../src/plan/plan.js';
import type { FilePlan } from '../../src/plan/plan.js';
import { validateFstab, validateSshd } from '../../src/plan/validate.js';
import { hasRemedy } from '../../src/remedy/index.js';
import { openTarget } from '../../src/target/target.js';
import { copyTree, debianTree, removeTree } from '../helpers/trees.js';
import { runCli as run } from '../helpers/cli.js';

interface Entry {
  hash: string;
  mode: number;
  uid: number;
  gid: number;
}

/** Hash, mode and owner of every file under /etc, the part of the tree apply may change. */
function manifest(root: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  const pending = [path.join(root, 'etc')];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const stat = fs.lstatSync(full);
      let hash = '';
      if (entry.isFile()) hash = createHash('sha256').update(fs.readFileSync(full)).digest('hex');
      else if (entry.isSymbolicLink()) hash = `-> ${fs.readlinkSync(full)}`;
      else if (entry.isDirectory()) pending.push(full);
      entries.set(path.relative(root, full), { hash, mode: stat.mode, uid: stat.uid, gid: stat.gid });
    }
  }
  return entries;
}

function inTree(tree: string, command: string[]): { status: number | null; output: string } {
  const result = spawnSync('bwrap', ['--ro-bind', tree, '/', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/run', '--dir', '/run/sshd', '--unshare-all', ...command], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Add an administrator who logs in with a key and uses sudo, so that the lockout guard lets apply go on. */
function addAdmin(tree: string): void {
  fs.appendFileSync(path.join(tree, 'etc/passwd'), 'admin:x:1000:1000:Admin:/home/admin:/bin/bash\n');
  fs.appendFileSync(path.join(tree, 'etc/shadow'), 'admin:$6$salt$hash:19000:0:99999:7:::\n');
  fs.appendFileSync(path.join(tree, 'etc/group'), 'admin:x:1000:\n');
  fs.mkdirSync(path.join(tree, 'home/admin/.ssh'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'home/admin/.ssh/authorized_keys'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyForTests admin@test\n');
  fs.mkdirSync(path.join(tree, 'etc/sudoers.d'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'etc/sudoers.d/admin'), 'admin ALL=(ALL:ALL) ALL\n', { mode: 0o440 });
  fs.writeFileSync(path.join(tree, 'usr/bin/sudo'), '', { mode: 0o755 });
  // A VM image has kernel modules; the test tree gets the directory so module controls apply.
  fs.mkdirSync(path.join(tree, 'lib/modules/6.1.0-kh-test'), { recursive: true });
}

describe('apply level 3 on the Debian tree', () => {
  let tree = '';
  let beforeApply = new Map<string, Entry>();
  let transaction = '';
  let manual = new Set<string>();

  before(async () => {
    tree = copyTree(debianTree());
    addAdmin(tree);
    beforeApply = manifest(tree);
    const result = await run(['apply', '--root', tree, '--level', '3', '--container', 'no', '--format', 'json']);
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    const applied = JSON.parse(result.stdout) as { transaction: string; manual: string[] };
    transaction = applied.transaction;
    manual = new Set(applied.manual);
    assert.match(transaction, /^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
  });
  after(() => removeTree(tree));

  test('sshd -t passes in the tree', () => {
    const result = inTree(tree, ['/usr/sbin/sshd', '-t']);
    assert.equal(result.status, 0, result.output);
  });

  test('sshd -T reports permitrootlogin no', () => {
    const result = inTree(tree, ['/usr/sbin/sshd', '-T', '-C', 'user=admin,host=client,addr=198.18.0.2']);
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /^permitrootlogin no$/m);
    assert.match(result.output, /^passwordauthentication no$/m);
  });

  test('findmnt --verify passes on the new fstab', () => {
    const result = spawnSync('findmnt', ['--verify', '--tab-file', path.join(tree, 'etc/fstab')], { encoding: 'utf8' });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    assert.match(fs.readFileSync(path.join(tree, 'etc/fstab'), 'utf8'), /^tmpfs \/tmp tmpfs nodev,nosuid,noexec 0 0$/m);
  });

  test('modprobe --showconfig shows the install lines', () => {
    const result = spawnSync('modprobe', ['-C', path.join(tree, 'etc/modprobe.d'), '--showconfig'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    for (const module of ['cramfs', 'freevxfs', 'dccp', 'sctp']) {
      assert.match(result.stdout, new RegExp(`^install ${module} /bin/true$`, 'm'), module);
    }
  });

  test('audit passes every control with a remediation', () => {
    const report = runAudit(openTarget({ root: tree, container: 'no' }), { level: 3 });
    // Controls the plan left to the operator (this tree has no iptables init script) are excluded.
    const failing = report.results.filter(
      (result) => hasRemedy(result.control.check.kind) && !manual.has(result.control.id) && result.status !== 'pass' && result.status !== 'not-applicable',
    );
    assert.ok(manual.has('service.iptables'));
    assert.deepEqual(
      failing.map((result) => `${result.control.id}: ${result.reason?.en ?? ''}`),
      [],
    );
  });

  test('second apply changes nothing', async () => {
    const result = await run(['apply', '--root', tree, '--level', '3', '--container', 'no']);
    assert.equal(result.code, 0, result.stdout);
    assert.match(result.stdout, /nothing to change/);
  });

  test('rollback restores hashes, modes and owners', async () => {
    const result = await run(['rollback', transaction, '--root', tree]);
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    const now = manifest(tree);
    for (const [file, entry] of beforeApply) assert.deepEqual(now.get(file), entry, file);
    const added = [...now.keys()].filter((file) => !beforeApply.has(file));
    assert.deepEqual(added, []);
  });
});

describe('sshd files from the field, read back by sshd -T', () => {
  let tree = '';
  const main = 'Include /etc/ssh/sshd_config.d/*.conf\r\nInclude /etc/ssh/empty.d/*.conf\r\nusepam yes\r\nMatch all\r\n  X11Forwarding no\r\n';
  const admins = '# set by the admins\r\npasswordauthentication "yes"\r\n';

  before(() => {
    tree = copyTree(debianTree());
    addAdmin(tree);
    fs.writeFileSync(path.join(tree, 'etc/ssh/sshd_config'), main);
    fs.writeFileSync(path.join(tree, 'etc/ssh/sshd_config.d/00-admin.conf'), admins);
  });
  after(() => removeTree(tree));

  test('drop-in before ours is edited', async () => {
    const result = await run(['apply', '--root', tree, '--level', '1', '--container', 'no']);
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    assert.equal(fs.readFileSync(path.join(tree, 'etc/ssh/sshd_config.d/00-admin.conf'), 'utf8'), '# set by the admins\r\npasswordauthentication no\r\n');
    assert.equal(fs.readFileSync(path.join(tree, 'etc/ssh/sshd_config'), 'utf8'), main);

    const effective = inTree(tree, ['/usr/sbin/sshd', '-T', '-C', 'user=admin,host=client,addr=198.18.0.2']);
    assert.equal(effective.status, 0, effective.output);
    assert.match(effective.output, /^passwordauthentication no$/m);
    assert.match(effective.output, /^permitrootlogin no$/m);
  });

  test('rollback restores the CRLF files', async () => {
    const result = await run(['rollback', '--root', tree]);
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    assert.equal(fs.readFileSync(path.join(tree, 'etc/ssh/sshd_config.d/00-admin.conf'), 'utf8'), admins);
    assert.equal(fs.existsSync(path.join(tree, 'etc/ssh/sshd_config.d/00-kimigayo-harden.conf')), false);
  });
});

describe('sshd config that sshd -t already rejects', () => {
  let tree = '';
  before(() => {
    tree = copyTree(debianTree());
    addAdmin(tree);
    fs.appendFileSync(path.join(tree, 'etc/ssh/sshd_config'), 'Bogus yes\n');
  });
  after(() => removeTree(tree));

  test('apply names the current files', async () => {
    const sshdConfig = fs.readFileSync(path.join(tree, 'etc/ssh/sshd_config'));
    const result = await run(['apply', '--root', tree, '--level', '1', '--container', 'no']);
    assert.equal(result.code, 2, result.stdout);
    assert.match(result.stderr, /refused: sshd -t already rejects the current files: .*Bad configuration option: Bogus/);
    assert.match(result.stderr, /fix them first, nothing was written/);
    assert.doesNotMatch(result.stderr, /\r/, 'the CRLF of sshd output is gone');
    assert.match(result.stdout, /^check FAILED \(the current files fail too\): sshd -t$/m);
    assert.deepEqual(fs.readFileSync(path.join(tree, 'etc/ssh/sshd_config')), sshdConfig);
    assert.equal(fs.existsSync(path.join(tree, 'etc/ssh/sshd_config.d/00-kimigayo-harden.conf')), false);
  });
});

describe('candidate validation with the real programs', () => {
  function candidate(file: string, content: string): FilePlan {
    const bytes = Buffer.from(content);
    const state = { sha256: '', mode: 0o600, uid: 0, gid: 0, size: bytes.length };
    return { change: { path: file, content: bytes }, hostPath: '', before: null, beforeBytes: null, after: state, afterBytes: bytes, diff: '', reasons: [] };
  }

  test('sshd -t rejects an invalid drop-in', () => {
    const result = validateSshd(debianTree(), [candidate('/etc/ssh/sshd_config.d/00-kimigayo-harden.conf', 'PermitRootLogin maybe\n')]);
    assert.equal(result.skipped, undefined);
    assert.equal(result.ok, false);
    assert.match(result.output, /permitrootlogin|PermitRootLogin|maybe/i);
  });

  test('sshd -t accepts a valid drop-in', () => {
    const result = validateSshd(debianTree(), [candidate('/etc/ssh/sshd_config.d/00-kimigayo-harden.conf', 'PermitRootLogin no\n')]);
    assert.equal(result.ok, true, result.output);
    assert.equal(result.skipped, undefined);
  });

  test('drop-in directory linked by absolute path', () => {
    // The link points inside the target; on the host the same path must stay untouched.
    const linked = `/srv/kh-ssh-${process.pid}.d`;
    const tree = copyTree(debianTree());
    try {
      fs.mkdirSync(path.join(tree, linked), { recursive: true });
      fs.rmSync(path.join(tree, 'etc/ssh/sshd_config.d'), { recursive: true, force: true });
      fs.symlinkSync(linked, path.join(tree, 'etc/ssh/sshd_config.d'));

      const bad = validateSshd(tree, [candidate('/etc/ssh/sshd_config.d/00-kimigayo-harden.conf', 'PermitRootLogin maybe\n')]);
      assert.equal(bad.skipped, undefined);
      assert.equal(bad.ok, false, 'sshd read the candidate through the link');
      const good = validateSshd(tree, [candidate('/etc/ssh/sshd_config.d/00-kimigayo-harden.conf', 'PermitRootLogin no\n')]);
      assert.equal(good.ok, true, good.output);
      assert.equal(fs.existsSync(linked), false, 'nothing was written on the host');
      assert.deepEqual(fs.readdirSync(path.join(tree, linked)), [], 'nothing was written in the target');
    } finally {
      removeTree(tree);
    }
  });

  test('findmnt reports only new fstab errors', () => {
    const broken = candidate('/etc/fstab', 'tmpfs /tmp tmpfs nodev,nosuid,noexec 0 0\ntmpfs relative tmpfs defaults 0 0\n');
    const result = validateFstab(debianTree(), [broken]);
    assert.equal(result.ok, false);
    assert.match(result.output, /^relative: \[E\]/);
  });
});
