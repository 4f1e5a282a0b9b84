import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeProgram } from '../../src/seccomp/bpf.js';
import { lintSeccomp } from '../../src/seccomp/lint.js';
import { runCli as run } from '../helpers/cli.js';

const MOBY = '../shared/corpus/seccomp/moby-default.json';

describe('seccomp commands', () => {
  let work = '';
  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), `kh-seccomp-cli-${process.pid}-`));
  });
  after(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('lint detects a profile', async () => {
    const file = path.join(work, 'httpd.json');
    fs.writeFileSync(file, '{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]\n}\n');
    const result = await run(['lint', file]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /httpd\.json:1:1: error: .*\[seccomp\.not-startable\]/);
  });

  it('lint prints Japanese', async () => {
    const result = await run(['lint', MOBY, '--lang', 'ja']);
    assert.match(result.stdout, /ptrace が .* syscalls\[1\] により許可されています/);
  });

  it('lint reports JSON findings', async () => {
    const result = await run(['lint', '--format', 'json', MOBY]);
    const report = JSON.parse(result.stdout) as { files: { type: string; findings: { code: string }[] }[] };
    assert.equal(report.files[0]?.type, 'seccomp');
    assert.ok(report.files[0]?.findings.some((finding) => finding.code === 'seccomp.dangerous-syscall'));
  });

  it('compile writes a program', async () => {
    const output = path.join(work, 'moby.bpf');
    const result = await run(['compile', MOBY, '--arch', 'aarch64', '-o', output]);
    assert.equal(result.code, 0, result.stderr);
    const program = decodeProgram(fs.readFileSync(output));
    assert.match(result.stderr, new RegExp(`${program.length} instructions \\(aarch64, SCMP_ARCH_AARCH64, SCMP_ARCH_ARM\\)`));
  });

  it('compile prints a disassembly', async () => {
    const result = await run(['compile', MOBY, '--format', 'text', '--arch', 'x86_64']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^# .* for x86_64: \d+ instructions/);
    assert.match(result.stdout, /ret ERRNO\(38\)/);
  });

  it('compile needs --output for binary', async () => {
    const result = await run(['compile', MOBY]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--output FILE/);
  });

  it('compile rejects an invalid profile', async () => {
    const file = path.join(work, 'bad.json');
    fs.writeFileSync(file, '{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALOW"}]\n}\n');
    const output = path.join(work, 'bad.bpf');
    const result = await run(['compile', file, '-o', output]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /bad\.json:3: unknown action "SCMP_ACT_ALOW"/);
    assert.doesNotMatch(result.stderr, /at .*\.js:\d+/);
    assert.equal(fs.existsSync(output), false);
  });

  it('compile reports a missing file', async () => {
    const result = await run(['compile', path.join(work, 'none.json'), '-o', path.join(work, 'x.bpf')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /none\.json: cannot read the profile/);
  });

  it('generate prints a profile that lints clean', async () => {
    const result = await run(['generate', 'seccomp', '--base', 'server', '--deny', 'ioctl', '--arch', 'x86_64,aarch64']);
    assert.equal(result.code, 0, result.stderr);
    const profile = JSON.parse(result.stdout) as { architectures: string[]; syscalls: { names: string[] }[] };
    assert.deepEqual(profile.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64']);
    assert.ok(profile.syscalls[0]?.names.includes('accept4'));
    assert.ok(!profile.syscalls[0]?.names.includes('ioctl'));
    assert.deepEqual(lintSeccomp({ path: 'g.json', content: result.stdout, options: {} }).filter((finding) => finding.severity !== 'info'), []);
    assert.equal(result.stderr, '');
  });

  it('generate warns about dangerous additions', async () => {
    const result = await run(['generate', 'seccomp', '--allow', 'ptrace']);
    assert.equal(result.code, 0);
    assert.match(result.stderr, /warning: ptrace is allowed/);
  });

  it('generate rejects unknown names', async () => {
    const result = await run(['generate', 'seccomp', '--allow', 'opne']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /"opne" is not a system call/);
  });

  it('generate rejects unknown architectures', async () => {
    const result = await run(['generate', 'seccomp', '--arch', 'sparc']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--arch sparc: no system call table/);
  });

  it('generate installs through a transaction', async () => {
    const root = path.join(work, 'root');
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    const result = await run(['generate', 'seccomp', '--install', 'httpd', '--root', root]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /wrote \/etc\/seccomp\/httpd\.json \(transaction /);
    const written = fs.readFileSync(path.join(root, 'etc/seccomp/httpd.json'), 'utf8');
    assert.equal(JSON.parse(written).defaultAction, 'SCMP_ACT_ERRNO');
    assert.ok(fs.readdirSync(path.join(root, 'var/lib/kimigayo-harden/transactions')).length > 0);
    const again = await run(['generate', 'seccomp', '--install', 'httpd', '--root', root]);
    assert.match(again.stdout, /already up to date/);
  });

  it('generate rejects a path as install name', async () => {
    const result = await run(['generate', 'seccomp', '--install', '../passwd', '--root', work]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /plain file name/);
  });
});
