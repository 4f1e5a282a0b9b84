import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, describe, test } from 'node:test';
import { runAudit } from '../../src/engine/audit.js';
import { openTarget } from '../../src/target/target.js';
import { ScratchTrees } from '../helpers/fixture.js';
import { dockerIoFile } from '../helpers/docker.js';

const TODAY = new Date('2026-12-04T00:00:00Z');
const FLY = fs.readFileSync('../shared/corpus/docker/fly-daemon.json', 'utf8');

function audit(root: string, only: string[]) {
  return runAudit(openTarget({ root, container: 'no' }), { level: 3, profile: {}, today: TODAY, only });
}

describe('docker audit controls', () => {
  const trees = new ScratchTrees(`kh-docker-audit-${process.pid}-`);
  after(() => trees.removeAll());

  test('docker run in local.d scripts is judged', () => {
    const root = trees.create({
      '/etc/os-release': 'ID=alpine\n',
      '/etc/local.d/app.start': '#!/bin/sh\ndocker run -d --name app \\\n  --privileged \\\n  app:1\n',
    });
    const report = audit(root, ['container.compose.no-privileged', 'container.compose.pinned-image']);
    const privileged = report.results.find((result) => result.control.id === 'container.compose.no-privileged');
    assert.equal(privileged?.status, 'fail');
    assert.deepEqual(privileged?.evidence.map((item) => [item.path, item.line, item.detail]), [['/etc/local.d/app.start', 3, 'docker run: privileged']]);
    assert.equal(report.results.find((result) => result.control.id === 'container.compose.pinned-image')?.status, 'pass');
  });

  test('no containers is not applicable', () => {
    const root = trees.create({ '/etc/os-release': 'ID=alpine\n', '/etc/local.d/motd.start': '#!/bin/sh\necho hello\n' });
    const result = audit(root, ['container.compose.read-only']).results[0];
    assert.equal(result?.status, 'not-applicable');
  });

  test("Debian's unit and a hosts key cannot start", () => {
    const root = trees.create({
      '/etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
      '/usr/sbin/dockerd': '',
      '/lib/systemd/system/docker.service': fs.readFileSync(dockerIoFile('lib/systemd/system/docker.service'), 'utf8'),
      '/etc/docker/daemon.json': FLY,
    });
    const report = audit(root, ['docker.daemon.startable', 'docker.daemon.tcp-tls', 'docker.daemon.icc']);
    const status = Object.fromEntries(report.results.map((result) => [result.control.id, result.status]));
    assert.deepEqual(status, { 'docker.daemon.startable': 'fail', 'docker.daemon.tcp-tls': 'fail', 'docker.daemon.icc': 'fail' });
    const startable = report.results.find((result) => result.control.id === 'docker.daemon.startable');
    assert.match(startable?.reason?.en ?? '', /"hosts" is also set by the dockerd flag --host in \/lib\/systemd\/system\/docker.service/);
  });

  test('invalid daemon.json is an error, not a pass', () => {
    const root = trees.create({ '/etc/os-release': 'ID=alpine\n', '/etc/docker/daemon.json': '{"icc": false,}' });
    const report = audit(root, ['docker.daemon.icc', 'docker.daemon.startable', 'docker.daemon.tcp-tls']);
    const status = Object.fromEntries(report.results.map((result) => [result.control.id, result.status]));
    assert.equal(status['docker.daemon.icc'], 'error');
    assert.equal(status['docker.daemon.startable'], 'fail');
    assert.equal(status['docker.daemon.tcp-tls'], 'error');
  });

  test('without Docker the controls do not apply', () => {
    const root = trees.create({ '/etc/os-release': 'ID=alpine\n' });
    const report = audit(root, ['docker.daemon.icc', 'docker.daemon.startable']);
    assert.ok(report.results.every((result) => result.status === 'not-applicable'));
  });
});
