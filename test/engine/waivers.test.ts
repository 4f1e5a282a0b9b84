import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../src/engine/audit.js';
import { openTarget } from '../../src/target/target.js';
import { WEAK_TREE, HARDENED_TREE, makeTree, removeTree } from '../helpers/fixture.js';

describe('waivers', () => {
  let weak = '';
  let hardened = '';
  before(() => {
    weak = makeTree(WEAK_TREE);
    hardened = makeTree(HARDENED_TREE);
  });
  after(() => {
    removeTree(weak);
    removeTree(hardened);
  });
  const today = new Date('2026-12-04T12:00:00Z');

  test('waived failing control reports the reason', () => {
    const profile = { waivers: [{ id: 'ssh.permitrootlogin', reason: 'console-less appliance', expires: '2026-12-31' }] };
    const report = runAudit(openTarget({ root: weak, container: 'no' }), { level: 1, profile, today, only: ['ssh.permitrootlogin'] });
    assert.equal(report.results[0]?.status, 'waived');
    assert.match(report.results[0]?.reason?.en ?? '', /waived until 2026-12-31: console-less appliance/);
    assert.equal(report.summary.waived, 1);
    assert.equal(report.summary.score, 0, 'a waived control is not a pass');
  });

  test('waiver on its last day still holds', () => {
    const profile = { waivers: [{ id: 'ssh.permitrootlogin', reason: 'r', expires: '2026-12-04' }] };
    const report = runAudit(openTarget({ root: weak, container: 'no' }), { level: 1, profile, today, only: ['ssh.permitrootlogin'] });
    assert.equal(report.results[0]?.status, 'waived');
  });

  test('expired waiver fails and says so', () => {
    const profile = { waivers: [{ id: 'ssh.permitrootlogin', reason: 'temporary', expires: '2026-11-30' }] };
    const report = runAudit(openTarget({ root: weak, container: 'no' }), { level: 1, profile, today, only: ['ssh.permitrootlogin'] });
    assert.equal(report.results[0]?.status, 'fail');
    assert.match(report.results[0]?.reason?.en ?? '', /waiver expired on 2026-11-30/);
    assert.match(report.results[0]?.reason?.ja ?? '', /例外の期限 2026-11-30 が過ぎています/);
  });

  test('waiver on a passing control changes nothing', () => {
    const profile = { waivers: [{ id: 'ssh.permitrootlogin', reason: 'r' }] };
    const report = runAudit(openTarget({ root: hardened, container: 'no' }), { level: 1, profile, today, only: ['ssh.permitrootlogin'] });
    assert.equal(report.results[0]?.status, 'pass');
  });
});

describe('kept modules', () => {
  test('module in keepModules reports waived', () => {
    const root = makeTree({ ...WEAK_TREE, '/lib/modules/6.1.0-test/.keep': '' });
    try {
      const report = runAudit(openTarget({ root, container: 'no' }), { level: 3, profile: { keepModules: ['squashfs'] }, only: ['module.squashfs'] });
      assert.equal(report.results[0]?.status, 'waived');
      assert.match(report.results[0]?.reason?.en ?? '', /keepModules/);
    } finally {
      removeTree(root);
    }
  });
});
