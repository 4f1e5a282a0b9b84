import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { hasOptions, liveMounts, loadFstab, normalizeMountPoint } from '../../src/model/fstab.js';
import { RootFs } from '../../src/target/rootfs.js';
import { ScratchTrees } from '../helpers/fixture.js';
import type { TextTree } from '../helpers/fixture.js';

const scratch = new ScratchTrees('kh-fstab-');
after(() => scratch.removeAll());

function makeTree(files: TextTree): RootFs {
  return new RootFs(scratch.create(files));
}

const KIMIGAYO_FSTAB = [
  '# <file system> <mount point>   <type>  <options>               <dump>  <pass>',
  'proc            /proc           proc    defaults                0       0',
  'sysfs           /sys            sysfs   defaults                0       0',
  'devpts          /dev/pts        devpts  gid=5,mode=620          0       0',
  'tmpfs           /run            tmpfs   defaults                0       0',
  'tmpfs           /tmp            tmpfs   defaults                0       0',
  '',
].join('\n');

describe('loadFstab', () => {
  test('Kimigayo fstab entries', () => {
    const model = loadFstab(makeTree({ 'etc/fstab': KIMIGAYO_FSTAB }));
    assert.deepEqual(model.problems, []);
    assert.equal(model.entries.length, 5);
    const tmp = model.entriesFor('/tmp/');
    assert.equal(tmp.length, 1);
    assert.equal(tmp[0]?.line, 6);
    assert.equal(hasOptions(tmp[0]!, ['nodev', 'nosuid', 'noexec']), false);
    assert.deepEqual(model.entriesFor('/var/tmp'), []);
  });

  test('duplicate entries for one mount point', () => {
    const model = loadFstab(makeTree({ 'etc/fstab': `${KIMIGAYO_FSTAB}tmpfs /tmp tmpfs defaults,nodev,nosuid,noexec 0 0\n` }));
    assert.deepEqual(
      model.entriesFor('/tmp').map((entry) => entry.line),
      [6, 7],
    );
  });

  test('escaped mount point matches', () => {
    const model = loadFstab(makeTree({ 'etc/fstab': '/dev/sdb1 /media/usb\\040stick/ vfat noauto,user 0 0\n' }));
    assert.equal(model.entriesFor('/media/usb stick')[0]?.vfstype, 'vfat');
  });

  test('missing fstab is empty, not a problem', () => {
    const model = loadFstab(makeTree({ 'etc/hostname': 'x\n' }));
    assert.equal(model.document, undefined);
    assert.deepEqual(model.entries, []);
    assert.deepEqual(model.problems, []);
  });

  test('binary fstab is a file problem', () => {
    const model = loadFstab(makeTree({ 'etc/fstab': Buffer.from('tmpfs /tmp\u0000 tmpfs defaults 0 0\n') }));
    assert.deepEqual(
      model.problems.map((p) => [p.code, p.path, p.mountPointHint]),
      [['fstab.file-binary', '/etc/fstab', undefined]],
    );
  });

  test('bad line gives a mount point hint', () => {
    const model = loadFstab(makeTree({ 'etc/fstab': 'proc /proc proc defaults 0 0\ntmpfs /var/tmp\n' }));
    assert.deepEqual(
      model.problems.map((p) => [p.code, p.line, p.mountPointHint]),
      [['fstab.too-few-fields', 2, '/var/tmp']],
    );
  });

  test('normalizeMountPoint', () => {
    assert.equal(normalizeMountPoint('/'), '/');
    assert.equal(normalizeMountPoint('//'), '/');
    assert.equal(normalizeMountPoint('/var//tmp/'), '/var/tmp');
  });
});

describe('liveMounts', () => {
  test('last mount on a point is visible', () => {
    const live = liveMounts(
      [
        'overlay / overlay rw,relatime 0 0',
        'tmpfs /tmp tmpfs rw,nosuid,nodev,noexec 0 0',
        'tmpfs /tmp tmpfs rw,relatime 0 0',
        'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0',
        '',
      ].join('\n'),
    );
    assert.equal(live.visibleMount('/tmp/')?.options.includes('noexec'), false);
    assert.equal(live.mountsAt('/tmp').length, 2);
    assert.equal(live.visibleMount('/var/tmp'), undefined);
    assert.equal(live.visibleMount('/')?.vfstype, 'overlay');
  });

  test('host mount table parses without errors', { skip: !fs.existsSync('/proc/self/mounts') && 'no /proc' }, () => {
    const live = liveMounts(fs.readFileSync('/proc/self/mounts', 'utf8'));
    assert.deepEqual(live.document.diagnostics, []);
    assert.ok(live.visibleMount('/') !== undefined);
  });
});
