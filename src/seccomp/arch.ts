import * as aarch64 from './tables/aarch64.js';
import * as arm from './tables/arm.js';
import * as x32 from './tables/x32.js';
import * as x86 from './tables/x86.js';
import * as x86_64 from './tables/x86_64.js';

/** An architecture whose system call table this tool has, with the values the kernel puts in `seccomp_data.arch`. */
export interface ArchInfo {
  /** Name in profiles, e.g. `SCMP_ARCH_X86_64`. */
  name: string;
  /** Name in `includes.arches` and `excludes.arches` of Docker profiles (Go's GOARCH). */
  goArch: string;
  /** AUDIT_ARCH_* value from linux/audit.h. */
  auditArch: number;
  /** Width of system call arguments; 32-bit ABIs compare only the low 32 bits. */
  argBits: 32 | 64;
  syscalls: Readonly<Record<string, number>>;
  source: string;
}

/** Bit that marks an x32 system call number; x32 shares AUDIT_ARCH_X86_64 with x86_64. */
export const X32_SYSCALL_BIT = 0x40000000;

export const ARCHES: Record<string, ArchInfo> = {
  SCMP_ARCH_X86_64: { name: 'SCMP_ARCH_X86_64', goArch: 'amd64', auditArch: 0xc000003e, argBits: 64, syscalls: x86_64.SYSCALLS, source: x86_64.SOURCE },
  // NOTE: i386 socket and SysV IPC calls are matched by their direct numbers only; calls made
  // through socketcall(2) or ipc(2), as older C libraries do, need rules for those two names.
  SCMP_ARCH_X86: { name: 'SCMP_ARCH_X86', goArch: 'x86', auditArch: 0x40000003, argBits: 32, syscalls: x86.SYSCALLS, source: x86.SOURCE },
  // NOTE: x32 arguments are compared as 64-bit values, as the registers are; libseccomp may differ.
  SCMP_ARCH_X32: { name: 'SCMP_ARCH_X32', goArch: 'x32', auditArch: 0xc000003e, argBits: 64, syscalls: x32.SYSCALLS, source: x32.SOURCE },
  SCMP_ARCH_AARCH64: { name: 'SCMP_ARCH_AARCH64', goArch: 'arm64', auditArch: 0xc00000b7, argBits: 64, syscalls: aarch64.SYSCALLS, source: aarch64.SOURCE },
  SCMP_ARCH_ARM: { name: 'SCMP_ARCH_ARM', goArch: 'arm', auditArch: 0x40000028, argBits: 32, syscalls: arm.SYSCALLS, source: arm.SOURCE },
};

/** Every architecture name that libseccomp 2.5 and the OCI runtime specification accept. */
export const KNOWN_ARCHES = new Set([
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
]);

/** GOARCH-style names in `includes.arches`, mapped to profile architecture names. */
export const GO_ARCHES: Record<string, string> = {
  amd64: 'SCMP_ARCH_X86_64',
  x86: 'SCMP_ARCH_X86',
  '386': 'SCMP_ARCH_X86',
  x32: 'SCMP_ARCH_X32',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  mips: 'SCMP_ARCH_MIPS',
  mipsle: 'SCMP_ARCH_MIPSEL',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64le: 'SCMP_ARCH_MIPSEL64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mips64len32: 'SCMP_ARCH_MIPSEL64N32',
  ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
  riscv64: 'SCMP_ARCH_RISCV64',
  loong64: 'SCMP_ARCH_LOONGARCH64',
};

/** Machines that `compile` emits programs for, with the architectures each one's kernel can run. */
export const NATIVE_ARCHES: Record<string, { native: string; compat: string[] }> = {
  x86_64: { native: 'SCMP_ARCH_X86_64', compat: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
  aarch64: { native: 'SCMP_ARCH_AARCH64', compat: ['SCMP_ARCH_ARM'] },
};

/** Number of system call `name` on `arch`, or undefined when that architecture has no such call. */
export function syscallNumber(arch: ArchInfo, name: string): number | undefined {
  return Object.hasOwn(arch.syscalls, name) ? arch.syscalls[name] : undefined;
}

/** Whether `name` exists on at least one of the tables. */
export function knownOnAnyArch(name: string): boolean {
  return Object.values(ARCHES).some((arch) => syscallNumber(arch, name) !== undefined);
}
