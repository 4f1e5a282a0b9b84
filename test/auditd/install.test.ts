import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { generateAuditRules, mergeRulesBlock, RULES_D_FILE } from '../../src/auditd/generate.js';
import { rollbackTransaction } from '../../src/txn/index.js';
import { copyTree, debianTree, kimigayoTree, removeTree } from '../helpers/trees.js';
import { runCli as run } from '../helpers/cli.js';

const copies: string[] = [];
after(() => {
  for (const copy of copies) removeTree(copy);
});

function copy(tree: string): string {
  const root = copyTree(tree);
  copies.push(root);
  return root;
}

/**
 * Add what Alpine's audit package installs for OpenRC to a Kimigayo tree, the way an image
 * adds auditd in a multi-stage build. The init script is a stand-in: its only part that
 * matters here is that it loads RULEFILE_STARTUP and never runs augenrules.
 */
function addAlpineAuditd(root: string): void {
  const files: Record<string, string> = {
    'sbin/auditd': '',
    'etc/init.d/auditd': '#!/sbin/openrc-run\nstart() { auditctl -R "${RULEFILE_STARTUP}"; }\n',
    'etc/conf.d/auditd': 'RULEFILE_STARTUP=/etc/audit/audit.rules\n',
    'etc/audit/audit.rules': '-D\n-b 8192\n-e 1\n',
  };
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), content, { mode: name.startsWith('etc/init.d') ? 0o755 : 0o644 });
  }
}

async function auditStatuses(root: string): Promise<Record<string, string>> {
  const result = await run(['audit', '--root', root, '--level', '2', '--only', 'audit.', '--only', 'service.auditd', '--format', 'json']);
  const report = JSON.parse(result.stdout) as { results: { id: string; status: string }[] };
  return Object.fromEntries(report.results.map((item) => [item.id, item.status]));
}

describe('generate audit-rules', () => {
  test('prints the rules without --install', async () => {
    const result = await run(['generate', 'audit-rules', '--arch', 'x86_64']);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, generateAuditRules('x86_64'));
    assert.match(result.stdout, /^-a always,exit -F arch=b32 -S execve -F euid=0 -F uid!=0 -k suid_execution$/m);
  });

  test('aarch64 gets no b32 twin', async () => {
    const result = await run(['generate', 'audit-rules', '--arch', 'aarch64']);
    assert.doesNotMatch(result.stdout, /arch=b32/);
  });

  test('bad --root exits 2', async () => {
    const result = await run(['generate', 'audit-rules', '--install', '--root', '/nonexistent/kh']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--root \/nonexistent\/kh: no such directory/);
  });

  test('bad --arch exits 2', async () => {
    assert.equal((await run(['generate', 'audit-rules', '--arch', 'sparc'])).code, 2);
  });
});

describe('generate audit-rules --install', () => {
  test('Kimigayo with OpenRC auditd: boot file, runlevel, audit passes, rollback', async () => {
    const root = copy(kimigayoTree());
    addAlpineAuditd(root);
    const before = await auditStatuses(root);
    assert.equal(before['audit.watch./etc/passwd'], 'fail');

    const result = await run(['generate', 'audit-rules', '--install', '--root', root]);
    assert.equal(result.code, 0, result.stderr);
    const rules = fs.readFileSync(path.join(root, RULES_D_FILE), 'utf8');
    assert.equal(rules, generateAuditRules('x86_64'));
    assert.equal(fs.statSync(path.join(root, RULES_D_FILE)).mode & 0o777, 0o640);
    const bootFile = fs.readFileSync(path.join(root, 'etc/audit/audit.rules'), 'utf8');
    assert.match(bootFile, /^-D\n-b 8192\n## BEGIN kimigayo-harden/);
    assert.match(bootFile, /-k suid_execution\n## END kimigayo-harden audit rules\n-e 1\n$/);
    assert.equal(fs.readlinkSync(path.join(root, 'etc/runlevels/default/auditd')), '/etc/init.d/auditd');

    const statuses = await auditStatuses(root);
    for (const [id, status] of Object.entries(statuses)) assert.equal(status, 'pass', id);

    const again = await run(['generate', 'audit-rules', '--install', '--root', root]);
    assert.match(again.stdout, /already installed/);

    const id = /transaction (\S+):/.exec(result.stdout)?.[1];
    assert.ok(id);
    rollbackTransaction(root, id);
    assert.equal(fs.existsSync(path.join(root, RULES_D_FILE)), false);
    assert.equal(fs.readFileSync(path.join(root, 'etc/audit/audit.rules'), 'utf8'), '-D\n-b 8192\n-e 1\n');
    assert.throws(() => fs.lstatSync(path.join(root, 'etc/runlevels/default/auditd')), /ENOENT/);
  });

  test('Kimigayo without auditd: rules.d only, with a note', async () => {
    const root = copy(kimigayoTree());
    const result = await run(['generate', 'audit-rules', '--install', '--root', root]);
    assert.equal(result.code, 0);
    assert.ok(fs.existsSync(path.join(root, RULES_D_FILE)));
    assert.match(result.stdout, /auditd is not installed/);
    assert.equal(fs.existsSync(path.join(root, 'etc/runlevels/default/auditd')), false);
  });

  test('Debian with augenrules: rules.d only', async () => {
    const root = copy(debianTree());
    const auditRules = fs.readFileSync(path.join(root, 'etc/audit/audit.rules'), 'utf8');
    const result = await run(['generate', 'audit-rules', '--install', '--root', root]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.split('\n').filter((line) => line.startsWith('  ')), [`  ${RULES_D_FILE}`]);
    assert.equal(fs.readFileSync(path.join(root, 'etc/audit/audit.rules'), 'utf8'), auditRules);

    const statuses = await auditStatuses(root);
    for (const [id, status] of Object.entries(statuses)) assert.equal(status, 'pass', id);
  });
});

describe('mergeRulesBlock', () => {
  test('replaces an earlier block', () => {
    const first = mergeRulesBlock('-D\n', '-w /a -k a\n');
    const second = mergeRulesBlock(first, '## c\n-w /b -k b\n');
    assert.equal(second.split('\n').filter((line) => line.startsWith('-w')).join(' '), '-w /b -k b');
  });

  test('goes before -e 2', () => {
    const merged = mergeRulesBlock('-D\n-e 2\n', '-w /a -k a\n');
    assert.ok(merged.indexOf('-w /a') < merged.indexOf('-e 2'));
  });
});

describe('audit controls and lint errors', () => {
  test('watch after -e 2 in the boot file fails', async () => {
    const root = copy(kimigayoTree());
    addAlpineAuditd(root);
    fs.symlinkSync('/etc/init.d/auditd', path.join(root, 'etc/runlevels/default/auditd'));
    fs.writeFileSync(path.join(root, 'etc/audit/audit.rules'), `-e 2\n${generateAuditRules('x86_64')}`);
    const result = await run(['audit', '--root', root, '--level', '2', '--only', 'audit.watch./etc/passwd', '--format', 'json']);
    const report = JSON.parse(result.stdout) as { results: { id: string; status: string; actual: string | null }[] };
    assert.equal(report.results[0]?.status, 'fail');
    assert.match(report.results[0]?.actual ?? '', /auditrules\.after-lock/);
  });

  test('-e 2 first in rules.d passes with augenrules', async () => {
    const root = copy(debianTree());
    fs.writeFileSync(path.join(root, 'etc/audit/rules.d/10-lock.rules'), '-e 2\n');
    fs.writeFileSync(path.join(root, RULES_D_FILE), generateAuditRules('x86_64'));
    const statuses = await auditStatuses(root);
    assert.equal(statuses['audit.watch./etc/passwd'], 'pass');
  });

  test('unknown syscall in the execve rule fails', async () => {
    const root = copy(debianTree());
    const rules = generateAuditRules('x86_64').replace('-F arch=b32 -S execve', '-F arch=b32 -S execve,nosuchcall');
    fs.writeFileSync(path.join(root, RULES_D_FILE), rules);
    const statuses = await auditStatuses(root);
    assert.equal(statuses['audit.rule.execve-euid0.b64'], 'pass');
    assert.equal(statuses['audit.rule.execve-euid0.b32'], 'fail');
  });
});
