import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MAX_CONFIG_BYTES, RootFs, TargetError, normalizeTargetPath } from '../../src/target/rootfs.js';
import { makeTree, removeTree } from '../helpers/fixture.js';

function targetError(fn: () => unknown): TargetError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TargetError) return error;
    throw error;
  }
  assert.fail('expected a TargetError');
}

describe('RootFs', () => {
  let root = '';
  let outside = '';

  before(() => {
    outside = makeTree({ '/secret': 'host secret\n' }, 'kh-outside-');
    root = makeTree({
      '/etc/real.conf': 'inside\n',
      '/etc/abs-link': { symlink: '/etc/real.conf' },
      '/etc/rel-link': { symlink: '../etc/real.conf' },
      '/etc/escape': { symlink: '../../../../../../../../secret' },
      '/etc/host-abs': { symlink: path.join(outside, 'secret') },
      '/etc/loop-a': { symlink: '/etc/loop-b' },
      '/etc/loop-b': { symlink: '/etc/loop-a' },
      '/etc/dir-link': { symlink: '/usr/lib' },
      '/usr/lib/file': 'via dir link\n',
      '/etc/binary': '\u0000\u0001\u0002',
      '/etc/latin1': '',
      '/etc/crlf': 'a = 1\r\nb = 2',
    });
    fs.writeFileSync(path.join(root, 'etc/latin1'), Buffer.from([0x61, 0xe9, 0x0a]));
  });

  after(() => {
    removeTree(root);
    removeTree(outside);
  });

  test('reads a file inside the root', () => {
    assert.equal(new RootFs(root).readText('/etc/real.conf').text, 'inside\n');
  });

  test('absolute link target is read relative to the root', () => {
    assert.equal(new RootFs(root).readText('/etc/abs-link').text, 'inside\n');
  });

  test('relative link target resolves inside the root', () => {
    assert.equal(new RootFs(root).readText('/etc/rel-link').text, 'inside\n');
  });

  test('link climbing above the root is rejected', () => {
    assert.equal(targetError(() => new RootFs(root).readText('/etc/escape')).code, 'outside-root');
  });

  test('absolute link to a host path stays inside the root', () => {
    const error = targetError(() => new RootFs(root).readText('/etc/host-abs'));
    assert.equal(error.code, 'not-found');
  });

  test('symlink loop is reported', () => {
    assert.equal(targetError(() => new RootFs(root).readText('/etc/loop-a')).code, 'symlink-loop');
  });

  test('directory symlink in the middle of a path', () => {
    assert.equal(new RootFs(root).readText('/etc/dir-link/file').text, 'via dir link\n');
  });

  test('dot-dot in a requested path stops at the root', () => {
    assert.equal(normalizeTargetPath('/../../etc/./real.conf'), '/etc/real.conf');
    assert.equal(new RootFs(root).readText('/../../etc/real.conf').text, 'inside\n');
  });

  test('binary file is rejected', () => {
    assert.equal(targetError(() => new RootFs(root).readText('/etc/binary')).code, 'binary');
  });

  test('file over the size limit is rejected', () => {
    const big = path.join(root, 'etc/big.conf');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, MAX_CONFIG_BYTES + 1);
    try {
      assert.equal(targetError(() => new RootFs(root).readText('/etc/big.conf')).code, 'too-large');
    } finally {
      fs.rmSync(big);
    }
  });

  test('invalid UTF-8 is kept byte for byte as latin1', () => {
    const file = new RootFs(root).readText('/etc/latin1');
    assert.equal(file.encoding, 'latin1');
    assert.deepEqual(Buffer.from(file.text, 'latin1'), Buffer.from([0x61, 0xe9, 0x0a]));
  });

  test('missing files are undefined, not errors', () => {
    const rootFs = new RootFs(root);
    assert.equal(rootFs.readTextIfExists('/etc/none'), undefined);
    assert.equal(rootFs.stat('/no/such/dir/file'), undefined);
    assert.deepEqual(rootFs.readdir('/no/such/dir'), []);
  });

  test('glob sorts matches in byte order', () => {
    const rootFs = new RootFs(root);
    const matches = rootFs.glob('/etc/*-link', (name, pattern) => new RegExp(`^${pattern.replace(/\*/g, '.*')}$`).test(name));
    assert.deepEqual(matches, ['/etc/abs-link', '/etc/dir-link', '/etc/rel-link']);
  });
});
