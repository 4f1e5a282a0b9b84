import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ARCHES } from '../../src/seccomp/arch.js';
import type { ArchInfo } from '../../src/seccomp/arch.js';
import { encodeProgram } from '../../src/seccomp/bpf.js';
import { compileProfile } from '../../src/seccomp/compile.js';
import { generateProfile } from '../../src/seccomp/generate.js';
import { lintSeccomp } from '../../src/seccomp/lint.js';
import { parseProfile } from '../../src/seccomp/profile.js';
import type { SeccompProfile } from '../../src/seccomp/profile.js';
import { HARDENED_TREE } from '../helpers/fixture.js';
import { kimigayoTree } from '../helpers/trees.js';

// Loads compiled x86_64 programs into the running kernel with `bwrap --seccomp FD` (bubblewrap)
// and runs real programs under them: a small static C probe built here with gcc, Debian's
// /bin/true and /bin/echo (glibc, dynamically linked) and /bin/busybox (static).

const X86_64 = ARCHES.SCMP_ARCH_X86_64 as ArchInfo;
const X86 = ARCHES.SCMP_ARCH_X86 as ArchInfo;
/** bwrap exits with 128 + the signal number of a child killed by a signal; SIGSYS is 31. */
const KILLED_BY_SIGSYS = 128 + 31;

let work: string;
let probe: string;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function profileOf(json: object): SeccompProfile {
  const parsed = parseProfile(JSON.stringify(json), 'test.json');
  assert.deepEqual(parsed.findings.filter((finding) => finding.severity === 'error'), []);
  return parsed.profile as SeccompProfile;
}

/** Runs `command` under the compiled profile, with `root` (read-only) as the file system root. */
function runUnder(profile: SeccompProfile, command: string[], root = '/'): Run {
  const programFile = path.join(work, `filter-${Math.random().toString(36).slice(2)}.bpf`);
  fs.writeFileSync(programFile, encodeProgram(compileProfile(profile, { machine: 'x86_64', environment: { caps: new Set() } }).program));
  const fd = fs.openSync(programFile, 'r');
  try {
    const result = spawnSync('bwrap', ['--ro-bind', root, '/', '--dev', '/dev', '--proc', '/proc', '--seccomp', '3', ...command], {
      stdio: ['ignore', 'pipe', 'pipe', fd],
      encoding: 'utf8',
    });
    if (result.error !== undefined) throw result.error;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(programFile, { force: true });
  }
}

function nr(name: string, arch: ArchInfo = X86_64): string {
  return String(arch.syscalls[name]);
}

type Extra = Partial<{ defaultErrnoRet: number; architectures: string[] }>;

/** Builds the generated minimal profile with extra rules placed before its own. */
function minimalJson(rules: object[], extra: Extra = {}): object {
  const base = generateProfile({ base: 'minimal', allow: [], deny: [], arches: extra.architectures ?? ['SCMP_ARCH_X86_64'] }) as { syscalls: object[] };
  return { ...base, ...extra, syscalls: [...rules, ...base.syscalls] };
}

function minimalWith(rules: object[], extra: Extra = {}): SeccompProfile {
  return profileOf(minimalJson(rules, extra));
}

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), `kh-seccomp-run-${process.pid}-`));
  probe = path.join(work, 'syscall-probe');
  const source = path.resolve('test/seccomp/syscall-probe.c');
  const build = spawnSync('gcc', ['-O2', '-static', '-pthread', '-o', probe, source], { encoding: 'utf8' });
  assert.equal(build.status, 0, `gcc failed: ${build.stderr}`);
});

after(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe('compiled filter under bwrap', () => {
  it('lets allowed calls run', () => {
    const result = runUnder(minimalWith([]), [probe, nr('getpid')]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^ok \d+$/m);
  });

  it('fails denied calls with the rule errno', () => {
    const result = runUnder(minimalWith([{ names: ['uname'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }]), [probe, nr('uname'), '0']);
    assert.equal(result.stdout.trim(), 'errno 13');
  });

  it('fails unlisted calls with defaultErrnoRet', () => {
    const result = runUnder(minimalWith([], { defaultErrnoRet: 95 }), [probe, nr('mkdirat'), '0', '0', '0']);
    assert.equal(result.stdout.trim(), 'errno 95');
  });

  it('kills on SCMP_ACT_KILL_PROCESS', () => {
    const result = runUnder(minimalWith([{ names: ['getppid'], action: 'SCMP_ACT_KILL_PROCESS' }]), [probe, nr('getppid')]);
    assert.equal(result.status, KILLED_BY_SIGSYS);
    assert.equal(result.stdout, '');
  });

  it('kills the thread on SCMP_ACT_KILL', () => {
    const result = runUnder(minimalWith([{ names: ['getppid'], action: 'SCMP_ACT_KILL' }]), [probe, nr('getppid')]);
    assert.equal(result.status, KILLED_BY_SIGSYS);
    assert.equal(result.stdout, '');
  });

  it('sends SIGSYS on SCMP_ACT_TRAP', () => {
    const result = runUnder(minimalWith([{ names: ['getppid'], action: 'SCMP_ACT_TRAP' }]), [probe, nr('getppid')]);
    assert.equal(result.status, KILLED_BY_SIGSYS);
  });

  it('lets SCMP_ACT_LOG calls run', () => {
    const result = runUnder(minimalWith([{ names: ['getppid'], action: 'SCMP_ACT_LOG' }]), [probe, nr('getppid')]);
    assert.match(result.stdout, /^ok \d+$/m);
  });

  it('tests argument conditions', () => {
    const profile = minimalWith([{ names: ['getpriority'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] }]);
    assert.match(runUnder(profile, [probe, nr('getpriority'), '0', '0']).stdout, /^ok /);
    assert.equal(runUnder(profile, [probe, nr('getpriority'), '1', '0']).stdout.trim(), 'errno 1');
  });

  it('kills i386 calls when SCMP_ARCH_X86 is not listed', () => {
    const result = runUnder(minimalWith([]), [probe, 'int80', nr('getpid', X86)]);
    assert.equal(result.status, KILLED_BY_SIGSYS);
  });

  it('filters i386 calls when SCMP_ARCH_X86 is listed', () => {
    const profile = minimalWith([{ names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 22 }], { architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'] });
    assert.match(runUnder(profile, [probe, 'int80', nr('getpid', X86)]).stdout, /^ok \d+$/m);
    assert.equal(runUnder(profile, [probe, 'int80', nr('getppid', X86)]).stdout.trim(), 'errno 22');
  });
});

describe('clone3 errno and threads', () => {
  it('starts threads when clone3 returns ENOSYS', () => {
    const result = runUnder(minimalWith([]), [probe, 'thread']);
    assert.equal(result.stdout.trim(), 'ok thread');
    const codes = lintSeccomp({ path: 'p.json', content: JSON.stringify(minimalJson([])), options: {} }).map((finding) => finding.code);
    assert.ok(!codes.includes('seccomp.clone3-errno'));
  });

  it('fails pthread_create when clone3 returns EPERM', () => {
    const json = minimalJson([{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }]);
    assert.equal(runUnder(profileOf(json), [probe, 'thread']).stdout.trim(), 'errno 1');
    const codes = lintSeccomp({ path: 'p.json', content: JSON.stringify(json), options: {} }).map((finding) => finding.code);
    assert.ok(codes.includes('seccomp.clone3-errno'));
  });
});

describe('startup checks agree with real programs', () => {
  const guide = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { names: ['read', 'write', 'open', 'close', 'stat', 'fstat'], action: 'SCMP_ACT_ALLOW' },
      { names: ['socket', 'bind', 'listen', 'accept'], action: 'SCMP_ACT_ALLOW' },
    ],
  };
  const minimal = generateProfile({ base: 'minimal', allow: [], deny: [], arches: ['SCMP_ARCH_X86_64'] }) as { syscalls: { names: string[] }[] };
  const without = (names: string[]) => ({
    ...minimal,
    syscalls: minimal.syscalls.map((rule) => ({ ...rule, names: rule.names.filter((name) => !names.includes(name)) })),
  });
  const cases: [string, object][] = [
    ['guide example', guide],
    ['generated minimal', minimal],
    ['minimal without execve', without(['execve'])],
    ['minimal without arch_prctl', without(['arch_prctl'])],
    ['minimal without exit calls', without(['exit', 'exit_group'])],
    ['minimal without pread64', without(['pread64'])],
    ['minimal without newfstatat', without(['newfstatat', 'statx'])],
    ['hardened fixture', JSON.parse(HARDENED_TREE['/etc/seccomp/httpd.json'] as string) as object],
  ];

  for (const [name, json] of cases) {
    it(`${name}: lint matches outcome`, () => {
      const codes = lintSeccomp({ path: `${name}.json`, content: JSON.stringify(json), options: {} }).map((finding) => finding.code);
      const profile = profileOf(json);
      const busybox = runUnder(profile, ['/bin/busybox', 'true']);
      const glibc = runUnder(profile, ['/bin/true']);
      assert.equal(codes.includes('seccomp.not-startable'), busybox.status !== 0, `busybox exit ${busybox.status}, codes ${codes.join(' ')}`);
      const dynamicFails = codes.includes('seccomp.not-startable') || codes.includes('seccomp.glibc-startup');
      assert.equal(dynamicFails, glibc.status !== 0, `/bin/true exit ${glibc.status}, codes ${codes.join(' ')}`);
    });
  }

  it('generated server profile runs echo', () => {
    const profile = profileOf(generateProfile({ base: 'server', allow: [], deny: [], arches: ['SCMP_ARCH_X86_64'] }));
    const result = runUnder(profile, ['/bin/echo', 'hello']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'hello\n');
  });
});

describe('moby default profile under bwrap', () => {
  const content = fs.readFileSync('../shared/corpus/seccomp/moby-default.json', 'utf8');
  const profile = parseProfile(content, 'moby-default.json').profile as SeccompProfile;

  it('runs echo', () => {
    const result = runUnder(profile, ['/bin/echo', 'hello']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'hello\n');
  });

  it('denies unshare without capabilities', () => {
    assert.equal(runUnder(profile, [probe, nr('unshare'), '0']).stdout.trim(), 'errno 1');
  });

  it('returns ENOSYS for clone3', () => {
    assert.equal(runUnder(profile, [probe, nr('clone3'), '0', '0']).stdout.trim(), 'errno 38');
    assert.equal(runUnder(profile, [probe, 'thread']).stdout.trim(), 'ok thread');
  });
});

describe('Kimigayo musl loader under bwrap', () => {
  // Kimigayo's musl dynamic loader, run as a program, starts musl and prints its usage.
  const loader = '/lib/ld-musl-x86_64.so.1';

  it('starts under the minimal profile', () => {
    const profile = profileOf(generateProfile({ base: 'minimal', allow: [], deny: [], arches: ['SCMP_ARCH_X86_64'] }));
    const result = runUnder(profile, [loader], kimigayoTree());
    assert.match(result.stderr, /^musl libc \(x86_64\)/);
  });

  it('cannot start under the guide example', () => {
    const guide = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['read', 'write', 'open', 'close', 'stat', 'fstat', 'socket', 'bind', 'listen', 'accept'], action: 'SCMP_ACT_ALLOW' }],
    };
    const result = runUnder(profileOf(guide), [loader], kimigayoTree());
    // The filter is in force from bwrap's execvp on, and the example does not allow execve.
    assert.match(result.stderr, /execvp .*: Operation not permitted/);
    assert.doesNotMatch(result.stderr, /musl libc/);
  });
});
