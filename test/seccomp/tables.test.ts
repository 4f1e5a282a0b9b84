import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ARCHES } from '../../src/seccomp/arch.js';

// Compares the tables generated from the kernel headers with libseccomp's own tables through
// its scmp_sys_resolver program (Debian package seccomp).

/** libseccomp architecture names for scmp_sys_resolver -a. */
const RESOLVER_ARCH: Record<string, string> = {
  SCMP_ARCH_X86_64: 'x86_64',
  SCMP_ARCH_X86: 'x86',
  SCMP_ARCH_X32: 'x32',
  SCMP_ARCH_AARCH64: 'aarch64',
  SCMP_ARCH_ARM: 'arm',
};

/**
 * Names where libseccomp 2.5 differs from the headers. On i386, libseccomp gives the socket and
 * SysV IPC calls negative pseudo numbers because it also filters them through the multiplexing
 * socketcall(2) and ipc(2). The x32 header lists 64-bit-only entries that libseccomp leaves out
 * of x32. arm's sync_file_range2 has the number of arm_sync_file_range, the only name libseccomp has.
 */
const KNOWN_DIFFERENCES: Record<string, string[]> = {
  SCMP_ARCH_X86: [
    'recvmmsg', 'sendmmsg', 'socket', 'socketpair', 'bind', 'connect', 'listen', 'accept4', 'getsockopt', 'setsockopt', 'getsockname',
    'getpeername', 'sendto', 'sendmsg', 'recvfrom', 'recvmsg', 'shutdown', 'semget', 'semctl', 'shmget', 'shmctl', 'shmat', 'shmdt',
    'msgget', 'msgsnd', 'msgrcv', 'msgctl',
  ],
  SCMP_ARCH_X32: ['uselib', '_sysctl', 'create_module', 'get_kernel_syms', 'query_module', 'nfsservctl', 'set_thread_area', 'get_thread_area', 'epoll_ctl_old', 'epoll_wait_old', 'vserver'],
  SCMP_ARCH_ARM: ['sync_file_range2'],
};

function resolve(arch: string, name: string): string {
  const result = spawnSync('scmp_sys_resolver', ['-a', arch, name], { encoding: 'utf8' });
  if (result.error !== undefined) throw result.error;
  return result.stdout.trim();
}

describe('syscall tables', () => {
  for (const [name, arch] of Object.entries(ARCHES)) {
    it(`${name} matches libseccomp`, () => {
      const known = new Set(KNOWN_DIFFERENCES[name] ?? []);
      const mismatches: string[] = [];
      for (const [syscall, number] of Object.entries(arch.syscalls)) {
        if (known.has(syscall)) continue;
        const resolved = resolve(RESOLVER_ARCH[name] as string, syscall);
        if (resolved !== String(number)) mismatches.push(`${syscall}: table ${number}, libseccomp ${resolved}`);
      }
      assert.deepEqual(mismatches, []);
    });

    it(`${name} lists each known difference`, () => {
      for (const syscall of KNOWN_DIFFERENCES[name] ?? []) assert.ok(Object.hasOwn(arch.syscalls, syscall), syscall);
    });
  }

  it('aarch64 has no open', () => {
    assert.equal(Object.hasOwn(ARCHES.SCMP_ARCH_AARCH64?.syscalls ?? {}, 'open'), false);
    assert.equal(ARCHES.SCMP_ARCH_AARCH64?.syscalls.openat, 56);
  });
});

describe('syscall table generator', () => {
  it('reproduces the committed tables', () => {
    const output = fs.mkdtempSync(path.join(os.tmpdir(), `kh-tables-${process.pid}-`));
    try {
      const result = spawnSync(process.execPath, ['scripts/gen-syscall-tables.mjs', output], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      for (const file of fs.readdirSync('src/seccomp/tables')) {
        // The source line names the Debian package version, which moves with security updates.
        const withoutSource = (content: string) => content.split('\n').filter((line) => !line.includes('Source') && !line.startsWith('export const SOURCE')).join('\n');
        const committed = withoutSource(fs.readFileSync(path.join('src/seccomp/tables', file), 'utf8'));
        const generated = withoutSource(fs.readFileSync(path.join(output, file), 'utf8'));
        assert.equal(generated, committed, file);
      }
    } finally {
      fs.rmSync(output, { recursive: true, force: true });
    }
  });
});
