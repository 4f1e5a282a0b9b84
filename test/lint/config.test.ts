import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { detectLinter } from '../../src/lint/registry.js';
import { fstabLinter, modprobeLinter, sshdLinter, sysctlLinter } from '../../src/lint/config.js';
import type { Linter } from '../../src/lint/types.js';
import { repoRoot } from '../helpers/trees.js';

const corpus = path.join(repoRoot, '..', 'shared', 'corpus');

function lint(linter: Linter, content: string): Array<{ line: number | undefined; code: string }> {
  return linter.lint({ path: 'x', content, options: {} }).map((finding) => ({ line: finding.line, code: finding.code }));
}

describe('configuration file linters', () => {
  test('corpus files are detected by content', () => {
    const cases: Array<[string, string]> = [
      ['sshd/grapheneos-sshd_config', 'sshd'],
      ['sysctl/kicksecure-990-security-misc.conf', 'sysctl'],
      ['sysctl/systemd-50-default.conf', 'sysctl'],
      ['fstab/util-linux-fstab.comment', 'fstab'],
      ['iptables/tor-relay.rules.v6', 'ip6tables'],
      ['audit/neo23x0-audit.rules', 'audit-rules'],
    ];
    for (const [file, type] of cases) {
      const content = fs.readFileSync(path.join(corpus, file), 'utf8');
      assert.equal(detectLinter(content, file).linter?.type, type, file);
    }
  });

  test('sysctl line without equals sign', () => {
    const content = 'kernel.kptr_restrict = 2\nkernel.dmesg_restrict = 1\nnet.ipv4.tcp_syncookies = 1\nvm.swappiness = 10\nkernel.yama.ptrace_scope 1\n';
    assert.equal(detectLinter(content, 'x').linter?.type, 'sysctl');
    assert.deepEqual(lint(sysctlLinter, content), [{ line: 5, code: 'sysctl.missing-equals' }]);
  });

  test('fstab line with too few fields', () => {
    const content = 'UUID=0a1b / ext4 defaults 0 1\ntmpfs /tmp tmpfs nodev,nosuid 0 0\nproc /proc proc defaults 0 0\n/dev/sdb1 /srv ext4 defaults 0 2\n/dev/sdc1 /data\n';
    assert.equal(detectLinter(content, 'x').linter?.type, 'fstab');
    assert.deepEqual(lint(fstabLinter, content), [{ line: 5, code: 'fstab.too-few-fields' }]);
  });

  test('modprobe install without command', () => {
    const content = 'install cramfs /bin/true\nblacklist cramfs\ninstall udf\n';
    assert.equal(detectLinter(content, 'x').linter?.type, 'modprobe');
    assert.deepEqual(lint(modprobeLinter, content), [{ line: 3, code: 'modprobe.missing-argument' }]);
  });

  test('sshd deprecated and unknown keywords', () => {
    const content = 'Port 22\nPermitRootLogin no\nPasswordAuthentication no\nChallengeResponseAuthentication no\nUsePrivilegeSeparation yes\n';
    assert.equal(detectLinter(content, 'x').linter?.type, 'sshd');
    const findings = lint(sshdLinter, content);
    assert.ok(findings.some((finding) => finding.line === 5), JSON.stringify(findings));
  });
});
