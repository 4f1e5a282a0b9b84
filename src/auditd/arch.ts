import * as fs from 'node:fs';
import { RootFs } from '../target/rootfs.js';
import { AUDIT_SYSCALL_NAMES } from './syscall-names.js';

/** Machines whose syscall tables the linter has, named as `uname -m` and ausyscall name them. */
export type Machine = 'x86_64' | 'i386' | 'aarch64' | 'arm';

/** ELF e_machine values (elf.h) of the machines above. */
const ELF_MACHINES: Record<number, Machine> = { 62: 'x86_64', 3: 'i386', 183: 'aarch64', 40: 'arm' };
const NODE_ARCHES: Record<string, Machine> = { x64: 'x86_64', ia32: 'i386', arm64: 'aarch64', arm: 'arm' };

/** Syscall tables of the 32-bit compatibility mode of each 64-bit machine. */
const COMPAT: Partial<Record<Machine, Machine>> = { x86_64: 'i386', aarch64: 'arm' };

/** Names auditctl accepts for `-F arch=` besides b32 and b64 (audit-userspace machinetab). */
const ARCH_NAMES: Record<string, Machine> = {
  x86_64: 'x86_64', i386: 'i386', i486: 'i386', i586: 'i386', i686: 'i386', aarch64: 'aarch64', arm: 'arm', armeb: 'arm', armv7l: 'arm',
};

/** The machine of this process, used when a file's target is unknown. */
export function hostMachine(): Machine {
  return NODE_ARCHES[process.arch] ?? 'x86_64';
}

/**
 * Read the machine a root file system was built for from the ELF header of its shell
 * (`/bin/busybox` on BusyBox systems, `/bin/sh` elsewhere); undefined when neither is ELF.
 */
export function targetMachine(root: string): Machine | undefined {
  const rootFs = new RootFs(root);
  for (const candidate of ['/bin/busybox', '/bin/sh', '/usr/bin/env']) {
    let header: Buffer;
    try {
      const fd = fs.openSync(rootFs.resolve(candidate), 'r');
      try {
        header = Buffer.alloc(20);
        fs.readSync(fd, header, 0, 20, 0);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      continue;
    }
    if (header.toString('latin1', 0, 4) !== '\x7fELF') continue;
    // e_machine is a 16-bit field at offset 18, in the byte order named at offset 5 (1 = little endian).
    const machine = header[5] === 2 ? header.readUInt16BE(18) : header.readUInt16LE(18);
    return ELF_MACHINES[machine];
  }
  return undefined;
}

/**
 * Resolve a `-F arch=` value to the syscall table auditctl uses on `machine`: b64 is the
 * machine itself, b32 its 32-bit compatibility table. Undefined when auditctl would reject the
 * value on that machine (b64 on a 32-bit machine, b32 on one without a compatibility mode).
 */
export function resolveArch(value: string, machine: Machine): Machine | undefined {
  if (value === 'b64') return machine === 'x86_64' || machine === 'aarch64' ? machine : undefined;
  if (value === 'b32') return machine === 'i386' || machine === 'arm' ? machine : COMPAT[machine];
  return ARCH_NAMES[value];
}

/** The compatibility table of a 64-bit machine, which 32-bit programs reach through the b32 arch. */
export function compatMachine(machine: Machine): Machine | undefined {
  return COMPAT[machine];
}

const TABLES = new Map<Machine, Set<string>>();

/** Whether `name` is a syscall of `machine`'s table; `all` and numbers are accepted as auditctl does. */
export function isKnownSyscall(name: string, machine: Machine): boolean {
  if (name === 'all' || /^\d+$/.test(name)) return true;
  let table = TABLES.get(machine);
  if (table === undefined) {
    table = new Set(AUDIT_SYSCALL_NAMES[machine] ?? []);
    TABLES.set(machine, table);
  }
  return table.has(name);
}
