import { ARCHES, knownOnAnyArch, syscallNumber } from './arch.js';

/**
 * Bases for `generate seccomp`: allow-lists that a program of each kind needs under glibc or
 * musl. Names missing on an architecture are kept when another listed architecture has them.
 */
export const BASES: Record<string, { description: string; syscalls: string[] }> = {
  minimal: {
    description: 'start, run and exit a single-threaded or threaded program that reads and writes files',
    syscalls: [
      // Start-up, memory and thread-local storage.
      'execve', 'exit', 'exit_group', 'brk', 'mmap', 'mmap2', 'munmap', 'mprotect', 'mremap', 'madvise',
      'arch_prctl', 'set_thread_area', 'set_tls', 'set_tid_address', 'set_robust_list', 'get_robust_list', 'rseq',
      'prlimit64', 'getrandom', 'futex', 'sched_yield', 'sched_getaffinity', 'membarrier',
      // Signals.
      'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'sigreturn', 'sigaltstack', 'rt_sigsuspend', 'kill', 'tgkill', 'tkill',
      // Files.
      'read', 'write', 'readv', 'writev', 'pread64', 'pwrite64', 'open', 'openat', 'close', 'close_range',
      'stat', 'fstat', 'lstat', 'newfstatat', 'statx', 'stat64', 'fstat64', 'lstat64', 'fstatat64', 'lseek', '_llseek',
      'fcntl', 'fcntl64', 'ioctl', 'access', 'faccessat', 'faccessat2', 'readlink', 'readlinkat', 'getdents64', 'getcwd', 'chdir', 'fchdir',
      'dup', 'dup2', 'dup3', 'pipe', 'pipe2', 'umask', 'fsync', 'fdatasync', 'ftruncate', 'statfs', 'fstatfs',
      // Processes, identity and time.
      'wait4', 'waitid', 'getpid', 'gettid', 'getppid', 'getpgrp', 'getpgid', 'getsid', 'getuid', 'geteuid', 'getgid', 'getegid', 'getgroups',
      'getresuid', 'getresgid', 'clone', 'uname', 'clock_gettime', 'clock_getres', 'clock_nanosleep', 'nanosleep', 'gettimeofday', 'time', 'getrusage',
      'poll', 'ppoll', 'select', 'pselect6', '_newselect',
    ],
  },
  server: {
    description: 'the minimal base plus what a network server needs: sockets, epoll, timers, sendfile',
    syscalls: [
      'socket', 'socketpair', 'bind', 'listen', 'accept', 'accept4', 'connect', 'getsockname', 'getpeername', 'setsockopt', 'getsockopt',
      'sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'shutdown',
      'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'eventfd2',
      'timerfd_create', 'timerfd_settime', 'timerfd_gettime', 'sendfile', 'sendfile64', 'splice',
      'setuid', 'setgid', 'setgroups', 'setresuid', 'setresgid', 'prctl', 'capget',
      'mkdirat', 'unlinkat', 'renameat', 'renameat2', 'fchmod', 'fchown', 'utimensat', 'flock',
    ],
  },
};

/** `server` extends `minimal`. */
const BASE_PARENTS: Record<string, string> = { server: 'minimal' };

/**
 * clone flags that create namespaces (CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID,
 * NEWNET) from linux/sched.h; `clone` is allowed only when none is set.
 */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;

export interface GenerateRequest {
  base: string;
  allow: string[];
  deny: string[];
  /** Profile architecture names, e.g. SCMP_ARCH_X86_64. */
  arches: string[];
}

export class GenerateError extends Error {}

function baseSyscalls(base: string): string[] {
  const entry = BASES[base];
  if (entry === undefined) throw new GenerateError(`unknown base "${base}"; use one of ${Object.keys(BASES).join(', ')}`);
  const parent = BASE_PARENTS[base];
  return [...(parent === undefined ? [] : baseSyscalls(parent)), ...entry.syscalls];
}

/**
 * Builds a default-deny profile: the base and `allow` minus `deny`, kept to names that exist on
 * at least one listed architecture. `clone` gets a condition that rejects namespace flags, and
 * clone3 returns ENOSYS so that glibc falls back to clone.
 */
export function generateProfile(request: GenerateRequest): object {
  for (const name of [...request.allow, ...request.deny]) {
    if (!knownOnAnyArch(name)) throw new GenerateError(`"${name}" is not a system call on any architecture this tool knows`);
  }
  for (const arch of request.arches) {
    if (ARCHES[arch] === undefined) throw new GenerateError(`no system call table for ${arch}; use ${Object.keys(ARCHES).join(', ')}`);
  }
  const denied = new Set([...request.deny, 'clone', 'clone3']);
  const wanted = new Set([...baseSyscalls(request.base), ...request.allow]);
  const names = [...wanted]
    .filter((name) => !denied.has(name))
    .filter((name) => request.arches.some((arch) => syscallNumber(ARCHES[arch] as (typeof ARCHES)[string], name) !== undefined))
    .sort();

  const syscalls: object[] = [{ names, action: 'SCMP_ACT_ALLOW' }];
  const allowClone = wanted.has('clone') && !request.deny.includes('clone');
  if (allowClone) {
    syscalls.push({
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    });
  }
  if (!request.allow.includes('clone3') || request.deny.includes('clone3')) {
    syscalls.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
  } else {
    syscalls.push({ names: ['clone3'], action: 'SCMP_ACT_ALLOW' });
  }
  return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: request.arches, syscalls };
}
