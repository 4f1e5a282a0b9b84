import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { parseDaemonJson } from '../../src/docker/daemonJson.js';
import { addSubidRange, readSubidState, remapNames, usernsFindings } from '../../src/docker/userns.js';
import { RootFs } from '../../src/target/rootfs.js';
import { ScratchTrees } from '../helpers/fixture.js';

describe('userns-remap subordinate ranges', () => {
  const trees = new ScratchTrees(`kh-userns-${process.pid}-`);
  after(() => trees.removeAll());

  test('remap names', () => {
    assert.deepEqual(remapNames('default'), { user: 'dockremap', group: 'dockremap' });
    assert.deepEqual(remapNames('app:apps'), { user: 'app', group: 'apps' });
    assert.deepEqual(remapNames('app'), { user: 'app', group: 'app' });
  });

  test('new range starts after existing ones', () => {
    assert.equal(addSubidRange(undefined, 'dockremap'), 'dockremap:165536:65536\n');
    assert.equal(addSubidRange('# ranges\nalice:100000:65536\nbob:300000:1000', 'dockremap'), '# ranges\nalice:100000:65536\nbob:300000:1000\ndockremap:301000:65536\n');
  });

  test('missing files and lines are errors', () => {
    const daemon = parseDaemonJson('{\n  "userns-remap": "default"\n}\n', '/etc/docker/daemon.json');
    const none = usernsFindings(daemon, new RootFs(trees.create({ '/etc/hostname': 'x\n' })));
    assert.deepEqual(
      none.map((finding) => [finding.code, finding.line, finding.value]),
      [
        ['daemon-json.userns-no-subid', 2, '/etc/subuid'],
        ['daemon-json.userns-no-subid', 2, '/etc/subgid'],
      ],
    );
    const half = trees.create({ '/etc/subuid': 'dockremap:165536:65536\n', '/etc/subgid': 'other:165536:65536\n' });
    assert.deepEqual(
      usernsFindings(daemon, new RootFs(half)).map((finding) => finding.value),
      ['/etc/subgid'],
    );
    assert.deepEqual(
      readSubidState(new RootFs(half), 'default').map((state) => state.hasRange),
      [true, false],
    );
  });

  test('no remap, no finding', () => {
    const daemon = parseDaemonJson('{"icc": false}', 'x');
    assert.deepEqual(usernsFindings(daemon, new RootFs(trees.create({ '/etc/hostname': 'x\n' }))), []);
  });
});
