import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { localize } from '../../src/core/text.js';
import { runAudit } from '../../src/engine/audit.js';
import type { AuditReport } from '../../src/engine/audit.js';
import type { ControlResult } from '../../src/engine/types.js';
import { openTarget } from '../../src/target/target.js';
import { writeTree } from '../helpers/fixture.js';
import { copyTree, debianTree, kimigayoTree, removeTree } from '../helpers/trees.js';

const TODAY = new Date('2026-12-04T00:00:00Z');

function resultOf(report: AuditReport, id: string): ControlResult {
  const result = report.results.find((item) => item.control.id === id);
  assert.ok(result, `no result for ${id}`);
  return result;
}

function audit(root: string): AuditReport {
  return runAudit(openTarget({ root }), { level: 3, today: TODAY });
}

describe('Kimigayo-like root file system', () => {
  let report: AuditReport;
  before(() => {
    report = audit(kimigayoTree());
  });

  test('is seen as Kimigayo with OpenRC', () => {
    assert.equal(report.target.os.id, 'kimigayo');
    assert.equal(report.target.os.family, 'alpine');
    assert.equal(report.target.init, 'openrc');
  });

  test('tcp_timestamps = 1 from the performance file fails with file and line', () => {
    const result = resultOf(report, 'sysctl.net.ipv4.tcp_timestamps');
    assert.equal(result.status, 'fail');
    assert.ok(result.evidence.some((item) => item.path === '/etc/sysctl.d/99-kimigayo-performance.conf' && typeof item.line === 'number'));
  });

  test('values the performance file already sets pass', () => {
    for (const id of ['sysctl.net.ipv4.tcp_syncookies', 'sysctl.kernel.randomize_va_space', 'sysctl.fs.suid_dumpable']) {
      assert.equal(resultOf(report, id).status, 'pass', id);
    }
  });

  test('absent subjects are not applicable', () => {
    for (const id of ['file./etc/gshadow.mode', 'ssh.permitrootlogin', 'ssh.passwordauthentication', 'service.iptables', 'boot.grub.password.40_custom', 'docker.daemon.icc', 'module.cramfs', 'firewall.ipv4.input-policy', 'service.auditd', 'audit.watch./etc/passwd']) {
      assert.equal(resultOf(report, id).status, 'not-applicable', id);
    }
  });

  test('account files pass', () => {
    for (const id of ['file./etc/passwd.mode', 'file./etc/group.mode', 'file./etc/shadow.mode']) assert.equal(resultOf(report, id).status, 'pass', id);
  });

  test('tmpfs /tmp with defaults only fails', () => {
    const result = resultOf(report, 'mount./tmp.noexec');
    assert.equal(result.status, 'fail');
    assert.ok(result.evidence.some((item) => item.path === '/etc/fstab'));
  });

  test('telnet and ftp pass', () => {
    assert.equal(resultOf(report, 'service.telnet').status, 'pass');
    assert.equal(resultOf(report, 'service.ftp').status, 'pass');
  });

  test('a later 99-security.conf wins over the performance file on BusyBox', () => {
    const copy = copyTree(kimigayoTree());
    try {
      writeTree(copy, { '/etc/sysctl.d/99-security.conf': 'net.ipv4.tcp_timestamps = 0\n' });
      const result = resultOf(audit(copy), 'sysctl.net.ipv4.tcp_timestamps');
      assert.equal(result.status, 'pass');
      assert.equal(result.evidence[0]?.path, '/etc/sysctl.d/99-security.conf');
      assert.ok(result.evidence.some((item) => item.path === '/etc/sysctl.d/99-kimigayo-performance.conf'), 'the losing file is reported too');
      assert.match(result.reason?.en ?? '', /99-kimigayo-performance\.conf/);
    } finally {
      removeTree(copy);
    }
  });

  test('a container marker makes kernel controls not applicable', () => {
    const copy = copyTree(kimigayoTree());
    try {
      writeTree(copy, { '/.dockerenv': '' });
      const report = audit(copy);
      assert.equal(report.target.container.container, true);
      const result = resultOf(report, 'sysctl.net.ipv4.tcp_timestamps');
      assert.equal(result.status, 'not-applicable');
      assert.match(result.reason?.en ?? '', /managed by the host/);
    } finally {
      removeTree(copy);
    }
  });
});

describe('Debian bookworm root file system', () => {
  let report: AuditReport;
  before(() => {
    report = audit(debianTree());
  });

  test('is seen as Debian with OpenRC', () => {
    assert.equal(report.target.os.family, 'debian');
    assert.equal(report.target.init, 'openrc');
  });

  test('PermitRootLogin falls back to the OpenSSH default and fails', () => {
    const result = resultOf(report, 'ssh.permitrootlogin');
    assert.equal(result.status, 'fail');
    assert.equal(result.actual, 'prohibit-password');
  });

  test('Debian shadow 640 root:shadow passes with a note', () => {
    const result = resultOf(report, 'file./etc/shadow.mode');
    assert.equal(result.status, 'pass');
    assert.match(localize(result.actual ?? '', 'en'), /^0640 root:shadow/);
    assert.match(result.reason?.en ?? '', /Debian/);
  });

  test('auditd enabled in the default runlevel passes offline', () => {
    assert.equal(resultOf(report, 'service.auditd').status, 'pass');
  });

  test('no firewall rule file fails', () => {
    assert.equal(resultOf(report, 'firewall.ipv4.persisted').status, 'fail');
  });

  test('sysctl keys the guide wants are not set', () => {
    assert.equal(resultOf(report, 'sysctl.kernel.kptr_restrict').status, 'fail');
  });

  test('GRUB without a password fails', () => {
    assert.equal(resultOf(report, 'boot.grub.password.40_custom').status, 'fail');
  });

  test('no error results on a clean tree', () => {
    const errors = report.results.filter((result) => result.status === 'error');
    assert.deepEqual(errors.map((result) => `${result.control.id}: ${result.reason?.en}`), []);
  });

  test('a drop-in PasswordAuthentication yes wins over the main file', () => {
    const copy = copyTree(debianTree());
    try {
      writeTree(copy, {
        '/etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\nPermitRootLogin no\n',
        '/etc/ssh/sshd_config.d/50-cloud-init.conf': 'PasswordAuthentication yes\n',
      });
      const result = resultOf(audit(copy), 'ssh.passwordauthentication');
      assert.equal(result.status, 'fail');
      assert.equal(result.evidence[0]?.path, '/etc/ssh/sshd_config.d/50-cloud-init.conf');
      assert.ok(result.evidence.some((item) => item.path === '/etc/ssh/sshd_config' && item.line === 2));
    } finally {
      removeTree(copy);
    }
  });

  test('a binary sysctl file makes sysctl controls error, the rest goes on', () => {
    const copy = copyTree(debianTree());
    try {
      writeTree(copy, { '/etc/sysctl.d/10-broken.conf': 'kernel.kptr_restrict = 2\u0000\u0001' });
      const broken = audit(copy);
      const result = resultOf(broken, 'sysctl.kernel.kptr_restrict');
      assert.equal(result.status, 'error');
      assert.ok(result.evidence.some((item) => item.path === '/etc/sysctl.d/10-broken.conf'));
      assert.equal(resultOf(broken, 'ssh.permitrootlogin').status, 'fail');
    } finally {
      removeTree(copy);
    }
  });

  test('a malformed sysctl line affects only its key', () => {
    const copy = copyTree(debianTree());
    try {
      writeTree(copy, { '/etc/sysctl.d/60-typo.conf': 'kernel.kptr_restrict 2\nkernel.dmesg_restrict = 1\n' });
      const typo = audit(copy);
      const result = resultOf(typo, 'sysctl.kernel.kptr_restrict');
      assert.equal(result.status, 'error');
      assert.ok(result.evidence.some((item) => item.path === '/etc/sysctl.d/60-typo.conf' && item.line === 1));
      assert.equal(resultOf(typo, 'sysctl.kernel.dmesg_restrict').status, 'pass');
    } finally {
      removeTree(copy);
    }
  });

  test('an sshd_config that links outside the root is an error', () => {
    const copy = copyTree(debianTree());
    try {
      writeTree(copy, { '/etc/ssh/sshd_config': { symlink: '../../../../../../../../etc/passwd' } });
      const result = resultOf(audit(copy), 'ssh.permitrootlogin');
      assert.equal(result.status, 'error');
      assert.match(result.reason?.en ?? '', /outside the root/);
    } finally {
      removeTree(copy);
    }
  });
});
