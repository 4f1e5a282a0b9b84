import { text } from '../../core/text.js';
import type { Problem } from '../../model/problem.js';
import type { AuditContext, Evaluator } from '../context.js';
import { problemsOutcome } from '../context.js';
import type { Evidence } from '../types.js';
import { fail, notApplicable, pass } from '../types.js';
import { parseJsonFile } from './docker.js';

const PROFILE_DIR = '/etc/seccomp';
const ALLOW_ACTIONS = new Set(['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG']);

/** System calls that a dynamically linked program makes before main(); none can start without them. */
export const STARTUP_SYSCALLS = ['execve', 'brk', 'mmap', 'munmap', 'mprotect', 'exit_group', 'arch_prctl', 'rt_sigreturn', 'read', 'close'];

/** Calls that let a process attack the kernel or leave its sandbox. */
export const DANGEROUS_SYSCALLS = [
  'ptrace',
  'kexec_load',
  'kexec_file_load',
  'init_module',
  'finit_module',
  'delete_module',
  'bpf',
  'mount',
  'umount2',
  'pivot_root',
  'unshare',
  'setns',
  'keyctl',
  'add_key',
  'request_key',
  'perf_event_open',
  'userfaultfd',
  'open_by_handle_at',
  'reboot',
  'swapon',
  'swapoff',
  'iopl',
  'ioperm',
];

/**
 * Legacy calls that the generic system call table (arm64 and other newer architectures) does
 * not have. NOTE: a partial list; the complete per-architecture tables come from the kernel headers.
 */
const MISSING_ON_AARCH64 = new Set([
  'open', 'stat', 'lstat', 'fstat64', 'access', 'pipe', 'select', 'poll', 'dup2', 'fork', 'vfork', 'rename', 'mkdir', 'rmdir',
  'creat', 'link', 'unlink', 'symlink', 'readlink', 'chmod', 'chown', 'lchown', 'getdents', 'time', 'utime', 'utimes',
  'alarm', 'pause', 'mknod', 'epoll_create', 'epoll_wait', 'inotify_init', 'eventfd', 'signalfd', 'uselib', 'arch_prctl',
  'getpgrp', 'futimesat', 'ustat', 'sysfs', 'iopl', 'ioperm', 'modify_ldt', 'vm86',
]);

export interface SeccompRule {
  names: string[];
  action: string;
  hasArgs: boolean;
}

export interface SeccompProfile {
  path: string;
  defaultAction?: string;
  architectures: string[];
  rules: SeccompRule[];
  problems: Problem[];
}

export function loadSeccompProfile(context: AuditContext, path: string): SeccompProfile {
  return context.model(`seccomp:${path}`, () => {
    const profile: SeccompProfile = { path, architectures: [], rules: [], problems: [] };
    const read = context.readText(path);
    if (read.problem !== undefined) {
      profile.problems.push(read.problem);
      return profile;
    }
    if (read.text === undefined) {
      profile.problems.push({ path, code: 'seccomp.missing', message: text('seccomp profile not found', 'seccomp プロファイルが見つかりません') });
      return profile;
    }
    const parsed = parseJsonFile(read.text, path);
    if (parsed.problem !== undefined) {
      profile.problems.push(parsed.problem);
      return profile;
    }
    const value = parsed.value as Record<string, unknown>;
    if (typeof value !== 'object' || value === null || typeof value.defaultAction !== 'string') {
      profile.problems.push({ path, line: 1, code: 'seccomp.no-default-action', message: text('a profile needs a string "defaultAction"', 'プロファイルには文字列の "defaultAction" が必要です') });
      return profile;
    }
    profile.defaultAction = value.defaultAction;
    if (Array.isArray(value.architectures)) profile.architectures = value.architectures.filter((arch): arch is string => typeof arch === 'string');
    const syscalls = Array.isArray(value.syscalls) ? value.syscalls : [];
    syscalls.forEach((entry: unknown, index) => {
      const rule = entry as Record<string, unknown>;
      const names = Array.isArray(rule.names) ? rule.names : typeof rule.name === 'string' ? [rule.name] : undefined;
      if (names === undefined || typeof rule.action !== 'string') {
        profile.problems.push({ path, code: 'seccomp.bad-rule', message: text(`syscalls[${index}] needs "names" and "action"`, `syscalls[${index}] には "names" と "action" が必要です`) });
        return;
      }
      profile.rules.push({ names: names.filter((name): name is string => typeof name === 'string'), action: rule.action, hasArgs: Array.isArray(rule.args) && rule.args.length > 0 });
    });
    return profile;
  });
}

function allowedNames(profile: SeccompProfile): Set<string> {
  const allowed = new Set<string>();
  for (const rule of profile.rules) if (ALLOW_ACTIONS.has(rule.action)) for (const name of rule.names) allowed.add(name);
  return allowed;
}

export const evaluateSeccomp: Evaluator<'seccomp-profiles'> = (check, _control, context) => {
  const fs = context.target.fs;
  const files = fs.readdir(PROFILE_DIR).filter((name) => name.endsWith('.json'));
  if (files.length === 0) return notApplicable(text(`no seccomp profiles in ${PROFILE_DIR}`, `${PROFILE_DIR} に seccomp プロファイルがありません`));

  const profiles = files.map((name) => loadSeccompProfile(context, `${PROFILE_DIR}/${name}`));
  const broken = profiles.filter((profile) => profile.problems.length > 0);
  if (check.rule === 'parse') {
    if (broken.length > 0) return fail(text(`${broken.length} profile(s) do not parse: ${broken.map((profile) => `${profile.problems[0]?.path}: ${profile.problems[0]?.message.en}`).join('; ')}`, `解析できないプロファイルが ${broken.length} 個あります: ${broken.map((profile) => `${profile.problems[0]?.path}: ${profile.problems[0]?.message.ja}`).join('; ')}`), broken.map((profile) => ({ path: profile.path, ...(profile.problems[0]?.line === undefined ? {} : { line: profile.problems[0].line }) })));
    return pass(profiles.map((profile) => ({ path: profile.path })));
  }
  if (broken.length > 0) return problemsOutcome(broken.flatMap((profile) => profile.problems));

  const findings: Evidence[] = [];
  for (const profile of profiles) {
    const allowed = allowedNames(profile);
    const defaultAllows = ALLOW_ACTIONS.has(profile.defaultAction ?? '');
    if (check.rule === 'default-deny' && defaultAllows) findings.push({ path: profile.path, detail: `defaultAction ${profile.defaultAction}` });
    if (check.rule === 'startable' && !defaultAllows) {
      const missing = STARTUP_SYSCALLS.filter((name) => !allowed.has(name));
      if (missing.length > 0) findings.push({ path: profile.path, detail: `missing ${missing.join(', ')}` });
    }
    if (check.rule === 'dangerous') {
      const open = defaultAllows
        ? DANGEROUS_SYSCALLS.filter((name) => !profile.rules.some((rule) => !ALLOW_ACTIONS.has(rule.action) && rule.names.includes(name)))
        : DANGEROUS_SYSCALLS.filter((name) => profile.rules.some((rule) => ALLOW_ACTIONS.has(rule.action) && !rule.hasArgs && rule.names.includes(name)));
      if (open.length > 0) findings.push({ path: profile.path, detail: `allows ${open.join(', ')}` });
    }
    if (check.rule === 'arch-names' && profile.architectures.includes('SCMP_ARCH_AARCH64')) {
      const unknown = profile.rules.flatMap((rule) => rule.names).filter((name) => MISSING_ON_AARCH64.has(name));
      if (unknown.length > 0) findings.push({ path: profile.path, detail: `not on aarch64: ${[...new Set(unknown)].join(', ')}` });
    }
  }
  if (findings.length === 0) return pass(profiles.map((profile) => ({ path: profile.path })));
  const summary = findings.map((item) => `${item.path}: ${item.detail}`).join('; ');
  return fail(text(summary, summary), findings);
};
