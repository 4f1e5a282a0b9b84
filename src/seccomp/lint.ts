import { text } from '../core/text.js';
import type { Finding, Linter, LintInput } from '../lint/types.js';
import { ARCHES, knownOnAnyArch, syscallNumber } from './arch.js';
import type { ArchInfo } from './arch.js';
import { ALLOW_ACTIONS, parseProfile, Positions } from './profile.js';
import type { SeccompProfile, SeccompRule } from './profile.js';
import { allowance, entriesFor, listedArches, ruleApplies, unconditionalAction } from './rules.js';
import type { RuleEnvironment } from './rules.js';

/**
 * Calls without which no program starts, as groups of alternatives per architecture: a process
 * needs execve to be started, TLS set-up, memory and a way to exit. Found by running static
 * busybox and glibc 2.36 programs under compiled filters (see test/seccomp/run.test.ts).
 */
const STARTUP_GROUPS: Record<string, string[][]> = {
  common: [['execve'], ['exit_group', 'exit'], ['mmap', 'mmap2', 'brk']],
  SCMP_ARCH_X86_64: [['arch_prctl']],
  SCMP_ARCH_X32: [['arch_prctl']],
  SCMP_ARCH_X86: [['set_thread_area']],
  SCMP_ARCH_ARM: [['set_tls']],
  SCMP_ARCH_AARCH64: [],
};

/** Calls that glibc's dynamic loader (2.36) makes before main(); each one missing stops the program. */
const GLIBC_LOADER_GROUPS: string[][] = [
  ['openat'],
  ['read'],
  ['close'],
  ['mmap', 'mmap2'],
  ['mprotect'],
  ['pread64'],
  ['newfstatat', 'fstatat64', 'statx'],
];

/**
 * Calls that let a process load kernel code, trace other processes, change mounts or namespaces,
 * or reach large kernel attack surface (BPF, perf, userfaultfd, io_uring).
 */
export const DANGEROUS_SYSCALLS = [
  'ptrace', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module',
  'bpf', 'perf_event_open', 'userfaultfd', 'io_uring_setup', 'io_uring_enter', 'io_uring_register',
  'mount', 'umount2', 'pivot_root', 'move_mount', 'open_tree', 'fsopen', 'fsmount', 'fsconfig', 'fspick', 'mount_setattr',
  'unshare', 'setns', 'keyctl', 'add_key', 'request_key', 'open_by_handle_at',
  'reboot', 'swapon', 'swapoff', 'iopl', 'ioperm', 'acct', 'quotactl', 'lookup_dcookie', 'uselib', '_sysctl', 'vm86', 'vm86old',
];

/** Replacements on architectures that lack the legacy call, e.g. aarch64 has only openat. */
const REPLACEMENTS: Record<string, string[]> = {
  open: ['openat', 'openat2'], creat: ['openat'], stat: ['newfstatat', 'statx'], lstat: ['newfstatat', 'statx'], fstat: ['newfstatat', 'statx'],
  access: ['faccessat', 'faccessat2'], pipe: ['pipe2'], dup2: ['dup3'], poll: ['ppoll'], select: ['pselect6'],
  fork: ['clone', 'clone3'], vfork: ['clone', 'clone3'], epoll_wait: ['epoll_pwait'], epoll_create: ['epoll_create1'],
  inotify_init: ['inotify_init1'], eventfd: ['eventfd2'], signalfd: ['signalfd4'], mkdir: ['mkdirat'], rmdir: ['unlinkat'],
  unlink: ['unlinkat'], rename: ['renameat', 'renameat2'], link: ['linkat'], symlink: ['symlinkat'], readlink: ['readlinkat'],
  chmod: ['fchmodat'], chown: ['fchownat'], lchown: ['fchownat'], getdents: ['getdents64'], utime: ['utimensat'],
  utimes: ['utimensat'], futimesat: ['utimensat'], mknod: ['mknodat'], time: ['clock_gettime'], alarm: ['setitimer'],
  pause: ['ppoll'], getpgrp: ['getpgid'], mmap: ['mmap2'], mmap2: ['mmap'],
};

/** ENOSYS; glibc 2.34 and later fall back from clone3 to clone only on this errno. */
const ENOSYS = 38;

/** Capabilities that lint assumes: none, as with `docker run --cap-drop=ALL`. */
const LINT_ENVIRONMENT: RuleEnvironment = { caps: new Set() };

/** Lints one profile: structure first, then, if it parsed, what the rules allow on each architecture. */
export function lintSeccomp(input: LintInput): Finding[] {
  const parsed = parseProfile(input.content, input.path);
  const findings = [...parsed.findings];
  if (parsed.profile === undefined) return findings;
  const context = new LintContext(input.path, input.content, parsed.profile);
  context.checkDefault();
  context.checkTables();
  context.checkNames();
  context.checkStartup();
  context.checkDangerous();
  context.checkClone3();
  context.checkCompatArches();
  context.checkConflicts();
  return [...findings, ...context.findings].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

class LintContext {
  readonly findings: Finding[] = [];
  private readonly positions: Positions;
  /**
   * Architectures with tables that the profile covers. A profile without a list runs on the native
   * architecture of its machine, which lint cannot know, so it is checked for x86_64 and aarch64.
   */
  readonly arches: ArchInfo[];
  /** Architecture names the profile lists, empty when it lists none. */
  readonly listed: Set<string>;

  constructor(
    readonly path: string,
    content: string,
    readonly profile: SeccompProfile,
  ) {
    this.positions = new Positions(content);
    const listed = listedArches(profile);
    this.listed = new Set(listed);
    const known = listed.map((name) => ARCHES[name]).filter((arch): arch is ArchInfo => arch !== undefined);
    this.arches = listed.length === 0 ? [ARCHES.SCMP_ARCH_X86_64 as ArchInfo, ARCHES.SCMP_ARCH_AARCH64 as ArchInfo] : known;
  }

  report(offset: number, code: string, severity: Finding['severity'], en: string, ja: string, value?: string): void {
    const finding: Finding = { path: this.path, ...this.positions.at(offset), code, severity, message: text(en, ja) };
    if (value !== undefined) finding.value = value;
    this.findings.push(finding);
  }

  private defaultAllows(): boolean {
    return ALLOW_ACTIONS.has(this.profile.defaultAction);
  }

  checkDefault(): void {
    if (!this.defaultAllows()) return;
    this.report(this.profile.offset, 'seccomp.default-allow', 'warning',
      `defaultAction ${this.profile.defaultAction} allows every call the rules do not name, including calls added by newer kernels; deny by default (SCMP_ACT_ERRNO) and list what is allowed`,
      `defaultAction ${this.profile.defaultAction} はルールにないすべてのシステムコール(新しいカーネルで増えたものも含む)を許可します。既定で拒否(SCMP_ACT_ERRNO)し、許可するものを列挙してください`,
      this.profile.defaultAction);
  }

  /**
   * Architectures a rule takes part in, among those with tables: its `includes.arches` if any,
   * otherwise the profile's.
   */
  private ruleArches(rule: SeccompRule): ArchInfo[] {
    const candidates = rule.includes.arches.length > 0
      ? rule.includes.arches.map((name) => ARCHES[name]).filter((arch): arch is ArchInfo => arch !== undefined && (this.listed.size === 0 || this.listed.has(arch.name)))
      : this.arches;
    return candidates.filter((arch) => !rule.excludes.arches.includes(arch.name));
  }

  /** Notes listed architectures without a table here, whose names and start-up calls go unchecked. */
  checkTables(): void {
    if (this.arches.length > 0 || this.listed.size === 0) return;
    const names = [...this.listed].join(', ');
    this.report(this.profile.offset, 'seccomp.arch-not-checked', 'info',
      `no system call table for ${names}, so names and start-up calls are not checked; tables exist for ${Object.keys(ARCHES).join(', ')}`,
      `${names} のシステムコール表がないため、名前と起動に必要なシステムコールは検査していません。表があるのは ${Object.keys(ARCHES).join(', ')} です`,
      names);
  }

  checkNames(): void {
    for (const rule of this.profile.syscalls) {
      const ruleArches = this.ruleArches(rule);
      // A rule only for architectures without tables here (s390x, ppc64le, ...) cannot be checked.
      if (ruleArches.length === 0) continue;
      for (const name of rule.names) {
        if (!knownOnAnyArch(name.value)) {
          this.report(name.offset, 'seccomp.unknown-syscall', 'error',
            `"${name.value}" is not a system call on ${ruleArches.map((arch) => arch.name).join(', ')} or any other architecture this tool knows; check the spelling`,
            `"${name.value}" は ${ruleArches.map((arch) => arch.name).join('、')} にも、このツールが知る他のアーキテクチャにもないシステムコールです。綴りを確認してください`,
            name.value);
          continue;
        }
        const missing = ruleArches.filter((arch) => syscallNumber(arch, name.value) === undefined);
        if (missing.length === 0) continue;
        const archNames = missing.map((arch) => arch.name).join(', ');
        if (missing.length === ruleArches.length) {
          this.report(name.offset, 'seccomp.syscall-not-on-arch', 'warning',
            `"${name.value}" does not exist on ${archNames}, so this rule does nothing for it${this.insteadEn(name.value)}`,
            `"${name.value}" は ${archNames} に存在しないため、このルールはそれに対して何もしません${this.insteadJa(name.value)}`,
            name.value);
          continue;
        }
        // Present on some architectures only: fine when the replacement gets the same treatment where it is missing.
        const replacements = REPLACEMENTS[name.value] ?? [];
        const uncovered = missing.filter((arch) => {
          const available = replacements.filter((other) => syscallNumber(arch, other) !== undefined);
          return available.length > 0 && !available.some((other) => rule.names.some((item) => item.value === other) || this.sameTreatment(rule, arch, other));
        });
        if (uncovered.length === 0) continue;
        this.report(name.offset, 'seccomp.syscall-not-on-arch', 'warning',
          `"${name.value}" does not exist on ${uncovered.map((arch) => arch.name).join(', ')}, and the profile does not treat its replacement there the same way${this.insteadEn(name.value)}`,
          `"${name.value}" は ${uncovered.map((arch) => arch.name).join('、')} に存在せず、そこでは代わりのシステムコールが同じ扱いになっていません${this.insteadJa(name.value)}`,
          name.value);
      }
    }
  }

  private insteadEn(name: string): string {
    const replacements = REPLACEMENTS[name];
    return replacements === undefined ? '' : ` (use ${replacements.join(' or ')} there)`;
  }

  private insteadJa(name: string): string {
    const replacements = REPLACEMENTS[name];
    return replacements === undefined ? '' : `(そこでは ${replacements.join(' か ')} を使います)`;
  }

  /** Checks that `name` on `arch` is allowed where `rule` allows, or denied where `rule` denies. */
  private sameTreatment(rule: SeccompRule, arch: ArchInfo, name: string): boolean {
    const state = allowance(this.profile, entriesFor(this.profile, arch.name, name, { caps: new Set(rule.includes.caps) }));
    return ALLOW_ACTIONS.has(rule.action) ? state !== 'never' : state !== 'always';
  }

  private missingGroups(arch: ArchInfo, groups: string[][]): string[] {
    const missing: string[] = [];
    for (const group of groups) {
      const present = group.filter((name) => syscallNumber(arch, name) !== undefined);
      if (present.length === 0) continue;
      const allowed = present.some((name) => allowance(this.profile, entriesFor(this.profile, arch.name, name, LINT_ENVIRONMENT)) !== 'never');
      if (!allowed) missing.push(present.join('|'));
    }
    return missing;
  }

  checkStartup(): void {
    if (this.defaultAllows()) return;
    for (const arch of this.arches) {
      const groups = [...(STARTUP_GROUPS.common as string[][]), ...(STARTUP_GROUPS[arch.name] ?? [])];
      const missing = this.missingGroups(arch, groups);
      if (missing.length > 0) {
        this.report(this.profile.offset, 'seccomp.not-startable', 'error',
          `no program can start under this profile on ${arch.name}: it denies ${missing.join(', ')}; allow them`,
          `このプロファイルでは ${arch.name} でどのプログラムも起動できません。${missing.join(', ')} が拒否されています。許可してください`,
          missing.join(', '));
        continue;
      }
      const loader = this.missingGroups(arch, GLIBC_LOADER_GROUPS);
      if (loader.length > 0) {
        this.report(this.profile.offset, 'seccomp.glibc-startup', 'warning',
          `dynamically linked glibc programs cannot start on ${arch.name}: the profile denies ${loader.join(', ')}, which glibc's loader calls before main()`,
          `${arch.name} で glibc の動的リンクのプログラムが起動できません。glibc のローダーが main() の前に呼ぶ ${loader.join(', ')} が拒否されています`,
          loader.join(', '));
      }
    }
  }

  checkDangerous(): void {
    const byDefault: string[] = [];
    for (const name of DANGEROUS_SYSCALLS) {
      const open = this.arches.filter((arch) => syscallNumber(arch, name) !== undefined && allowance(this.profile, entriesFor(this.profile, arch.name, name, LINT_ENVIRONMENT)) === 'always');
      if (open.length === 0) continue;
      const rule = this.profile.syscalls.find((item) => ALLOW_ACTIONS.has(item.action) && item.names.some((entry) => entry.value === name));
      if (rule === undefined) {
        byDefault.push(name);
        continue;
      }
      const offset = rule.names.find((entry) => entry.value === name)?.offset ?? rule.offset;
      const archNames = open.map((arch) => arch.name).join(', ');
      this.report(offset, 'seccomp.dangerous-syscall', 'warning',
        `${name} is allowed by syscalls[${rule.index}] on ${archNames}; it lets a process escape its sandbox or attack the kernel, so deny it unless the program needs it`,
        `${name} が ${archNames} で syscalls[${rule.index}] により許可されています。サンドボックスからの脱出やカーネルへの攻撃に使えるので、プログラムに必要でなければ拒否してください`,
        name);
    }
    if (byDefault.length === 0) return;
    // One finding for the default action, so a default-allow profile does not list dozens of lines.
    this.report(this.profile.offset, 'seccomp.dangerous-syscall', 'warning',
      `the default action ${this.profile.defaultAction} allows ${byDefault.join(', ')}; these let a process escape its sandbox or attack the kernel, so deny them`,
      `既定のアクション ${this.profile.defaultAction} が ${byDefault.join(', ')} を許可しています。サンドボックスからの脱出やカーネルへの攻撃に使えるので拒否してください`,
      byDefault.join(', '));
  }

  checkClone3(): void {
    for (const arch of this.arches) {
      if (syscallNumber(arch, 'clone3') === undefined) continue;
      const entries = entriesFor(this.profile, arch.name, 'clone3', LINT_ENVIRONMENT);
      if (allowance(this.profile, entries) !== 'never') continue;
      const outcome = unconditionalAction(this.profile, entries);
      if (outcome.action === 'SCMP_ACT_ERRNO' && outcome.errno === ENOSYS) continue;
      const entry = entries.find((item) => item.args.length === 0);
      const offset = entry?.rule.names.find((item) => item.value === 'clone3')?.offset ?? this.profile.offset;
      const got = outcome.action === 'SCMP_ACT_ERRNO' ? `errno ${outcome.errno}` : outcome.action;
      this.report(offset, 'seccomp.clone3-errno', 'warning',
        `clone3 is denied with ${got} on ${arch.name}; glibc 2.34 and later fall back to clone only on ENOSYS, so pthread_create fails. Add {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}`,
        `${arch.name} で clone3 が ${got} で拒否されます。glibc 2.34 以降は ENOSYS のときだけ clone に切り替えるため pthread_create が失敗します。{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38} を加えてください`,
        got);
      return;
    }
  }

  checkCompatArches(): void {
    if (!this.defaultAllows()) return;
    const listed = new Set(listedArches(this.profile));
    if (!listed.has('SCMP_ARCH_X86_64') && listed.size > 0) return;
    const absent = ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'].filter((name) => !listed.has(name));
    if (absent.length === 0) return;
    this.report(this.profile.offset, 'seccomp.compat-arch-open', 'warning',
      `the profile allows by default and its deny rules cover x86_64 only, not ${absent.join(' or ')}; a process on x86_64 can make the same calls through the ${absent.join('/')} ABI unless the runtime kills foreign architectures. List ${absent.join(' and ')} in "architectures", or deny by default`,
      `このプロファイルは既定で許可し、拒否ルールは x86_64 だけに効き ${absent.join('、')} には効きません。ランタイムが他のアーキテクチャを強制終了しない限り、x86_64 上のプロセスは ${absent.join('/')} の ABI で同じシステムコールを呼べます。"architectures" に ${absent.join(' と ')} を加えるか、既定で拒否してください`,
      absent.join(', '));
  }

  /** Two rules without conditions that decide the same call differently: which one wins depends on the runtime. */
  checkConflicts(): void {
    const seen = new Map<string, { index: number; outcome: string }>();
    const reported = new Set<string>();
    for (const rule of this.profile.syscalls) {
      if (rule.args.length > 0 || rule.includes.caps.length > 0 || rule.excludes.caps.length > 0 || rule.includes.minKernel !== undefined) continue;
      const outcome = rule.action === 'SCMP_ACT_ERRNO' || rule.action === 'SCMP_ACT_TRACE' ? `${rule.action}(${rule.errnoRet ?? 1})` : rule.action;
      for (const arch of this.ruleArches(rule)) {
        for (const name of rule.names) {
          const key = `${arch.name} ${name.value}`;
          const earlier = seen.get(key);
          if (earlier === undefined) {
            seen.set(key, { index: rule.index, outcome });
            continue;
          }
          if (earlier.outcome === outcome || earlier.index === rule.index || reported.has(`${rule.index} ${name.value}`)) continue;
          reported.add(`${rule.index} ${name.value}`);
          this.report(name.offset, 'seccomp.conflicting-rules', 'warning',
            `${name.value} is decided by syscalls[${earlier.index}] (${earlier.outcome}) and again by syscalls[${rule.index}] (${outcome}); runtimes differ in which one applies (compile uses the first), so keep one`,
            `${name.value} は syscalls[${earlier.index}](${earlier.outcome})と syscalls[${rule.index}](${outcome})の両方で決められています。どちらが効くかはランタイムによって違う(compile は先のものを使う)ので、1 つにしてください`,
            name.value);
        }
      }
    }
  }
}

/** Docker/OCI seccomp profiles: JSON objects with defaultAction and syscalls. */
export const seccompLinter: Linter = {
  type: 'seccomp',
  description: text('Docker/OCI seccomp profile (JSON)', 'Docker/OCI の seccomp プロファイル(JSON)'),
  detect(content: string): number {
    const start = content.trimStart();
    if (!start.startsWith('{')) return 0;
    if (/"defaultAction"\s*:/.test(content)) return 0.95;
    if (/"syscalls"\s*:/.test(content) && /SCMP_(ACT|ARCH)_/.test(content)) return 0.8;
    return 0;
  },
  lint: lintSeccomp,
};
