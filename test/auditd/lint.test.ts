import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { generateAuditRules } from '../../src/auditd/generate.js';
import { auditRulesLinter, lintAuditRules } from '../../src/auditd/lint.js';
import { isKnownSyscall, resolveArch, targetMachine } from '../../src/auditd/arch.js';
import { detectLinter } from '../../src/lint/registry.js';
import { ScratchTrees } from '../helpers/fixture.js';
import { debianTree, kimigayoTree, repoRoot } from '../helpers/trees.js';

const scratch = new ScratchTrees('kh-auditlint-');
after(() => scratch.removeAll());

function codes(content: string, options: Parameters<typeof lintAuditRules>[2] = { machine: 'x86_64' }): string[] {
  return lintAuditRules(content, 'test.rules', options).map((finding) => finding.code);
}

describe('audit rules linter', () => {
  test('generated rules are clean', () => {
    for (const machine of ['x86_64', 'aarch64', 'i386', 'arm'] as const) {
      assert.deepEqual(codes(generateAuditRules(machine), { machine }), [], machine);
    }
  });

  test('accepts what auditctl accepts', () => {
    const rules = [
      '-D',
      '-b 8192',
      '--backlog_wait_time 60000',
      '-f 1',
      '-a always,exit -F arch=b64 -S open,openat -S creat -F exit=-EPERM -F key=access',
      '-a always,exit -F arch=b32 -S open,openat -S creat -F exit=-EPERM -k access',
      '-a always,exit -F arch=b64 -S open -C auid!=uid -k a -k b',
      '-a always,exit -F arch=b32 -S open -C auid!=uid -k a -k b',
      '-a always,exit -F arch=b64 -S all -F path=/etc/passwd -F perm=wa',
      '-a never,exclude -F msgtype=CWD',
      '-e 2',
      '',
    ].join('\n');
    assert.deepEqual(codes(rules), []);
  });

  const bad: [string, string, string][] = [
    ['arch after -S', '-a always,exit -S execve -F arch=b64 -k x\n-a always,exit -F arch=b32 -S execve -k x', 'auditrules.arch-after-syscall'],
    ['unknown syscall', '-a always,exit -F arch=b64 -S execve,nosuchcall -k x', 'auditrules.unknown-syscall'],
    ['b64-only syscall on b32', '-a always,exit -F arch=b32 -S kexec_file_load -k x', 'auditrules.unknown-syscall'],
    ['i386-only syscall on b64', '-a always,exit -F arch=b64 -S socketcall -k x', 'auditrules.unknown-syscall'],
    ['unknown errno', '-a always,exit -F arch=b32 -S open -F exit=-EBOGUS', 'auditrules.unknown-errno'],
    ['uid compared with gid', '-a always,exit -F arch=b32 -S open -C auid!=gid', 'auditrules.bad-comparison'],
    ['unknown field', '-a always,exit -F arch=b32 -S open -F bogus=1', 'auditrules.unknown-field'],
    ['no arch', '-a always,exit -S open -k x', 'auditrules.no-arch'],
    ['missing b32 twin', '-a always,exit -F arch=b64 -S execve -F euid=0 -k x', 'auditrules.missing-b32-twin'],
    ['duplicate watch', '-w /etc/passwd -p wa -k p\n-w /etc/passwd/ -p aw -k p', 'auditrules.duplicate'],
    ['rule after -e 2', '-e 2\n-w /etc/passwd -p wa', 'auditrules.after-lock'],
    ['bad -e value', '-e 3', 'auditrules.bad-enable'],
    ['relative watch', '-w etc/passwd -p wa', 'auditrules.relative-watch'],
    ['-S with -w', '-w /etc/passwd -S open', 'auditrules.syscall-on-watch'],
    ['key too long', `-w /etc/passwd -k ${'k'.repeat(200)} -k ${'k'.repeat(100)}`, 'auditrules.key-too-long'],
    ['parser error', '-w /etc/passwd -p wz', 'auditrules.bad-perms'],
  ];
  for (const [name, rules, code] of bad) {
    test(`reports ${name}`, () => {
      assert.ok(codes(rules).includes(code), `${code} not in ${JSON.stringify(codes(rules))}`);
    });
  }

  test('finding names line and column', () => {
    const findings = lintAuditRules('# c\n-a always,exit -F arch=b64 -S execve,nosuch -k x\n', 'f.rules', { machine: 'x86_64' });
    const unknown = findings.find((finding) => finding.code === 'auditrules.unknown-syscall');
    assert.equal(unknown?.line, 2);
    assert.equal(unknown?.column, 31);
    assert.equal(unknown?.value, 'nosuch');
  });

  test('b32 rule on aarch64 uses the arm table', () => {
    assert.deepEqual(codes('-a always,exit -F arch=b32 -S open -k x', { machine: 'aarch64' }), []);
    assert.ok(codes('-a always,exit -F arch=b64 -S open -k x', { machine: 'aarch64' }).includes('auditrules.unknown-syscall'));
  });

  test('b64 on a 32-bit machine', () => {
    assert.ok(codes('-a always,exit -F arch=b64 -S open', { machine: 'i386' }).includes('auditrules.unknown-arch'));
  });

  test('watched paths checked in the root', () => {
    const root = scratch.create({ 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n' });
    const findings = lintAuditRules('-w /etc/passwd -p wa\n-w /etc/shadow -p wa\n-w /etc/network/interfaces -p wa\n', 'f.rules', { machine: 'x86_64', root });
    assert.deepEqual(findings.map((finding) => [finding.line, finding.code]), [
      [2, 'auditrules.watch-missing'],
      [3, 'auditrules.watch-parent-missing'],
    ]);
  });
});

describe('audit rules detection', () => {
  test('guide rules detected', () => {
    assert.equal(detectLinter(generateAuditRules('x86_64'), 'x').linter?.type, 'audit-rules');
  });

  test('iptables file not detected', () => {
    const iptables = '*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n';
    assert.ok(auditRulesLinter.detect(iptables, 'rules') < 0.5);
  });

  test('sshd_config not detected', () => {
    assert.equal(auditRulesLinter.detect('PermitRootLogin no\n', 'sshd_config'), 0);
  });
});

describe('audit arch', () => {
  test('b32 and b64 by machine', () => {
    assert.equal(resolveArch('b64', 'x86_64'), 'x86_64');
    assert.equal(resolveArch('b32', 'x86_64'), 'i386');
    assert.equal(resolveArch('b32', 'aarch64'), 'arm');
    assert.equal(resolveArch('b64', 'arm'), undefined);
    assert.equal(resolveArch('i686', 'x86_64'), 'i386');
  });

  test('syscall tables', () => {
    assert.ok(isKnownSyscall('execve', 'i386'));
    assert.ok(!isKnownSyscall('open', 'aarch64'));
    assert.ok(isKnownSyscall('openat', 'aarch64'));
    assert.ok(isKnownSyscall('all', 'arm'));
  });

  test('machine read from the trees', () => {
    assert.equal(targetMachine(debianTree()), 'x86_64');
    assert.equal(targetMachine(kimigayoTree()), 'x86_64');
    assert.equal(targetMachine(scratch.create({ 'bin/sh': '#!/bin/true\n' })), undefined);
  });
});

describe('audit rules corpus', () => {
  test('Neo23x0 rules: errors that auditctl also rejects', () => {
    const content = fs.readFileSync(path.join(repoRoot, '../shared/corpus/audit/neo23x0-audit.rules'), 'utf8');
    const findings = lintAuditRules(content, 'audit.rules', { machine: 'x86_64' });
    const errors = findings.filter((finding) => finding.severity === 'error').map((finding) => [finding.line, finding.code, finding.value]);
    assert.deepEqual(errors, [
      [487, 'auditrules.unexpected-argument', 'T1078_Valid_Accounts'],
      [488, 'auditrules.unexpected-argument', 'T1078_Valid_Accounts'],
      [718, 'auditrules.unknown-field', 'obj'],
      [719, 'auditrules.unknown-field', 'obj'],
    ]);
    const twins = findings.filter((finding) => finding.code === 'auditrules.missing-b32-twin');
    assert.ok(twins.some((finding) => finding.line === 139), 'module rule without b32 twin');
    assert.ok(!twins.some((finding) => finding.line === 85), 'never rule needs no twin');
  });
});
