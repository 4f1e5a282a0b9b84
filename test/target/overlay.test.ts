import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OverlayRootFs } from '../../src/target/overlay.js';
import { makeTree, removeTree } from '../helpers/fixture.js';

describe('OverlayRootFs', () => {
  test('two names of one file share an entry', () => {
    const root = makeTree({
      '/etc/sysctl.conf': 'a = 1\n',
      '/etc/sysctl.d/99-sysctl.conf': { symlink: '../sysctl.conf' },
      '/etc/conf.d': { symlink: '/srv/conf' },
      '/srv/conf/net': 'x\n',
    });
    try {
      const overlay = new OverlayRootFs(root);
      overlay.writeFile('/etc/sysctl.d/99-sysctl.conf', 'a = 2\n', 'first');
      assert.equal(overlay.currentText('/etc/sysctl.conf'), 'a = 2\n');
      overlay.writeFile('/etc/sysctl.conf', 'a = 3\n', 'second');
      assert.equal(overlay.currentText('/etc/sysctl.d/99-sysctl.conf'), 'a = 3\n');

      overlay.writeFile('/etc/conf.d/new', 'y\n', 'third');
      assert.deepEqual(overlay.readdir('/etc/conf.d'), ['net', 'new'], 'a file created through a linked directory is listed there');
      assert.deepEqual(overlay.readdir('/srv/conf'), ['net', 'new']);

      const changes = overlay.changes();
      assert.deepEqual(changes.map((change) => [change.path, change.reasons]), [
        ['/etc/conf.d/new', ['third']],
        ['/etc/sysctl.d/99-sysctl.conf', ['first', 'second']],
      ]);
    } finally {
      removeTree(root);
    }
  });

  test('removing a link keeps its target', () => {
    const root = makeTree({ '/etc/init.d/telnetd': '#!/sbin/openrc-run\n', '/etc/runlevels/default/telnetd': { symlink: '/etc/init.d/telnetd' } });
    try {
      const overlay = new OverlayRootFs(root);
      overlay.remove('/etc/runlevels/default/telnetd', 'service', true);
      assert.equal(overlay.lstat('/etc/runlevels/default/telnetd'), undefined);
      assert.ok(overlay.exists('/etc/init.d/telnetd'));
      assert.deepEqual(overlay.readdir('/etc/runlevels/default'), []);
    } finally {
      removeTree(root);
    }
  });
});
