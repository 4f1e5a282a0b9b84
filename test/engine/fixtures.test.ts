import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CATALOG } from '../../src/catalog/index.js';
import { runAudit } from '../../src/engine/audit.js';
import type { AuditReport } from '../../src/engine/audit.js';
import { openTarget } from '../../src/target/target.js';
import { HARDENED_TREE, WEAK_OVERLAYS, WEAK_TREE, makeTree, removeTree, writeTree } from '../helpers/fixture.js';
import { fakeProc } from '../helpers/fakeproc.js';
import { hostRuntime } from '../../src/target/runtime.js';

const TODAY = new Date('2026-12-04T00:00:00Z');

/**
 * Every control passes on the hardened tree and fails on the weak one. Controls that only a
 * running system can judge use a fake /proc (a stand-in for the kernel, which cannot be made to
 * listen on ports or load modules in a test) and are listed in LIVE_ONLY.
 */
const LIVE_ONLY = new Set(['network.listening-ports']);

describe('every control on fixture trees', () => {
  let hardenedRoot = '';
  let weakRoot = '';
  let hardened: AuditReport;
  let weak: AuditReport;

  before(() => {
    hardenedRoot = makeTree(HARDENED_TREE);
    weakRoot = makeTree(WEAK_TREE);
    hardened = runAudit(openTarget({ root: hardenedRoot, container: 'no' }), { level: 3, profile: { ipv6: false }, today: TODAY });
    weak = runAudit(openTarget({ root: weakRoot, container: 'no' }), { level: 3, profile: { ipv6: false }, today: TODAY });
  });

  after(() => {
    removeTree(hardenedRoot);
    removeTree(weakRoot);
  });

  for (const control of CATALOG) {
    if (LIVE_ONLY.has(control.id)) continue;
    test(`${control.id} passes when hardened`, () => {
      const result = hardened.results.find((item) => item.control.id === control.id);
      assert.ok(result, 'result present');
      assert.equal(result.status, 'pass', `${result.reason?.en ?? ''} ${JSON.stringify(result.evidence)}`);
    });
    test(`${control.id} fails when weak`, () => {
      const overlay = WEAK_OVERLAYS[control.id];
      let report = weak;
      let root = '';
      if (overlay !== undefined) {
        root = makeTree(WEAK_TREE);
        writeTree(root, overlay.files ?? {});
        report = runAudit(openTarget({ root, container: 'no' }), { level: 3, profile: overlay.profile ?? { ipv6: false }, today: TODAY, only: [control.id] });
        removeTree(root);
      }
      const result = report.results.find((item) => item.control.id === control.id);
      assert.ok(result, 'result present');
      assert.equal(result.status, 'fail', `${result.reason?.en ?? ''} ${JSON.stringify(result.evidence)}`);
      assert.ok(result.reason !== undefined, 'a failure has a reason');
      assert.ok(result.reason.en.length > 0, 'English reason');
      assert.ok(result.reason.ja.length > 0, 'Japanese reason');
    });
  }

  test('network.listening-ports passes and fails on a fake /proc', () => {
    const proc = fakeProc();
    try {
      const runtimeOf = (listening: number[]) => {
        proc.listen(listening);
        // The loaded rule set comes from the tree's rule file, not from this machine's iptables-save.
        return { ...hostRuntime(proc.root), firewallSave: () => undefined, auditctlList: () => undefined };
      };
      const pass = runAudit(openTarget({ root: hardenedRoot, container: 'no', runtime: runtimeOf([22]) }), { level: 2, today: TODAY, only: ['network.listening-ports'] });
      assert.equal(pass.results[0]?.status, 'pass', pass.results[0]?.reason?.en);
      const failing = runAudit(openTarget({ root: weakRoot, container: 'no', runtime: runtimeOf([22, 3306]) }), { level: 2, today: TODAY, only: ['network.listening-ports'] });
      assert.equal(failing.results[0]?.status, 'fail', failing.results[0]?.reason?.en);
    } finally {
      proc.remove();
    }
  });
});
