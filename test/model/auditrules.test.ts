import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuditRuleSet, augenrulesFiles, compareVersionNames, loadAuditRules, parseAuditctlList } from '../../src/model/auditrules.js';
import { parseAuditRules } from '../../src/parse/auditrules.js';
import { RootFs } from '../../src/target/rootfs.js';
import { debianTree } from '../helpers/trees.js';
import { ScratchTrees } from '../helpers/fixture.js';
import type { TextTree } from '../helpers/fixture.js';

/** The guide's /etc/audit/rules.d/audit.rules. */
const GUIDE_AUDIT_RULES = `# audit log
-w /var/log/audit/ -k audit-log

-w /var/log/auth.log -p wa -k auth
-w /etc/passwd -p wa -k passwd_changes
-w /etc/shadow -p wa -k shadow_changes
-w /etc/group -p wa -k group_changes
-w /etc/network/ -p wa -k network_changes
-w /etc/ssh/sshd_config -p wa -k sshd_config
-w /sbin/insmod -p x -k module_insertion
-w /sbin/rmmod -p x -k module_removal
-w /sbin/modprobe -p x -k module_load
-a always,exit -F arch=b64 -S execve -F euid=0 -F uid!=0 -k suid_execution
`;

const trees: string[] = [];

const scratch = new ScratchTrees('kh-audit-');
after(() => scratch.removeAll());

function makeTree(files: TextTree): RootFs {
  return new RootFs(scratch.create(files));
}

after(() => {
  for (const root of trees) fs.rmSync(root, { recursive: true, force: true });
});

describe('augenrules file order', () => {
  const names = [
    '10-base-config.rules', '9-extra.rules', '99-finalize.rules', '30-stig.rules', '30-stig.rules.bak',
    '.hidden.rules', 'README', 'a.rules', 'B.rules', '10-base-config.rules~', '010-zero.rules', '2-x.rules',
    'x-1.10.rules', 'x-1.9.rules', '11.rules',
  ];

  test('version order of .rules files', () => {
    assert.deepEqual(augenrulesFiles(names), [
      '2-x.rules', '9-extra.rules', '10-base-config.rules', '010-zero.rules', '11.rules', '30-stig.rules',
      '99-finalize.rules', 'B.rules', 'a.rules', 'x-1.9.rules', 'x-1.10.rules',
    ]);
  });

  test('same order as ls -1v', { skip: spawnSync('ls', ['--version']).status === 0 ? undefined : 'GNU ls not found' }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-lsv-'));
    trees.push(dir);
    for (const name of names) fs.writeFileSync(path.join(dir, name), '');
    const listed = execFileSync('ls', ['-1v', dir], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } })
      .split('\n')
      .filter((name) => name !== '');
    const expected = listed.filter((name) => name.endsWith('.rules'));
    assert.deepEqual(augenrulesFiles(names), expected);
    assert.deepEqual([...names].filter((name) => !name.startsWith('.')).sort(compareVersionNames), listed);
  });
});

describe('loadAuditRules', () => {
  test('absent auditd', () => {
    const model = loadAuditRules(makeTree({ 'etc/hostname': 'x\n' }));
    assert.equal(model.present, false);
    assert.equal(model.configuredSource, 'none');
    assert.equal(model.hasWatch('/etc/passwd', 'wa'), undefined);
  });

  test('guide rules in rules.d', () => {
    const model = loadAuditRules(makeTree({ 'usr/sbin/auditd': '', 'etc/audit/rules.d/audit.rules': GUIDE_AUDIT_RULES }));
    assert.equal(model.present, true);
    assert.deepEqual(model.presenceEvidence, ['/usr/sbin/auditd', '/etc/audit']);
    assert.equal(model.configuredSource, 'rules.d');
    assert.deepEqual(model.hasWatch('/etc/passwd', 'wa'), { path: '/etc/audit/rules.d/audit.rules', line: 5 });
    assert.deepEqual(model.hasWatch('/etc/passwd', 'w'), { path: '/etc/audit/rules.d/audit.rules', line: 5 });
    assert.equal(model.hasWatch('/etc/passwd', 'r'), undefined);
    assert.deepEqual(model.hasWatch('/var/log/audit', 'wa'), { path: '/etc/audit/rules.d/audit.rules', line: 2 });
    assert.deepEqual(model.hasWatch('/etc/network', 'wa')?.line, 8);
    assert.deepEqual(model.hasWatch('/sbin/modprobe', 'x')?.line, 12);
    assert.equal(model.findSyscallRule({ arch: 'b64', syscalls: ['execve'], fields: ['euid=0', 'uid!=0'] }).length, 1);
    assert.equal(model.findSyscallRule({ arch: 'b32', syscalls: ['execve'], fields: ['euid=0', 'uid!=0'] }).length, 0);
    assert.equal(model.findSyscallRule({ syscalls: ['execve'], fields: [{ name: 'uid', op: '!=', value: '0' }] }).length, 1);
    assert.equal(model.findSyscallRule({ syscalls: ['execve'], fields: ['uid=0'] }).length, 0);
    assert.equal(model.enabledLocked, false);
    assert.deepEqual(model.problems, []);
  });

  test('files concatenated in augenrules order', () => {
    const model = loadAuditRules(
      makeTree({
        'etc/audit/rules.d/10-late.rules': '-w /etc/shadow -p wa\n-e 2\n',
        'etc/audit/rules.d/9-early.rules': '-w /etc/passwd -p wa\n',
        'etc/audit/rules.d/1-clear.rules': '-D\n',
        'etc/audit/rules.d/notes.txt': '-w /etc/group -p wa\n',
      }),
    );
    assert.deepEqual(model.rulesDFiles, ['/etc/audit/rules.d/1-clear.rules', '/etc/audit/rules.d/9-early.rules', '/etc/audit/rules.d/10-late.rules']);
    assert.deepEqual(model.rulesD.entries.map((entry) => entry.evidence.path.replace('/etc/audit/rules.d/', '')), ['9-early.rules', '10-late.rules']);
    assert.equal(model.hasWatch('/etc/group', 'w'), undefined);
    assert.equal(model.enabledLocked, true);
  });

  test('-D clears and -W removes', () => {
    const model = loadAuditRules(
      makeTree({
        'etc/audit/audit.rules': '-w /etc/passwd -p wa\n-D\n-w /etc/shadow -p wa\n-w /etc/group -p wa\n-W /etc/group -p wa\n',
      }),
    );
    assert.equal(model.hasWatch('/etc/passwd', 'w'), undefined);
    assert.deepEqual(model.hasWatch('/etc/shadow', 'w')?.line, 3);
    assert.equal(model.hasWatch('/etc/group', 'w'), undefined);
  });

  test('rules.d -D goes first, as augenrules does', () => {
    const model = loadAuditRules(
      makeTree({
        'etc/audit/rules.d/50-site.rules': '-w /etc/passwd -p wa\n',
        'etc/audit/rules.d/audit.rules': '-D\n-b 8192\n',
      }),
    );
    assert.deepEqual(model.hasWatch('/etc/passwd', 'w')?.path, '/etc/audit/rules.d/50-site.rules');
  });

  test('watch written as a syscall rule', () => {
    const model = loadAuditRules(makeTree({ 'etc/audit/audit.rules': '-a always,exit -F dir=/etc/ssh/ -F perm=wa -k ssh\n' }));
    assert.equal(model.configuredSource, 'audit.rules');
    assert.deepEqual(model.hasWatch('/etc/ssh', 'wa')?.line, 1);
  });

  test('parse errors become problems', () => {
    const model = loadAuditRules(makeTree({ 'etc/audit/rules.d/bad.rules': '-w /etc/passwd -p wz\n' }));
    assert.deepEqual(model.problems.map((problem) => [problem.path, problem.code, problem.line]), [
      ['/etc/audit/rules.d/bad.rules', 'auditrules.bad-perms', 1],
    ]);
    assert.equal(model.hasWatch('/etc/passwd', 'w'), undefined);
  });

  test('unreadable rules file is a problem', () => {
    const tree = makeTree({ 'etc/audit/rules.d/a.rules': '\u0000binary' });
    const model = loadAuditRules(tree);
    assert.deepEqual(model.problems.map((problem) => problem.code), ['file.binary']);
  });

  test('OpenRC service loads RULEFILE_STARTUP, not rules.d', () => {
    const model = loadAuditRules(
      makeTree({
        'etc/init.d/auditd': '#!/sbin/openrc-run\nstart() { loadfile "${RULEFILE_STARTUP}"; }\n',
        'etc/conf.d/auditd': "EXTRAOPTIONS=''\nRULEFILE_STARTUP=/etc/audit/audit.rules\n",
        'etc/audit/audit.rules': '-w /etc/passwd -p wa -k passwd_changes\n',
        'etc/audit/rules.d/audit.rules': GUIDE_AUDIT_RULES,
      }),
    );
    assert.deepEqual(model.startup, { loader: 'rulefile', path: '/etc/audit/audit.rules', evidence: { path: '/etc/conf.d/auditd', line: 2 } });
    assert.deepEqual(
      model.notLoadedAtBoot.map((item) => item.line),
      [2, 4, 6, 7, 8, 9, 10, 11, 12, 13],
    );
  });

  test('Debian init script runs augenrules', () => {
    const model = loadAuditRules(
      makeTree({
        'etc/init.d/auditd': '#!/bin/sh\n[ -d /etc/audit/rules.d ] && /sbin/augenrules >/dev/null\n',
        'etc/audit/rules.d/audit.rules': GUIDE_AUDIT_RULES,
      }),
    );
    assert.equal(model.startup.loader, 'augenrules');
    assert.deepEqual(model.notLoadedAtBoot, []);
  });

  test('USE_AUGENRULES=no leaves audit.rules as it is', () => {
    const model = loadAuditRules(
      makeTree({
        'etc/init.d/auditd': '#!/bin/sh\ncase "$USE_AUGENRULES" in no) ;; *) /sbin/augenrules ;; esac\n',
        'etc/default/auditd': 'USE_AUGENRULES="no"\n',
        'etc/audit/rules.d/audit.rules': '-w /etc/passwd -p wa\n',
      }),
    );
    assert.equal(model.startup.loader, 'unknown');
    assert.deepEqual(model.notLoadedAtBoot.map((item) => item.line), [1]);
  });
});

function treeMissing(): string | undefined {
  try {
    debianTree();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

describe('loadAuditRules on the Debian test tree', { skip: treeMissing() }, () => {
  test('augenrules with control lines only', () => {
    const model = loadAuditRules(new RootFs(debianTree()));
    assert.equal(model.present, true);
    assert.equal(model.startup.loader, 'augenrules');
    assert.deepEqual(model.rulesDFiles, ['/etc/audit/rules.d/audit.rules']);
    assert.deepEqual(model.rulesD.entries, []);
    assert.equal(model.hasWatch('/etc/passwd', 'wa'), undefined);
    assert.deepEqual(model.problems, []);
  });
});

describe('parseAuditctlList', () => {
  test('both watch forms', () => {
    const output = [
      '-w /etc/passwd -p wa -k passwd_changes',
      '-a always,exit -S all -F path=/etc/shadow -F perm=wa -F key=shadow',
      '-w /var/log/audit -p rwxa -k audit-log',
      '-a always,exit -F arch=b64 -S execve -F euid=0 -F uid!=0 -F key=suid_execution',
      '',
    ].join('\n');
    const { rules, problems } = parseAuditctlList(output);
    assert.deepEqual(problems, []);
    assert.equal(rules.hasWatch('/etc/passwd', 'wa')?.line, 1);
    assert.equal(rules.hasWatch('/etc/shadow', 'w')?.line, 2);
    assert.equal(rules.hasWatch('/var/log/audit/', 'wa')?.line, 3);
    assert.equal(rules.findSyscallRule({ arch: 'b64', syscalls: ['execve'], fields: ['euid=0', 'uid!=0'] })[0]?.evidence.line, 4);
  });

  test('no rules', () => {
    assert.deepEqual(parseAuditctlList('No rules\n').rules.entries, []);
  });

  test('unset id spellings are equal', () => {
    const { rules } = parseAuditctlList('-a always,exit -F arch=b32 -S open -F auid!=-1 -k x\n');
    assert.equal(rules.findSyscallRule({ arch: 'b32', syscalls: ['open'], fields: ['auid!=unset'] }).length, 1);
    assert.equal(rules.findSyscallRule({ arch: 'i386', syscalls: ['open'], fields: ['auid!=4294967295'] }).length, 1);
  });
});

// ---------------------------------------------------------------------------------------------
// auditctl: loads a few rules into the running kernel and always deletes them again.

function auditctlUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  const status = spawnSync('auditctl', ['-s'], { encoding: 'utf8' });
  if (status.status !== 0) return `auditctl -s failed: ${status.stderr.trim()}`;
  if (/^enabled 2$/m.test(status.stdout)) return 'audit rules are locked (enabled 2)';
  const list = spawnSync('auditctl', ['-l'], { encoding: 'utf8' });
  if (list.stdout.trim() !== 'No rules') return 'this machine already has audit rules; not touching them';
  return undefined;
}

const skipAuditctl = auditctlUnavailable();
if (skipAuditctl !== undefined) console.log(`# auditctl test skipped: ${skipAuditctl}`);

describe('auditctl round trip', { skip: skipAuditctl }, () => {
  test('loaded rules list back as parsed', () => {
    const rules = [
      '-w /etc/passwd -p wa -k passwd_changes',
      '-w /var/log/audit/ -k audit-log',
      '-w /etc/network/ -p wa -k network_changes',
      '-a always,exit -F arch=b64 -S execve -F euid=0 -F uid!=0 -k suid_execution',
      '-a always,exit -F arch=b32 -S open,openat -F auid>=1000 -F auid!=-1 -F key=opens',
      '-a exit,never -F arch=b64 -S all -F exe=/usr/bin/vmtoolsd',
      '-a always,exit -F path=/usr/bin/passwd -F perm=x -k passwd',
      '',
    ].join('\n');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-auditctl-'));
    trees.push(dir);
    const file = path.join(dir, 'test.rules');
    fs.writeFileSync(file, rules, { mode: 0o600 });

    const written = new AuditRuleSet();
    written.add(parseAuditRules(rules, file));

    try {
      execFileSync('auditctl', ['-R', file], { stdio: ['ignore', 'ignore', 'pipe'] });
      const listed = parseAuditctlList(execFileSync('auditctl', ['-l'], { encoding: 'utf8' }));
      assert.deepEqual(listed.problems, []);
      assert.equal(listed.rules.entries.length, written.entries.length);

      for (const [watchPath, perms] of [['/etc/passwd', 'wa'], ['/var/log/audit', 'rwxa'], ['/etc/network/', 'wa'], ['/usr/bin/passwd', 'x']] as const) {
        assert.ok(written.hasWatch(watchPath, perms), `file: ${watchPath}`);
        assert.ok(listed.rules.hasWatch(watchPath, perms), `auditctl -l: ${watchPath}`);
      }
      const query = { arch: 'b32', syscalls: ['open', 'openat'], fields: ['auid>=1000', 'auid!=unset'] };
      assert.equal(listed.rules.findSyscallRule(query).length, 1);
      assert.equal(written.findSyscallRule(query).length, 1);
      const never = listed.rules.entries.find((entry) => entry.command.kind === 'syscall' && entry.command.action === 'never');
      assert.ok(never);
    } finally {
      execFileSync('auditctl', ['-D'], { stdio: 'ignore' });
    }
    assert.equal(execFileSync('auditctl', ['-l'], { encoding: 'utf8' }).trim(), 'No rules');
  });

  test('auditctl rejects what the parser reports', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-auditctl-'));
    trees.push(dir);
    const file = path.join(dir, 'bad.rules');
    const line = '-a always,exit -F path=/usr/bin/setfiles -F perm=x -k -F T1078_Valid_Accounts\n';
    fs.writeFileSync(file, line, { mode: 0o600 });
    assert.deepEqual(parseAuditRules(line, file).diagnostics.map((d) => d.code), ['auditrules.unexpected-argument']);
    try {
      const result = spawnSync('auditctl', ['-R', file], { encoding: 'utf8' });
      assert.notEqual(result.status, 0);
    } finally {
      execFileSync('auditctl', ['-D'], { stdio: 'ignore' });
    }
  });
});
