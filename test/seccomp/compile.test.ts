import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ARCHES } from '../../src/seccomp/arch.js';
import type { ArchInfo } from '../../src/seccomp/arch.js';
import { BPF_MAXINSNS, decodeProgram, disassemble, encodeProgram, SECCOMP_RET } from '../../src/seccomp/bpf.js';
import { CompileError, compileProfile, returnValue } from '../../src/seccomp/compile.js';
import { parseProfile } from '../../src/seccomp/profile.js';
import type { SeccompProfile } from '../../src/seccomp/profile.js';
import { defaultErrno, entriesByNumber } from '../../src/seccomp/rules.js';
import { countSteps, runFilter } from './interpreter.js';

// aarch64 and arm programs cannot run on this x86_64 machine, so these tests execute the
// compiled programs with the small BPF interpreter in interpreter.ts. run.test.ts loads x86_64
// programs into the real kernel through bwrap.

const NO_CAPS = { caps: new Set<string>() };
const X86_64 = ARCHES.SCMP_ARCH_X86_64 as ArchInfo;
const X86 = ARCHES.SCMP_ARCH_X86 as ArchInfo;
const X32 = ARCHES.SCMP_ARCH_X32 as ArchInfo;
const AARCH64 = ARCHES.SCMP_ARCH_AARCH64 as ArchInfo;
const ARM = ARCHES.SCMP_ARCH_ARM as ArchInfo;
const errno = (value: number) => SECCOMP_RET.ERRNO | value;

function profileOf(json: object): SeccompProfile {
  const parsed = parseProfile(JSON.stringify(json), 'test.json');
  assert.deepEqual(parsed.findings.filter((finding) => finding.severity === 'error'), []);
  return parsed.profile as SeccompProfile;
}

function nr(arch: ArchInfo, name: string): number {
  const value = arch.syscalls[name];
  assert.notEqual(value, undefined, `${name} on ${arch.name}`);
  return value as number;
}

function verdict(profile: SeccompProfile, machine: string, arch: ArchInfo, name: string, args: bigint[] = []): number {
  const { program } = compileProfile(profile, { machine, environment: NO_CAPS });
  return runFilter(program, { nr: nr(arch, name), arch: arch.auditArch, args });
}

const BASIC = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 13,
  architectures: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM', 'SCMP_ARCH_X86_64'],
  syscalls: [
    { names: ['read', 'write', 'openat'], action: 'SCMP_ACT_ALLOW' },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    { names: ['ptrace'], action: 'SCMP_ACT_KILL_PROCESS' },
    { names: ['kill'], action: 'SCMP_ACT_TRAP' },
    { names: ['getpid'], action: 'SCMP_ACT_LOG' },
  ],
};

describe('compile for aarch64', () => {
  const profile = profileOf(BASIC);

  it('allows listed calls', () => {
    assert.equal(verdict(profile, 'aarch64', AARCH64, 'read'), SECCOMP_RET.ALLOW);
    assert.equal(verdict(profile, 'aarch64', AARCH64, 'openat'), SECCOMP_RET.ALLOW);
  });

  it('returns the default errno', () => {
    assert.equal(verdict(profile, 'aarch64', AARCH64, 'mkdirat'), errno(13));
  });

  it('returns a rule errno', () => {
    assert.equal(verdict(profile, 'aarch64', AARCH64, 'clone3'), errno(38));
  });

  it('keeps kill, trap and log actions', () => {
    assert.equal(verdict(profile, 'aarch64', AARCH64, 'ptrace'), SECCOMP_RET.KILL_PROCESS);
    assert.equal(verdict(profile, 'aarch64', AARCH64, 'kill'), SECCOMP_RET.TRAP);
    assert.equal(verdict(profile, 'aarch64', AARCH64, 'getpid'), SECCOMP_RET.LOG);
  });

  it('filters arm calls by their own numbers', () => {
    assert.notEqual(nr(ARM, 'read'), nr(AARCH64, 'read'));
    assert.equal(verdict(profile, 'aarch64', ARM, 'read'), SECCOMP_RET.ALLOW);
    assert.equal(verdict(profile, 'aarch64', ARM, 'ptrace'), SECCOMP_RET.KILL_PROCESS);
    assert.equal(verdict(profile, 'aarch64', ARM, 'mkdir'), errno(13));
  });

  it('kills calls of architectures not listed', () => {
    const only = profileOf({ ...BASIC, architectures: ['SCMP_ARCH_AARCH64'] });
    assert.equal(verdict(only, 'aarch64', ARM, 'read'), SECCOMP_RET.KILL_PROCESS);
    assert.equal(runFilter(compileProfile(only, { machine: 'aarch64', environment: NO_CAPS }).program, { nr: 0, arch: X86_64.auditArch }), SECCOMP_RET.KILL_PROCESS);
  });

  it('ignores names aarch64 does not have', () => {
    const legacy = profileOf({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_AARCH64'], syscalls: [{ names: ['open', 'read'], action: 'SCMP_ACT_ALLOW' }] });
    assert.equal(verdict(legacy, 'aarch64', AARCH64, 'openat'), errno(1));
    assert.equal(verdict(legacy, 'aarch64', AARCH64, 'read'), SECCOMP_RET.ALLOW);
  });
});

describe('compile for x86_64', () => {
  it('covers i386 and x32 when listed', () => {
    const profile = profileOf({ ...BASIC, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] });
    assert.equal(verdict(profile, 'x86_64', X86, 'read'), SECCOMP_RET.ALLOW);
    assert.equal(verdict(profile, 'x86_64', X86, 'ptrace'), SECCOMP_RET.KILL_PROCESS);
    assert.equal(verdict(profile, 'x86_64', X32, 'read'), SECCOMP_RET.ALLOW);
    assert.equal(verdict(profile, 'x86_64', X32, 'ptrace'), SECCOMP_RET.KILL_PROCESS);
    assert.equal(verdict(profile, 'x86_64', X32, 'mkdir'), errno(13));
  });

  it('kills x32 calls when x32 is not listed', () => {
    const profile = profileOf({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['ptrace'], action: 'SCMP_ACT_ERRNO' }] });
    assert.equal(verdict(profile, 'x86_64', X86_64, 'ptrace'), errno(1));
    assert.equal(verdict(profile, 'x86_64', X32, 'ptrace'), SECCOMP_RET.KILL_PROCESS);
    assert.equal(verdict(profile, 'x86_64', X86, 'ptrace'), SECCOMP_RET.KILL_PROCESS);
  });

  it('uses archMap entries of the native architecture', () => {
    const profile = profileOf({
      defaultAction: 'SCMP_ACT_ERRNO',
      archMap: [
        { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] },
        { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
      ],
      syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }],
    });
    const compiled = compileProfile(profile, { machine: 'x86_64', environment: NO_CAPS });
    assert.deepEqual(compiled.arches, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
    assert.equal(verdict(profile, 'x86_64', X86, 'read'), SECCOMP_RET.ALLOW);
  });
});

describe('compile rule filters', () => {
  const profile = profileOf({
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['clone3'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['io_uring_setup'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '5.1' } },
      { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm64'] } },
    ],
  });
  const run = (caps: string[], name: string, kernel?: [number, number]) => {
    const environment = kernel === undefined ? { caps: new Set(caps) } : { caps: new Set(caps), kernel };
    return runFilter(compileProfile(profile, { machine: 'x86_64', environment }).program, { nr: nr(X86_64, name), arch: X86_64.auditArch });
  };

  it('applies includes.caps only with the capability', () => {
    assert.equal(run([], 'mount'), errno(1));
    assert.equal(run(['CAP_SYS_ADMIN'], 'mount'), SECCOMP_RET.ALLOW);
  });

  it('drops excludes.caps rules with the capability', () => {
    assert.equal(run([], 'clone3'), errno(38));
    assert.equal(run(['CAP_SYS_ADMIN'], 'clone3'), SECCOMP_RET.ALLOW);
  });

  it('applies minKernel by kernel version', () => {
    assert.equal(run([], 'io_uring_setup'), SECCOMP_RET.ALLOW);
    assert.equal(run([], 'io_uring_setup', [5, 0]), errno(1));
    assert.equal(run([], 'io_uring_setup', [6, 1]), SECCOMP_RET.ALLOW);
  });

  it('skips rules for other architectures', () => {
    assert.equal(run([], 'arch_prctl'), errno(1));
  });
});

describe('compile argument conditions', () => {
  const OPERATORS = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GT', 'SCMP_CMP_GE', 'SCMP_CMP_MASKED_EQ'] as const;
  const reference = (op: (typeof OPERATORS)[number], arg: bigint, value: bigint, valueTwo: bigint): boolean => {
    switch (op) {
      case 'SCMP_CMP_EQ':
        return arg === value;
      case 'SCMP_CMP_NE':
        return arg !== value;
      case 'SCMP_CMP_LT':
        return arg < value;
      case 'SCMP_CMP_LE':
        return arg <= value;
      case 'SCMP_CMP_GT':
        return arg > value;
      case 'SCMP_CMP_GE':
        return arg >= value;
      case 'SCMP_CMP_MASKED_EQ':
        return (arg & value) === valueTwo;
    }
  };
  // Values near word boundaries find mistakes in the high/low word comparisons.
  const interesting = fc.oneof(
    fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }),
    fc.constantFrom(0n, 1n, 0xffffffffn, 0x100000000n, 0x100000001n, 0xffffffff00000000n, 0xffffffffffffffffn),
    fc.bigInt({ min: 0n, max: 0x1ffffffffn }),
  );

  for (const op of OPERATORS) {
    it(`${op} matches 64-bit arithmetic`, () => {
      fc.assert(
        fc.property(interesting, interesting, interesting, fc.integer({ min: 0, max: 5 }), (arg, value, valueTwo, index) => {
          const profile = profileOf({
            defaultAction: 'SCMP_ACT_ERRNO',
            architectures: ['SCMP_ARCH_X86_64'],
            syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ALLOW', args: [{ index, value: 0, op: 'SCMP_CMP_EQ' }] }],
          });
          // JSON cannot carry 64-bit values exactly as numbers, so the condition is set directly.
          (profile.syscalls[0] as SeccompProfile['syscalls'][number]).args = [{ index, value, valueTwo, op, offset: 0 }];
          const args = [0n, 0n, 0n, 0n, 0n, 0n];
          args[index] = arg;
          const expected = reference(op, arg, value, valueTwo) ? SECCOMP_RET.ALLOW : errno(1);
          assert.equal(verdict(profile, 'x86_64', X86_64, 'ioctl', args), expected);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('compares only the low word on 32-bit arm', () => {
    const profile = profileOf({
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
      syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 5, op: 'SCMP_CMP_EQ' }] }],
    });
    assert.equal(verdict(profile, 'aarch64', ARM, 'ioctl', [0n, 0x700000005n]), SECCOMP_RET.ALLOW);
    assert.equal(verdict(profile, 'aarch64', AARCH64, 'ioctl', [0n, 0x700000005n]), errno(1));
    assert.equal(verdict(profile, 'aarch64', AARCH64, 'ioctl', [0n, 5n]), SECCOMP_RET.ALLOW);
  });

  it('ORs rules and ANDs conditions', () => {
    const profile = profileOf({
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
        { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }, { index: 1, value: 1, op: 'SCMP_CMP_EQ' }] },
      ],
    });
    assert.equal(verdict(profile, 'x86_64', X86_64, 'personality', [0n]), SECCOMP_RET.ALLOW);
    assert.equal(verdict(profile, 'x86_64', X86_64, 'personality', [8n]), SECCOMP_RET.ALLOW);
    assert.equal(verdict(profile, 'x86_64', X86_64, 'personality', [9n]), errno(1));
    assert.equal(verdict(profile, 'x86_64', X86_64, 'socket', [2n, 1n]), SECCOMP_RET.ALLOW);
    assert.equal(verdict(profile, 'x86_64', X86_64, 'socket', [2n, 2n]), errno(1));
    assert.equal(verdict(profile, 'x86_64', X86_64, 'socket', [10n, 1n]), errno(1));
  });
});

describe('compile output', () => {
  it('encodes and decodes the same program', () => {
    const { program } = compileProfile(profileOf(BASIC), { machine: 'x86_64', environment: NO_CAPS });
    assert.deepEqual(decodeProgram(encodeProgram(program)), program);
  });

  it('disassembles every instruction', () => {
    const { program } = compileProfile(profileOf(BASIC), { machine: 'aarch64', environment: NO_CAPS });
    const listing = disassemble(program);
    assert.equal(listing.trimEnd().split('\n').length, program.length);
    assert.match(listing, /ret ERRNO\(38\)/);
    assert.doesNotMatch(listing, /\.word/);
  });

  it('rejects SCMP_ACT_NOTIFY', () => {
    const profile = profileOf({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOTIFY' }] });
    assert.throws(() => compileProfile(profile, { machine: 'x86_64', environment: NO_CAPS }), CompileError);
  });
});

describe('compile moby default profile', () => {
  const content = fs.readFileSync('../shared/corpus/seccomp/moby-default.json', 'utf8');
  const profile = parseProfile(content, 'moby-default.json').profile as SeccompProfile;

  for (const machine of ['x86_64', 'aarch64']) {
    it(`fits the kernel limit on ${machine}`, () => {
      const { program } = compileProfile(profile, { machine, environment: NO_CAPS });
      assert.ok(program.length > 100);
      assert.ok(program.length <= BPF_MAXINSNS, `${program.length} instructions`);
    });
  }

  it('denies namespace flags of clone on aarch64', () => {
    const CLONE_NEWUSER = 0x10000000n;
    assert.equal(verdict(profile, 'aarch64', AARCH64, 'clone', [0x11n]), SECCOMP_RET.ALLOW);
    assert.equal(verdict(profile, 'aarch64', AARCH64, 'clone', [CLONE_NEWUSER]), errno(1));
    assert.equal(verdict(profile, 'aarch64', AARCH64, 'clone3'), errno(38));
  });

  it('allows clone3 with CAP_SYS_ADMIN', () => {
    const { program } = compileProfile(profile, { machine: 'aarch64', environment: { caps: new Set(['CAP_SYS_ADMIN']) } });
    assert.equal(runFilter(program, { nr: nr(AARCH64, 'clone3'), arch: AARCH64.auditArch }), SECCOMP_RET.ALLOW);
  });

  it('denies mount without capabilities', () => {
    assert.equal(verdict(profile, 'aarch64', AARCH64, 'mount'), errno(1));
    assert.equal(verdict(profile, 'aarch64', ARM, 'mount'), errno(1));
  });
});

describe('compile call number search', () => {
  const content = fs.readFileSync('../shared/corpus/seccomp/moby-default.json', 'utf8');
  const moby = parseProfile(content, 'moby-default.json').profile as SeccompProfile;

  /** Evaluates the profile directly, rule by rule, as the reference for the compiled program. */
  function reference(profile: SeccompProfile, arch: ArchInfo, number: number, args: bigint[], caps: Set<string>): number {
    const entries = entriesByNumber(profile, arch, { caps }).get(number) ?? [];
    for (const entry of entries) {
      const holds = entry.args.every((arg) => {
        const mask = arch.argBits === 32 ? 0xffffffffn : 0xffffffffffffffffn;
        const value = (args[arg.index] ?? 0n) & mask;
        const expected = arg.value & mask;
        switch (arg.op) {
          case 'SCMP_CMP_EQ':
            return value === expected;
          case 'SCMP_CMP_NE':
            return value !== expected;
          case 'SCMP_CMP_LT':
            return value < expected;
          case 'SCMP_CMP_LE':
            return value <= expected;
          case 'SCMP_CMP_GT':
            return value > expected;
          case 'SCMP_CMP_GE':
            return value >= expected;
          default:
            return (value & expected) === (arg.valueTwo & mask);
        }
      });
      if (holds) return returnValue(entry.action, entry.errno);
    }
    return returnValue(profile.defaultAction, defaultErrno(profile));
  }

  const argSets = [[], [0x10000000n], [0x11n, 0n], [8n], [0xffffffffn]];
  const cases: [string, ArchInfo, number[]][] = [
    ['x86_64', X86_64, Array.from({ length: 1200 }, (_, index) => index)],
    ['x86_64', X86, Array.from({ length: 1200 }, (_, index) => index)],
    ['x86_64', X32, Array.from({ length: 1200 }, (_, index) => 0x40000000 + index)],
    ['aarch64', AARCH64, Array.from({ length: 1200 }, (_, index) => index)],
    ['aarch64', ARM, [...Array.from({ length: 1200 }, (_, index) => index), ...Array.from({ length: 16 }, (_, index) => 0xf0000 + index)]],
  ];

  for (const caps of [new Set<string>(), new Set(['CAP_SYS_ADMIN', 'CAP_SYS_PTRACE'])]) {
    for (const [machine, arch, numbers] of cases) {
      it(`moby matches reference on ${arch.name}${caps.size > 0 ? ' with caps' : ''}`, () => {
        const { program } = compileProfile(moby, { machine, environment: { caps } });
        const mismatches: string[] = [];
        for (const number of numbers) {
          for (const args of argSets) {
            const expected = reference(moby, arch, number, args, caps);
            const actual = runFilter(program, { nr: number, arch: arch.auditArch, args });
            if (actual !== expected) mismatches.push(`nr ${number} args ${args.join(',')}: ${actual} != ${expected}`);
          }
        }
        assert.deepEqual(mismatches.slice(0, 5), []);
      });
    }
  }

  it('keeps the search short', () => {
    const { program } = compileProfile(moby, { machine: 'x86_64', environment: NO_CAPS });
    const steps = Object.values(X86_64.syscalls).map((number) => countSteps(program, { nr: number, arch: X86_64.auditArch }));
    assert.ok(Math.max(...steps) <= 40, `max ${Math.max(...steps)} instructions`);
  });
});
