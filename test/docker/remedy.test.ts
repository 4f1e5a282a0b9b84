import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { runAudit } from '../../src/engine/audit.js';
import { makePlan } from '../../src/plan/plan.js';
import { openTarget } from '../../src/target/target.js';
import { applyFileChanges, rollbackTransaction } from '../../src/txn/index.js';
import { HARDENED_TREE, ScratchTrees } from '../helpers/fixture.js';

const FLY = fs.readFileSync('../shared/corpus/docker/fly-daemon.json', 'utf8');
const SECCOMP = HARDENED_TREE['/etc/docker/seccomp.json'] as string;
const DOCKER = ['docker.daemon.'];

describe('apply fixes daemon.json', () => {
  const trees = new ScratchTrees(`kh-docker-remedy-${process.pid}-`);
  after(() => trees.removeAll());

  test('guide keys, ranges and rollback', () => {
    const root = trees.create({
      '/etc/os-release': 'ID=alpine\n',
      '/usr/bin/dockerd': '',
      '/etc/docker/daemon.json': FLY,
      '/etc/docker/seccomp.json': SECCOMP,
    });
    const target = openTarget({ root, container: 'no' });
    const plan = makePlan(target, { level: 2, only: DOCKER });
    assert.deepEqual(
      plan.files.map((file) => file.change.path),
      ['/etc/docker/daemon.json', '/etc/subgid', '/etc/subuid'],
    );
    const status = Object.fromEntries(plan.after.results.map((result) => [result.control.id, result.status]));
    for (const key of ['icc', 'userns-remap', 'no-new-privileges', 'seccomp-profile', 'live-restore', 'userland-proxy', 'log-driver', 'log-opts', 'startable']) {
      assert.equal(status[`docker.daemon.${key}`], 'pass', key);
    }
    // The open TCP port needs the operator: the plan cannot choose certificates.
    assert.equal(status['docker.daemon.tcp-tls'], 'fail');
    assert.ok(plan.manual.some((result) => result.control.id === 'docker.daemon.tcp-tls'));
    assert.ok(plan.notes.some((note) => /restart dockerd/.test(note.message.en)));

    const written = applyFileChanges(root, plan.files.map((file) => file.change), 'test apply');
    const merged = JSON.parse(fs.readFileSync(path.join(root, 'etc/docker/daemon.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(merged['data-root'], '/data/docker', 'other keys stay');
    assert.equal(fs.readFileSync(path.join(root, 'etc/subuid'), 'utf8'), 'dockremap:165536:65536\n');
    const again = makePlan(openTarget({ root, container: 'no' }), { level: 2, only: DOCKER });
    assert.deepEqual(again.files, [], 'a second plan changes nothing');

    rollbackTransaction(root, written.id);
    assert.equal(fs.readFileSync(path.join(root, 'etc/docker/daemon.json'), 'utf8'), FLY);
    assert.equal(fs.existsSync(path.join(root, 'etc/subuid')), false);
  });

  test('flag-set keys are left out with a note', () => {
    const root = trees.create({
      '/etc/os-release': 'ID=alpine\n',
      '/usr/bin/dockerd': '',
      '/etc/conf.d/docker': 'DOCKER_OPTS="--icc=false"\n',
      '/etc/docker/seccomp.json': SECCOMP,
    });
    const plan = makePlan(openTarget({ root, container: 'no' }), { level: 2, only: DOCKER });
    const daemon = plan.files.find((file) => file.change.path === '/etc/docker/daemon.json');
    assert.ok(daemon !== undefined);
    assert.equal((JSON.parse(String(daemon.change.content)) as Record<string, unknown>).icc, undefined);
    assert.ok(plan.notes.some((note) => note.controlId === 'docker.daemon.icc' && /--icc in \/etc\/conf.d\/docker:1/.test(note.message.en)));
    const status = Object.fromEntries(plan.after.results.map((result) => [result.control.id, result.status]));
    assert.equal(status['docker.daemon.startable'], 'pass', 'the merge does not create a conflict');
  });

  test('invalid daemon.json is left alone', () => {
    const root = trees.create({ '/etc/os-release': 'ID=alpine\n', '/usr/bin/dockerd': '', '/etc/docker/daemon.json': '{"icc": true,}' });
    const plan = makePlan(openTarget({ root, container: 'no' }), { level: 2, only: DOCKER });
    assert.deepEqual(plan.files, []);
    assert.ok(plan.notes.some((note) => /daemon.json is left as it is/.test(note.message.en)));
  });

  test('no Docker, no change', () => {
    const root = trees.create({ '/etc/os-release': 'ID=alpine\n' });
    const before = runAudit(openTarget({ root, container: 'no' }), { level: 2, only: DOCKER });
    assert.ok(before.results.every((result) => result.status === 'not-applicable'));
    assert.deepEqual(makePlan(openTarget({ root, container: 'no' }), { level: 2, only: DOCKER }).files, []);
  });
});
