import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Finding } from '../../src/lint/types.js';
import { CompileError, compileProfile } from '../../src/seccomp/compile.js';
import { generateProfile } from '../../src/seccomp/generate.js';
import { lintSeccomp, seccompLinter } from '../../src/seccomp/lint.js';
import { parseProfile } from '../../src/seccomp/profile.js';

function lint(content: string | object): Finding[] {
  return lintSeccomp({ path: 'p.json', content: typeof content === 'string' ? content : JSON.stringify(content, null, 2), options: {} });
}

function codes(content: string | object): string[] {
  return lint(content).filter((finding) => finding.severity !== 'info').map((finding) => finding.code);
}

function only(content: string | object, code: string): Finding[] {
  return lint(content).filter((finding) => finding.code === code);
}

const GUIDE_EXAMPLE = `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64"],
  "syscalls": [
    {
      "names": ["read", "write", "open", "close", "stat", "fstat"],
      "action": "SCMP_ACT_ALLOW"
    },
    {
      "names": ["socket", "bind", "listen", "accept"],
      "action": "SCMP_ACT_ALLOW"
    }
  ]
}
`;

const generated = (arches = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64']) => generateProfile({ base: 'minimal', allow: [], deny: [], arches }) as {
  syscalls: { names: string[]; action: string }[];
};

describe('seccomp lint schema', () => {
  it('reports invalid JSON with its line', () => {
    const findings = lint('{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [\n}\n');
    assert.equal(findings.length, 1);
    assert.equal(findings[0]?.code, 'seccomp.invalid-json');
    assert.equal(findings[0]?.line, 4);
  });

  it('rejects comments', () => {
    assert.deepEqual(codes('{ // note\n "defaultAction": "SCMP_ACT_ERRNO" }'), ['seccomp.invalid-json']);
  });

  it('requires defaultAction', () => {
    assert.ok(codes({ syscalls: [] }).includes('seccomp.missing-field'));
  });

  it('rejects unknown actions with the value', () => {
    const findings = only({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'ALLOW' }] }, 'seccomp.unknown-action');
    assert.equal(findings.length, 1);
    assert.equal(findings[0]?.value, 'ALLOW');
    assert.equal(findings[0]?.severity, 'error');
  });

  it('rejects unknown architectures', () => {
    assert.ok(codes({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['x86_64'] }).includes('seccomp.unknown-arch'));
    assert.ok(codes({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd65'] } }] }).includes('seccomp.unknown-arch'));
  });

  it('rejects architectures with archMap', () => {
    const profile = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: null }] };
    assert.ok(codes(profile).includes('seccomp.arch-and-archmap'));
  });

  it('rejects name with names', () => {
    assert.ok(codes({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ name: 'read', names: ['write'], action: 'SCMP_ACT_ALLOW' }] }).includes('seccomp.name-and-names'));
  });

  it('accepts the single name form', () => {
    const findings = only({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ name: 'reed', action: 'SCMP_ACT_ALLOW' }] }, 'seccomp.unknown-syscall');
    assert.equal(findings[0]?.value, 'reed');
  });

  it('checks argument fields', () => {
    const rule = (arg: object) => ({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ALLOW', args: [arg] }] });
    assert.ok(codes(rule({ index: 6, value: 1, op: 'SCMP_CMP_EQ' })).includes('seccomp.invalid-value'));
    assert.ok(codes(rule({ index: 0, value: -1, op: 'SCMP_CMP_EQ' })).includes('seccomp.invalid-value'));
    assert.ok(codes(rule({ index: 0, value: 1, op: 'EQ' })).includes('seccomp.unknown-operator'));
    assert.ok(codes(rule({ index: 0, value: 1 })).includes('seccomp.missing-field'));
    const wide = '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 18446744073709551615, "op": "SCMP_CMP_EQ"}]}]}';
    assert.deepEqual(only(wide, 'seccomp.invalid-value'), []);
  });

  it('checks errno ranges and use', () => {
    assert.ok(codes({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 5000 }).includes('seccomp.invalid-value'));
    assert.ok(codes({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }] }).includes('seccomp.errno-ignored'));
  });

  it('warns about unknown fields', () => {
    const findings = only({ defaultAction: 'SCMP_ACT_ERRNO', syscall: [] }, 'seccomp.unknown-field');
    assert.equal(findings[0]?.value, 'syscall');
    assert.equal(findings[0]?.severity, 'warning');
  });

  it('rejects SCMP_ACT_NOTIFY as default', () => {
    assert.ok(codes({ defaultAction: 'SCMP_ACT_NOTIFY' }).includes('seccomp.notify-default'));
  });
});

describe('seccomp lint analysis', () => {
  it('guide example cannot start', () => {
    const findings = only(GUIDE_EXAMPLE, 'seccomp.not-startable');
    assert.equal(findings.length, 1);
    assert.match(findings[0]?.message.en ?? '', /execve/);
    assert.match(findings[0]?.message.en ?? '', /arch_prctl/);
  });

  it('guide example denies clone3 with EPERM', () => {
    const findings = only(GUIDE_EXAMPLE, 'seccomp.clone3-errno');
    assert.equal(findings.length, 1);
    assert.equal(findings[0]?.value, 'errno 1');
  });

  it('flags clone3 denied by a rule', () => {
    const profile = generated();
    profile.syscalls = profile.syscalls.map((rule) => (rule.names.includes('clone3') ? { ...rule, errnoRet: 1 } : rule));
    const findings = only(profile, 'seccomp.clone3-errno');
    assert.equal(findings.length, 1);
    assert.ok((findings[0]?.line ?? 0) > 1);
  });

  it('flags open in an aarch64-only profile', () => {
    const profile = generated(['SCMP_ARCH_AARCH64']);
    profile.syscalls.push({ names: ['open'], action: 'SCMP_ACT_ALLOW' });
    const findings = only(profile, 'seccomp.syscall-not-on-arch');
    assert.equal(findings.length, 1);
    assert.equal(findings[0]?.value, 'open');
    assert.match(findings[0]?.message.en ?? '', /openat/);
  });

  it('accepts open next to openat on two architectures', () => {
    assert.deepEqual(only(generated(), 'seccomp.syscall-not-on-arch').filter((finding) => finding.severity !== 'info'), []);
  });

  it('flags open without openat for aarch64', () => {
    const profile = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'], syscalls: [{ names: ['open', 'read'], action: 'SCMP_ACT_ALLOW' }] };
    const findings = only(profile, 'seccomp.syscall-not-on-arch');
    assert.equal(findings.length, 1);
    assert.match(findings[0]?.message.en ?? '', /SCMP_ARCH_AARCH64/);
  });

  it('reports misspelt names as errors', () => {
    const findings = only({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'exceve'], action: 'SCMP_ACT_ALLOW' }] }, 'seccomp.unknown-syscall');
    assert.equal(findings.length, 1);
    assert.equal(findings[0]?.severity, 'error');
    assert.equal(findings[0]?.value, 'exceve');
  });

  it('skips names of architectures without tables', () => {
    const profile = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['s390_runtime_instr'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['s390x'] } }] };
    assert.deepEqual(only(profile, 'seccomp.unknown-syscall'), []);
  });

  for (const name of ['ptrace', 'kexec_load', 'init_module', 'bpf', 'mount', 'unshare', 'keyctl', 'perf_event_open', 'userfaultfd']) {
    it(`flags ${name} when allowed`, () => {
      const profile = generated();
      profile.syscalls.push({ names: [name], action: 'SCMP_ACT_ALLOW' });
      const findings = only(profile, 'seccomp.dangerous-syscall');
      assert.deepEqual(findings.map((finding) => finding.value), [name]);
    });
  }

  it('ignores dangerous calls behind capabilities', () => {
    const profile = generated();
    profile.syscalls.push({ names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } } as never);
    assert.deepEqual(only(profile, 'seccomp.dangerous-syscall'), []);
  });

  it('flags default allow without compat arches', () => {
    const profile = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['ptrace'], action: 'SCMP_ACT_ERRNO' }] };
    assert.deepEqual(codes(profile).sort(), ['seccomp.compat-arch-open', 'seccomp.dangerous-syscall', 'seccomp.default-allow'].sort());
    assert.doesNotMatch(only(profile, 'seccomp.dangerous-syscall')[0]?.value ?? '', /ptrace/);
    const covered = { ...profile, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] };
    assert.ok(!codes(covered).includes('seccomp.compat-arch-open'));
  });

  it('passes the generated profiles', () => {
    for (const base of ['minimal', 'server']) {
      const profile = generateProfile({ base, allow: [], deny: [], arches: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_X86', 'SCMP_ARCH_ARM'] });
      assert.deepEqual(codes(profile), [], base);
    }
  });
});

describe('seccomp lint on moby default profile', () => {
  const content = fs.readFileSync('../shared/corpus/seccomp/moby-default.json', 'utf8');

  // This version of the profile allows the three io_uring calls without conditions. It also allows
  // ptrace through a rule with includes.minKernel 4.8, which lint counts as met.
  it('reports only io_uring and ptrace', () => {
    const findings = lint(content).filter((finding) => finding.severity !== 'info');
    assert.deepEqual(findings.map((finding) => `${finding.code} ${finding.value}`).sort(), [
      'seccomp.dangerous-syscall io_uring_enter',
      'seccomp.dangerous-syscall io_uring_register',
      'seccomp.dangerous-syscall io_uring_setup',
      'seccomp.dangerous-syscall ptrace',
    ]);
  });

  it('is detected as seccomp', () => {
    assert.ok(seccompLinter.detect(content, 'x') >= 0.9);
    assert.equal(seccompLinter.detect('{"icc": false}', 'daemon.json'), 0);
    assert.equal(seccompLinter.detect('-w /etc/passwd -p wa', 'audit.rules'), 0);
  });
});

describe('seccomp lint conflicts', () => {
  it('flags a call decided twice', () => {
    const profile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'],
      syscalls: [
        { names: ['read', 'openat'], action: 'SCMP_ACT_ALLOW' },
        { names: ['openat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
      ],
    };
    const findings = only(profile, 'seccomp.conflicting-rules');
    assert.equal(findings.length, 1);
    assert.equal(findings[0]?.value, 'openat');
  });

  it('accepts the same decision twice', () => {
    const profile = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }, { names: ['read'], action: 'SCMP_ACT_ALLOW' }] };
    assert.deepEqual(only(profile, 'seccomp.conflicting-rules'), []);
  });
});

describe('seccomp lint without tables', () => {
  it('notes unchecked architectures', () => {
    const findings = only({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_S390X'], syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }, 'seccomp.arch-not-checked');
    assert.equal(findings.length, 1);
    assert.equal(findings[0]?.severity, 'info');
    assert.equal(findings[0]?.value, 'SCMP_ARCH_S390X');
  });
});

describe('seccomp lint on random input', () => {
  const action = fc.constantFrom('SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE', 'SCMP_ACT_BOGUS');
  const name = fc.constantFrom('read', 'open', 'openat', 'clone3', 'ptrace', 'mmap2', 'nosuch', '');
  const arch = fc.constantFrom('SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_S390X', 'bogus');
  const value = fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.boolean());
  const arg = fc.record({ index: fc.oneof(fc.integer({ min: -1, max: 7 }), value), value: fc.oneof(fc.nat(), value), op: fc.oneof(fc.constantFrom('SCMP_CMP_EQ', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_GT'), value) }, { requiredKeys: [] });
  const rule = fc.record(
    {
      names: fc.oneof(fc.array(name, { maxLength: 4 }), value),
      action: fc.oneof(action, value),
      errnoRet: fc.oneof(fc.integer({ min: -1, max: 5000 }), value),
      args: fc.oneof(fc.array(arg, { maxLength: 3 }), value),
      includes: fc.oneof(fc.record({ arches: fc.array(fc.constantFrom('amd64', 'arm64', 'x32', 's390x', 'nope')), caps: fc.array(fc.constantFrom('CAP_SYS_ADMIN', 'bad')), minKernel: fc.constantFrom('4.8', 'x') }, { requiredKeys: [] }), value),
    },
    { requiredKeys: [] },
  );
  const profile = fc.record(
    {
      defaultAction: fc.oneof(action, value),
      defaultErrnoRet: fc.oneof(fc.integer({ min: -1, max: 5000 }), value),
      architectures: fc.oneof(fc.array(arch, { maxLength: 3 }), value),
      archMap: fc.oneof(fc.array(fc.record({ architecture: arch, subArchitectures: fc.oneof(fc.array(arch, { maxLength: 2 }), fc.constant(null)) }), { maxLength: 2 }), value),
      syscalls: fc.oneof(fc.array(rule, { maxLength: 4 }), value),
    },
    { requiredKeys: [] },
  );

  it('never throws on profile-like JSON', () => {
    fc.assert(
      fc.property(profile, (json) => {
        const findings = lint(json);
        for (const finding of findings) {
          assert.ok((finding.line ?? 0) >= 1);
          assert.notEqual(finding.message.en, '');
          assert.notEqual(finding.message.ja, '');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (content) => {
        lint(content);
      }),
      { numRuns: 500 },
    );
  });

  it('compiles every profile without errors', () => {
    fc.assert(
      fc.property(profile, fc.constantFrom('x86_64', 'aarch64'), (json, machine) => {
        const parsed = parseProfile(JSON.stringify(json), 'p.json');
        if (parsed.profile === undefined || parsed.findings.some((finding) => finding.severity === 'error')) return;
        try {
          compileProfile(parsed.profile, { machine, environment: { caps: new Set() } });
        } catch (error) {
          assert.ok(error instanceof CompileError, String(error));
        }
      }),
      { numRuns: 500 },
    );
  });
});
