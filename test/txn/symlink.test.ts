import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { UsageError } from '../../src/target/target.js';
import { applyFileChanges, driftedFiles, readManifest, rollbackTransaction } from '../../src/txn/index.js';
import { ScratchTrees } from '../helpers/fixture.js';

const scratch = new ScratchTrees(`kh-txnlink-${process.pid}-`);
after(() => scratch.removeAll());

function tree(): string {
  return scratch.create({
    'etc/init.d/auditd': '#!/sbin/openrc-run\n',
    'etc/init.d/crond': '#!/sbin/openrc-run\n',
    'etc/runlevels/boot/crond': '->/etc/init.d/auditd',
    'etc/runlevels/boot/plain': 'a regular file\n',
  });
}

describe('transaction symbolic links', () => {
  test('create in a new directory, then roll back', () => {
    const root = tree();
    const result = applyFileChanges(root, [{ path: '/etc/runlevels/default/auditd', symlink: '/etc/init.d/auditd' }], 'test');
    assert.ok(result.id);
    const link = path.join(root, 'etc/runlevels/default/auditd');
    assert.equal(fs.readlinkSync(link), '/etc/init.d/auditd');
    assert.deepEqual(driftedFiles(root, readManifest(root, result.id)), []);

    rollbackTransaction(root, result.id);
    assert.equal(fs.existsSync(path.join(root, 'etc/runlevels/default')), false);
    assert.equal(fs.existsSync(path.join(root, 'etc/init.d/auditd')), true);
  });

  test('same link again changes nothing', () => {
    const root = tree();
    applyFileChanges(root, [{ path: '/etc/runlevels/default/auditd', symlink: '/etc/init.d/auditd' }], 'test');
    const again = applyFileChanges(root, [{ path: '/etc/runlevels/default/auditd', symlink: '/etc/init.d/auditd' }], 'test');
    assert.equal(again.id, undefined);
  });

  test('replace link and file, restore both', () => {
    const root = tree();
    const result = applyFileChanges(
      root,
      [
        { path: '/etc/runlevels/boot/crond', symlink: '/etc/init.d/crond' },
        { path: '/etc/runlevels/boot/plain', symlink: '/etc/init.d/crond' },
      ],
      'test',
    );
    assert.ok(result.id);
    assert.equal(fs.readlinkSync(path.join(root, 'etc/runlevels/boot/crond')), '/etc/init.d/crond');
    // The target of the replaced link is left alone: only the link itself changes.
    assert.equal(fs.readFileSync(path.join(root, 'etc/init.d/auditd'), 'utf8'), '#!/sbin/openrc-run\n');

    rollbackTransaction(root, result.id);
    assert.equal(fs.readlinkSync(path.join(root, 'etc/runlevels/boot/crond')), '/etc/init.d/auditd');
    assert.equal(fs.lstatSync(path.join(root, 'etc/runlevels/boot/plain')).isFile(), true);
    assert.equal(fs.readFileSync(path.join(root, 'etc/runlevels/boot/plain'), 'utf8'), 'a regular file\n');
  });

  test('retargeted link counts as drift', () => {
    const root = tree();
    const result = applyFileChanges(root, [{ path: '/etc/runlevels/default/auditd', symlink: '/etc/init.d/auditd' }], 'test');
    assert.ok(result.id);
    const link = path.join(root, 'etc/runlevels/default/auditd');
    fs.rmSync(link);
    fs.symlinkSync('/etc/init.d/crond', link);
    assert.deepEqual(driftedFiles(root, readManifest(root, result.id)), ['/etc/runlevels/default/auditd']);
  });

  test('directory in the way is rejected', () => {
    const root = tree();
    assert.throws(() => applyFileChanges(root, [{ path: '/etc/runlevels/boot', symlink: '/etc/init.d/auditd' }], 'test'), UsageError);
  });
});
