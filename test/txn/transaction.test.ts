import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, test } from 'node:test';
import {
  applyFileChanges,
  interruptedTransactions,
  latestTransaction,
  listManifests,
  prepareChanges,
  readManifest,
  rollbackCommand,
  rollbackTransaction,
  Transaction,
} from '../../src/txn/index.js';
import { UsageError } from '../../src/target/target.js';
import { createTransactionDir, writeManifest } from '../../src/txn/store.js';
import { makeTree, removeTree } from '../helpers/fixture.js';

function stateOf(root: string, file: string): { bytes: string; mode: number; uid: number; gid: number } {
  const host = path.join(root, file);
  const stat = fs.lstatSync(host);
  const bytes = stat.isSymbolicLink() ? `-> ${fs.readlinkSync(host)}` : fs.readFileSync(host, 'latin1');
  return { bytes, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid };
}

describe('transactions', () => {
  let root = '';
  beforeEach(() => {
    root = makeTree({
      '/etc/ssh/sshd_config': 'Port 22\r\nPermitRootLogin yes\n',
      '/etc/shadow': { content: 'root:!:19000::::::\n', mode: 0o640 },
      '/etc/runlevels/default/telnetd': { symlink: '/etc/init.d/telnetd' },
      '/etc/init.d/telnetd': '#!/sbin/openrc-run\n',
      '/etc/binary': '\u0000\u00ff\u00fe',
    });
    fs.chownSync(path.join(root, 'etc/shadow'), 0, 42);
  });
  afterEach(() => removeTree(root));

  test('apply and rollback restore bytes, modes and owners', () => {
    const files = ['/etc/ssh/sshd_config', '/etc/shadow', '/etc/runlevels/default/telnetd', '/etc/binary'];
    const before = files.map((file) => stateOf(root, file));
    const result = applyFileChanges(
      root,
      [
        { path: '/etc/ssh/sshd_config', content: 'Port 22\r\nPermitRootLogin no\n' },
        { path: '/etc/shadow', mode: 0o600 },
        { path: '/etc/runlevels/default/telnetd', content: null, noFollow: true },
        { path: '/etc/binary', content: Buffer.from([1, 2, 3]) },
        { path: '/etc/sysctl.d/99-security.conf', content: 'kernel.kptr_restrict = 2\n' },
      ],
      'test',
    );
    assert.ok(result.id !== undefined);
    assert.equal(fs.readFileSync(path.join(root, 'etc/ssh/sshd_config'), 'utf8'), 'Port 22\r\nPermitRootLogin no\n');
    assert.equal(stateOf(root, '/etc/shadow').mode, 0o600);
    assert.equal(stateOf(root, '/etc/shadow').gid, 42);
    assert.equal(fs.existsSync(path.join(root, 'etc/runlevels/default/telnetd')), false);
    assert.ok(fs.existsSync(path.join(root, 'etc/init.d/telnetd')), 'the link target stays');

    const rolled = rollbackTransaction(root, result.id);
    assert.deepEqual(rolled.removed, ['/etc/sysctl.d/99-security.conf']);
    assert.deepEqual(files.map((file) => stateOf(root, file)), before);
    assert.equal(fs.existsSync(path.join(root, 'etc/sysctl.d')), false, 'the directory it created is gone');
    assert.equal(readManifest(root, result.id).state, 'rolled-back');
  });

  test('second apply of the same changes makes no transaction', () => {
    const change = { path: '/etc/ssh/sshd_config', content: 'PermitRootLogin no\n' };
    assert.ok(applyFileChanges(root, [change], 'first').id !== undefined);
    assert.deepEqual(applyFileChanges(root, [change], 'second'), { changed: [] });
    assert.equal(listManifests(root).length, 1);
  });

  test('backups are readable by root only', () => {
    const result = applyFileChanges(root, [{ path: '/etc/shadow', content: 'root:*:1::::::\n' }], 'test');
    const dir = path.join(root, 'var/lib/kimigayo-harden/transactions', result.id as string);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(dir, 'files/0')).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(path.join(dir, 'files/0'), 'utf8'), 'root:!:19000::::::\n');
  });

  test('rollback refuses files changed after apply', () => {
    const result = applyFileChanges(root, [{ path: '/etc/ssh/sshd_config', content: 'PermitRootLogin no\n' }], 'test');
    fs.appendFileSync(path.join(root, 'etc/ssh/sshd_config'), 'Port 2222\n');
    assert.throws(() => rollbackTransaction(root, result.id), (error: unknown) => error instanceof UsageError && /changed after transaction/.test(error.message) && /--force/.test(error.message));
    rollbackTransaction(root, result.id, { force: true });
    assert.equal(fs.readFileSync(path.join(root, 'etc/ssh/sshd_config'), 'utf8'), 'Port 22\r\nPermitRootLogin yes\n');
  });

  test('missing or altered backup stops rollback', () => {
    const result = applyFileChanges(
      root,
      [
        { path: '/etc/ssh/sshd_config', content: 'PermitRootLogin no\n' },
        { path: '/etc/shadow', content: 'changed\n' },
      ],
      'test',
    );
    const id = result.id as string;
    const files = readManifest(root, id).files;
    const backupOf = (file: string): string => path.join(root, 'var/lib/kimigayo-harden/transactions', id, files.find((entry) => entry.path === file)?.backup as string);

    fs.rmSync(backupOf('/etc/shadow'));
    fs.writeFileSync(backupOf('/etc/ssh/sshd_config'), 'Port 22\n');
    for (const force of [false, true]) {
      assert.throws(
        () => rollbackTransaction(root, id, { force }),
        (error: unknown) => error instanceof UsageError && error.message.includes('the backup of /etc/ssh/sshd_config, /etc/shadow is missing or does not match its recorded SHA-256; nothing was restored'),
      );
    }
    assert.equal(readManifest(root, id).state, 'committed', 'the transaction stays as it was');
    assert.equal(fs.readFileSync(path.join(root, 'etc/shadow'), 'utf8'), 'changed\n');
  });

  test('interrupted transaction is found and rolled back', () => {
    const prepared = prepareChanges(root, [
      { path: '/etc/ssh/sshd_config', content: 'PermitRootLogin no\n' },
      { path: '/etc/shadow', content: 'changed\n' },
    ]);
    const transaction = Transaction.begin(root, 'killed apply', prepared);
    // The files are written but the commit never happens, as when the process dies before it.
    transaction.writeFiles({ KIMIGAYO_HARDEN_TEST_STOP_AFTER_WRITES: undefined });
    assert.equal(readManifest(root, transaction.id).state, 'applying');
    assert.equal(interruptedTransactions(root).length, 1);
    assert.throws(() => applyFileChanges(root, [{ path: '/etc/binary', content: 'x' }], 'next'), /was interrupted/);
    rollbackTransaction(root, undefined);
    assert.equal(fs.readFileSync(path.join(root, 'etc/shadow'), 'utf8'), 'root:!:19000::::::\n');
    assert.equal(interruptedTransactions(root).length, 0);
  });

  test('unknown transaction id is a usage error', () => {
    assert.throws(() => rollbackTransaction(root, '20260101T000000Z-000000'), UsageError);
    assert.throws(() => rollbackTransaction(root, '../../etc'), /not a transaction id/);
  });

  test('nothing to roll back', () => {
    assert.throws(() => rollbackTransaction(root, undefined), /no transaction to roll back/);
  });

  test('store follows a linked /var inside the root', () => {
    fs.mkdirSync(path.join(root, 'data/var/lib'), { recursive: true });
    fs.symlinkSync('/data/var', path.join(root, 'var'));
    const result = applyFileChanges(root, [{ path: '/etc/binary', content: 'x' }], 'test');
    const id = result.id as string;
    assert.ok(fs.existsSync(path.join(root, 'data/var/lib/kimigayo-harden/transactions', id, 'manifest.json')));
    assert.deepEqual(listManifests(root).map((manifest) => manifest.id), [id]);
    rollbackTransaction(root, id);
    assert.equal(fs.readFileSync(path.join(root, 'etc/binary'), 'utf8'), '\u0000\u00ff\u00fe');
  });

  test('same-second transactions sort by time', () => {
    // The random suffix of the newer id sorts first, as it does by chance for half of all pairs.
    const older = { id: '20261204T203000Z-ffffff', createdAt: '2026-12-04T20:30:00.100Z' };
    const newer = { id: '20261204T203000Z-000000', createdAt: '2026-12-04T20:30:00.900Z' };
    for (const item of [older, newer]) {
      createTransactionDir(root, item.id);
      writeManifest(root, { formatVersion: 1, ...item, toolVersion: 'test', description: 'test', state: 'committed', files: [], createdDirectories: [], runtime: [] });
    }
    assert.deepEqual(listManifests(root).map((manifest) => manifest.id), [older.id, newer.id]);
    assert.equal(latestTransaction(root)?.id, newer.id);
  });

  test('directory without a manifest is skipped', () => {
    fs.mkdirSync(path.join(root, 'var/lib/kimigayo-harden/transactions/20261204T000000Z-abcdef/files'), { recursive: true });
    assert.deepEqual(listManifests(root), []);
    assert.deepEqual(interruptedTransactions(root), []);
  });

  test('two changes to one file are rejected', () => {
    assert.throws(() => prepareChanges(root, [{ path: '/etc/shadow', mode: 0o600 }, { path: '/etc/shadow', mode: 0o400 }]), /two changes/);
  });
});

describe('write failures', () => {
  test('failed write restores the files already written', (t) => {
    const root = makeTree({ '/etc/a.conf': 'a=1\n', '/etc/locked/b.conf': 'b=1\n' });
    const locked = path.join(root, 'etc/locked');
    try {
      // A directory made immutable stands in for a read-only or full file system; root ignores mode bits.
      const immutable = spawnSync('chattr', ['+i', locked]);
      if (immutable.status !== 0) {
        t.skip('chattr +i is not supported on this file system');
        return;
      }
      assert.throws(
        () => applyFileChanges(root, [{ path: '/etc/a.conf', content: 'a=2\n' }, { path: '/etc/locked/b.conf', content: 'b=2\n' }], 'test'),
        (error: unknown) => error instanceof UsageError && /cannot write \/etc\/locked\/b\.conf/.test(error.message) && /restored/.test(error.message),
      );
      assert.equal(fs.readFileSync(path.join(root, 'etc/a.conf'), 'utf8'), 'a=1\n');
      assert.equal(interruptedTransactions(root).length, 0);
    } finally {
      spawnSync('chattr', ['-i', locked]);
      removeTree(root);
    }
  });
});

describe('read-only target', () => {
  const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/kimigayo-harden.js');

  /** Run the CLI with the tree bind-mounted read-only in a private mount namespace, so the host's mounts never change. */
  function runReadOnly(root: string, args: string[]): { status: number | null; stderr: string } {
    const script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec node "$@"';
    const result = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', root, cli, ...args], { encoding: 'utf8' });
    return { status: result.status, stderr: result.stderr };
  }

  test('apply and rollback exit 2 with a clear error', (t) => {
    if (spawnSync('unshare', ['--mount', 'true']).status !== 0) {
      t.skip('cannot make a mount namespace here');
      return;
    }
    const root = makeTree({ '/etc/os-release': 'ID=alpine\n', '/etc/fstab': '# empty\n' });
    try {
      for (const args of [['apply', '--root', root, '--level', '1', '--allow-lockout'], ['rollback', '--root', root]]) {
        const result = runReadOnly(root, args);
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, /cannot create the lock \/var\/lib\/kimigayo-harden\/lock .*read-only file system.*nothing was changed/);
        assert.doesNotMatch(result.stderr, /internal error/);
      }
      assert.equal(fs.existsSync(path.join(root, 'var')), false);
    } finally {
      removeTree(root);
    }
  });

  test('full backup directory changes nothing', (t) => {
    if (spawnSync('unshare', ['--mount', 'true']).status !== 0) {
      t.skip('cannot make a mount namespace here');
      return;
    }
    const root = makeTree({ '/etc/os-release': 'ID=alpine\n', '/etc/fstab': '# empty\n', '/var/lib/kimigayo-harden/.keep': '' });
    try {
      // A 64 KiB tmpfs, nearly filled, on the backup directory inside a private mount namespace.
      const store = path.join(root, 'var/lib/kimigayo-harden');
      const script = 'mount -t tmpfs -o size=64k tmpfs "$1" && head -c 57344 /dev/zero > "$1/filler" && shift && exec node "$@"';
      const result = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', store, cli, 'apply', '--root', root, '--level', '3', '--allow-lockout', '--container', 'no'], { encoding: 'utf8' });
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, /cannot write the backups to .*ENOSPC.*nothing was changed/);
      assert.equal(fs.readFileSync(path.join(root, 'etc/fstab'), 'utf8'), '# empty\n');
      assert.equal(fs.existsSync(path.join(root, 'etc/sysctl.d')), false);
    } finally {
      removeTree(root);
    }
  });
});

describe('rollback hints', () => {
  test('root flag only off the live host', () => {
    const id = '20261204T203000Z-1a2b3c';
    assert.equal(rollbackCommand('/', id), `kimigayo-harden rollback ${id}`);
    assert.equal(rollbackCommand('/srv/rootfs', id, ' --force'), `kimigayo-harden rollback ${id} --force --root /srv/rootfs`);
    assert.equal(rollbackCommand("/srv/it's here", id), `kimigayo-harden rollback ${id} --root '/srv/it'\\''s here'`);
  });
});

describe('rollback after a kill', () => {
  test('temporary files of a killed write are removed', () => {
    const root = makeTree({ '/etc/a.conf': 'a=1\n', '/etc/.a.conf.other': 'not ours\n' });
    try {
      const prepared = prepareChanges(root, [{ path: '/etc/a.conf', content: 'a=2\n' }]);
      Transaction.begin(root, 'killed before the rename', prepared);
      // What a process killed between writing the temporary file and renaming it leaves behind.
      fs.writeFileSync(path.join(root, 'etc/.a.conf.kh-0123456789ab'), 'a=');
      rollbackTransaction(root, undefined);
      assert.deepEqual(fs.readdirSync(path.join(root, 'etc')).sort(), ['.a.conf.other', 'a.conf']);
      assert.equal(fs.readFileSync(path.join(root, 'etc/a.conf'), 'utf8'), 'a=1\n');
    } finally {
      removeTree(root);
    }
  });
});
