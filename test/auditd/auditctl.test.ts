// Loads rules into the running kernel with the real auditctl and deletes them again by key.
// Every rule gets a key that starts with this process id, so the test only lists and deletes
// its own rules and can run next to other users of auditctl. It never loads -e 2.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { generateAuditRules } from '../../src/auditd/generate.js';
import { GUIDE_AUDIT_WATCHES } from '../../src/auditd/guide.js';
import { lintAuditRules } from '../../src/auditd/lint.js';
import { parseAuditctlList } from '../../src/model/auditrules.js';
import { tokenizeAuditLine } from '../../src/parse/auditrules.js';

const PREFIX = `kh${process.pid}-`;
const usedKeys = new Set<string>();
const tempDirs: string[] = [];

function auditctlUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  const status = spawnSync('auditctl', ['-s'], { encoding: 'utf8' });
  if (status.status !== 0) return `auditctl -s failed: ${status.stderr.trim()}`;
  if (/^enabled 2$/m.test(status.stdout)) return 'audit rules are locked (enabled 2)';
  return undefined;
}

/** Give every `-k` and `-F key=` key this run's prefix and remember it for deletion. */
function ownKeys(rules: string): string {
  return rules.replace(/ (-k |-F key=)(\S+)/g, (_match, option: string, key: string) => {
    usedKeys.add(PREFIX + key);
    return ` ${option}${PREFIX}${key}`;
  });
}

/** List the lines of `auditctl -l` that carry one of this run's keys. */
function listOwn(): string {
  const listed = execFileSync('auditctl', ['-l'], { encoding: 'utf8' });
  return listed.split('\n').filter((line) => line.includes(`key=${PREFIX}`) || line.includes(`-k ${PREFIX}`)).join('\n') + '\n';
}

function deleteOwn(): void {
  for (const key of usedKeys) spawnSync('auditctl', ['-D', '-k', key], { stdio: 'ignore' });
}

const skip = auditctlUnavailable();
if (skip !== undefined) console.log(`# auditctl tests skipped: ${skip}`);

after(() => {
  deleteOwn();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('auditctl and the audit rules', { skip, concurrency: 1 }, () => {
  test('generated rules load and list back', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kh-auditctl-${process.pid}-`));
    tempDirs.push(dir);
    const file = path.join(dir, '50-kimigayo-harden.rules');
    fs.writeFileSync(file, ownKeys(generateAuditRules('x86_64')), { mode: 0o600 });

    try {
      const load = spawnSync('auditctl', ['-R', file], { encoding: 'utf8' });
      assert.equal(load.status, 0, load.stderr);
      const { rules, problems } = parseAuditctlList(listOwn());
      assert.deepEqual(problems, []);
      assert.equal(rules.entries.length, GUIDE_AUDIT_WATCHES.length + 2);
      for (const watch of GUIDE_AUDIT_WATCHES) {
        assert.ok(rules.hasWatch(watch.path, watch.perms === '' ? 'rwxa' : watch.perms), watch.path);
      }
      for (const arch of ['b64', 'b32']) {
        const found = rules.findSyscallRule({ arch, syscalls: ['execve'], fields: ['euid=0', 'uid!=0'] });
        assert.equal(found.length, 1, arch);
      }
    } finally {
      deleteOwn();
    }
    assert.equal(listOwn().trim(), '');
  });

  // Each rule is run as one auditctl command; the linter's verdict must match auditctl's.
  const cases: { rule: string; code?: string }[] = [
    { rule: '-a always,exit -F arch=b64 -S open,openat -S creat -F exit=-EPERM -F key=opens' },
    { rule: '-a always,exit -F arch=b32 -S open -C auid!=uid -k cmp' },
    { rule: '-w /etc/passwd -p wa -k passwd' },
    { rule: '-a always,exit -S execve -F arch=b64 -k late', code: 'auditrules.arch-after-syscall' },
    { rule: '-a always,exit -F arch=b64 -S execve,nosuchcall -k unknown', code: 'auditrules.unknown-syscall' },
    { rule: '-a always,exit -F arch=b32 -S kexec_file_load -k b32only', code: 'auditrules.unknown-syscall' },
    { rule: '-a always,exit -F arch=b64 -S open -F exit=-EBOGUS -k errno', code: 'auditrules.unknown-errno' },
    { rule: '-a always,exit -F arch=b64 -S open -C auid!=gid -k cmpbad', code: 'auditrules.bad-comparison' },
    { rule: '-a always,exit -F arch=b64 -S open -F bogus=1 -k field', code: 'auditrules.unknown-field' },
    { rule: `-w /nonexistent-${process.pid}/file -p wa -k parent`, code: 'auditrules.watch-parent-missing' },
  ];
  for (const { rule, code } of cases) {
    test(`${code ?? 'accepted'}: ${rule}`, () => {
      const owned = ownKeys(rule);
      const findings = lintAuditRules(owned, 'case.rules', { machine: 'x86_64', root: '/' }).filter((finding) => finding.severity === 'error');
      const result = spawnSync('auditctl', tokenizeAuditLine(owned).map((token) => token.value), { encoding: 'utf8' });
      try {
        if (code === undefined) {
          assert.deepEqual(findings, []);
          assert.equal(result.status, 0, result.stderr);
        } else {
          assert.ok(findings.some((finding) => finding.code === code), JSON.stringify(findings));
          assert.notEqual(result.status, 0, `auditctl accepted ${owned}`);
        }
      } finally {
        deleteOwn();
      }
    });
  }

  test('duplicate rule is rejected', () => {
    const rule = ownKeys('-w /etc/group -p wa -k dup');
    const text = `${rule}\n${rule}\n`;
    assert.ok(lintAuditRules(text, 'dup.rules', { machine: 'x86_64' }).some((finding) => finding.code === 'auditrules.duplicate'));
    const args = tokenizeAuditLine(rule).map((token) => token.value);
    try {
      assert.equal(spawnSync('auditctl', args).status, 0);
      const second = spawnSync('auditctl', args, { encoding: 'utf8' });
      assert.notEqual(second.status, 0);
      assert.match(second.stderr, /Rule exists/);
    } finally {
      deleteOwn();
    }
  });
});
