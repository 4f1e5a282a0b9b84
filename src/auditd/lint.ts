import { text } from '../core/text.js';
import type { Text } from '../core/text.js';
import type { Finding, LintInput, Linter } from '../lint/types.js';
import { parseAuditRules } from '../parse/auditrules.js';
import type { AuditCommand, AuditOption, AuditRuleLine, AuditSyscallRule } from '../parse/auditrules.js';
import { RootFs } from '../target/rootfs.js';
import { compatMachine, hostMachine, isKnownSyscall, resolveArch, targetMachine } from './arch.js';
import type { Machine } from './arch.js';

/** Field names of `-F`; each was checked to be accepted by auditctl 3.0.9, which rejects others with "-F unknown field". */
const KNOWN_FIELDS = new Set([
  'a0', 'a1', 'a2', 'a3', 'arch', 'auid', 'loginuid', 'devmajor', 'devminor', 'dir', 'egid', 'euid', 'exe', 'exit',
  'field_compare', 'filetype', 'fsgid', 'fstype', 'fsuid', 'gid', 'inode', 'key', 'msgtype', 'obj_gid', 'obj_lev_high',
  'obj_lev_low', 'obj_role', 'obj_type', 'obj_uid', 'obj_user', 'path', 'perm', 'pers', 'pid', 'ppid', 'saddr_fam',
  'sessionid', 'sgid', 'subj_clr', 'subj_role', 'subj_sen', 'subj_type', 'subj_user', 'success', 'suid', 'uid',
]);

/** Fields `-C` can compare: user ids only with user ids, group ids only with group ids. */
const UID_COMPARE = new Set(['auid', 'loginuid', 'uid', 'euid', 'suid', 'fsuid', 'obj_uid']);
const GID_COMPARE = new Set(['gid', 'egid', 'sgid', 'fsgid', 'obj_gid']);

/** errno names for `-F exit=-NAME`: those of Linux asm-generic/errno-base.h and errno.h. auditctl 3.0.9 rejects ENOTSUP. */
const ERRNO_NAMES = new Set([
  'EPERM', 'ENOENT', 'ESRCH', 'EINTR', 'EIO', 'ENXIO', 'E2BIG', 'ENOEXEC', 'EBADF', 'ECHILD', 'EAGAIN', 'ENOMEM', 'EACCES',
  'EFAULT', 'ENOTBLK', 'EBUSY', 'EEXIST', 'EXDEV', 'ENODEV', 'ENOTDIR', 'EISDIR', 'EINVAL', 'ENFILE', 'EMFILE', 'ENOTTY',
  'ETXTBSY', 'EFBIG', 'ENOSPC', 'ESPIPE', 'EROFS', 'EMLINK', 'EPIPE', 'EDOM', 'ERANGE', 'EDEADLK', 'ENAMETOOLONG',
  'ENOLCK', 'ENOSYS', 'ENOTEMPTY', 'ELOOP', 'EWOULDBLOCK', 'ENOMSG', 'EIDRM', 'ENOSTR', 'ENODATA', 'ETIME', 'ENOSR',
  'EREMOTE', 'ENOLINK', 'EPROTO', 'EBADMSG', 'EOVERFLOW', 'EILSEQ', 'EUSERS', 'ENOTSOCK', 'EDESTADDRREQ', 'EMSGSIZE',
  'EPROTOTYPE', 'ENOPROTOOPT', 'EPROTONOSUPPORT', 'ESOCKTNOSUPPORT', 'EOPNOTSUPP', 'EPFNOSUPPORT',
  'EAFNOSUPPORT', 'EADDRINUSE', 'EADDRNOTAVAIL', 'ENETDOWN', 'ENETUNREACH', 'ENETRESET', 'ECONNABORTED', 'ECONNRESET',
  'ENOBUFS', 'EISCONN', 'ENOTCONN', 'ESHUTDOWN', 'ETOOMANYREFS', 'ETIMEDOUT', 'ECONNREFUSED', 'EHOSTDOWN',
  'EHOSTUNREACH', 'EALREADY', 'EINPROGRESS', 'ESTALE', 'EDQUOT', 'ECANCELED', 'EKEYEXPIRED', 'EKEYREVOKED',
  'EKEYREJECTED', 'EOWNERDEAD', 'ENOTRECOVERABLE', 'ERFKILL', 'EHWPOISON', 'ENOKEY', 'EMEDIUMTYPE', 'ENOMEDIUM',
]);

/** Maximum bytes of all keys of one rule, joined by one byte each (the kernel's AUDIT_MAX_KEY_LEN). */
const MAX_KEY_BYTES = 256;

/** First words that make a line an auditctl command rather than something else that starts with a dash. */
const CONTROL_OPTIONS = new Set(['-D', '-b', '-e', '-f', '-r', '-i', '-c', '--backlog_wait_time', '--loginuid-immutable', '--reset-lost']);

interface LintState {
  path: string;
  machine: Machine;
  root?: RootFs;
  findings: Finding[];
  /** Line of `-e 2`, after which the kernel rejects every change. */
  lockedAt?: number;
  /** Normalized rule -> first line, for duplicates. */
  seen: Map<string, number>;
  /** Syscall rules in file order, for the b32 twin check. */
  syscallRules: { line: AuditRuleLine; rule: AuditSyscallRule; resolved?: Machine }[];
}

function add(state: LintState, line: number, column: number | undefined, code: string, severity: Finding['severity'], value: string, message: Text): void {
  state.findings.push({ path: state.path, line, ...(column === undefined ? {} : { column }), code, severity, value, message });
}

/** 1-based column of the argument that follows `option` on its line. */
function argumentColumn(line: AuditRuleLine, option: AuditOption): number {
  const at = line.tokens.findIndex((token) => token.start + 1 === option.column);
  const argument = line.tokens[at + 1];
  return argument === undefined ? option.column : argument.start + 1;
}

function ruleSignature(command: AuditCommand, machine: Machine): string | undefined {
  if (command.kind === 'watch') {
    if (command.remove) return undefined;
    return JSON.stringify(['w', command.path.replace(/(.)\/+$/, '$1'), [...command.perms].sort().join(''), [...command.keys].sort()]);
  }
  if (command.kind === 'syscall') {
    if (command.op === 'delete') return undefined;
    const arches = command.arches.map((arch) => resolveArch(arch, machine) ?? arch);
    const fields = command.fields.map((field) => `${field.name}${field.op}${field.value}`).sort();
    const comparisons = command.comparisons.map((field) => `${field.name}${field.op}${field.value}`).sort();
    return JSON.stringify(['a', command.list, command.action, arches, [...command.syscalls].sort(), fields, comparisons, [...command.keys].sort()]);
  }
  return undefined;
}

function checkControl(state: LintState, line: AuditRuleLine, command: Extract<AuditCommand, { kind: 'control' }>): void {
  const value = command.value ?? '';
  const column = argumentColumn(line, line.options[0] as AuditOption);
  const numeric = /^\d+$/.test(value);
  if (command.option === 'e' && !['0', '1', '2'].includes(value)) {
    add(state, line.line, column, 'auditrules.bad-enable', 'error', value, text(`-e takes 0, 1 or 2, not "${value}"`, `-e に指定できるのは 0、1、2 で、"${value}" は使えません`));
  }
  if (command.option === 'f' && !['0', '1', '2'].includes(value)) {
    add(state, line.line, column, 'auditrules.bad-failure', 'error', value, text(`-f takes 0 (silent), 1 (printk) or 2 (panic), not "${value}"`, `-f に指定できるのは 0(無視)、1(printk)、2(panic)で、"${value}" は使えません`));
  }
  if ((command.option === 'b' || command.option === 'r' || command.option === 'backlog_wait_time') && !numeric) {
    add(state, line.line, column, 'auditrules.bad-number', 'error', value, text(`-${command.option} takes a whole number, not "${value}"`, `-${command.option} には整数を指定してください("${value}" は使えません)`));
  }
  if (command.option === 'e' && value === '2') state.lockedAt = line.line;
}

function checkWatch(state: LintState, line: AuditRuleLine, command: Extract<AuditCommand, { kind: 'watch' }>): void {
  const option = line.options.find((item) => item.flag === '-w' || item.flag === '-W') as AuditOption;
  const column = argumentColumn(line, option);
  if (line.options.some((item) => item.flag === '-S')) {
    add(state, line.line, column, 'auditrules.syscall-on-watch', 'error', command.path, text('-S cannot be combined with -w; write a syscall rule with -F path= instead', '-S は -w と組み合わせられません。-F path= を使った syscall ルールにしてください'));
  }
  if (!command.path.startsWith('/')) {
    add(state, line.line, column, 'auditrules.relative-watch', 'error', command.path, text(`watch path "${command.path}" is not absolute: auditctl requires a path starting with /`, `ウォッチのパス "${command.path}" が絶対パスではありません。auditctl には / で始まるパスが必要です`));
    return;
  }
  if (state.root === undefined || command.remove) return;
  checkWatchedPath(state, line.line, column, command.path);
}

function checkWatchedPath(state: LintState, line: number, column: number, watched: string): void {
  const root = state.root as RootFs;
  const trimmed = watched.length > 1 ? watched.replace(/\/+$/, '') : watched;
  const parent = trimmed.slice(0, trimmed.lastIndexOf('/')) || '/';
  let exists: boolean;
  let parentExists: boolean;
  try {
    exists = root.exists(trimmed);
    parentExists = root.isDirectory(parent);
  } catch {
    return;
  }
  if (!parentExists) {
    add(state, line, column, 'auditrules.watch-parent-missing', 'error', watched,
      text(`${parent} does not exist in the target, so the kernel rejects this watch ("No such file or directory"); create ${parent} or drop the rule`,
        `${parent} がターゲットに存在しないため、カーネルはこのウォッチを拒否します("No such file or directory")。${parent} を作成するかルールを削除してください`));
    return;
  }
  if (!exists) {
    add(state, line, column, 'auditrules.watch-missing', 'warning', watched,
      text(`${watched} does not exist in the target; the watch only records events once it is created`,
        `${watched} はターゲットに存在しません。作成されるまでこのウォッチは何も記録しません`));
  }
}

function checkSyscallRule(state: LintState, line: AuditRuleLine, rule: AuditSyscallRule): void {
  const syscallOptions = line.options.filter((option) => option.flag === '-S');
  const archOptions = line.options.filter((option) => option.flag === '-F' && (option.args[0] ?? '').startsWith('arch='));
  const firstSyscall = syscallOptions[0];

  if (firstSyscall !== undefined && !['exit', 'entry', 'task'].includes(rule.list) && rule.list !== 'io_uring') {
    add(state, line.line, firstSyscall.column, 'auditrules.syscall-on-list', 'error', rule.list, text(`-S is not allowed on the ${rule.list} list`, `${rule.list} リストでは -S を使えません`));
  }

  const lateArch = archOptions.find((option) => firstSyscall !== undefined && option.column > firstSyscall.column);
  if (lateArch !== undefined) {
    add(state, line.line, lateArch.column, 'auditrules.arch-after-syscall', 'error', lateArch.args[0] ?? '',
      text('-F arch= comes after -S: auditctl rejects this ("arch must be before -S"); move -F arch= before the first -S',
        '-F arch= が -S より後にあります。auditctl はこれを拒否します("arch must be before -S")。-F arch= を最初の -S より前に移してください'));
  }

  let resolved: Machine | undefined = state.machine;
  for (const option of archOptions) {
    const value = (option.args[0] ?? '').slice('arch='.length);
    resolved = resolveArch(value, state.machine);
    if (resolved === undefined) {
      add(state, line.line, argumentColumn(line, option), 'auditrules.unknown-arch', 'error', value,
        text(`arch=${value} is not valid on ${state.machine}: use b64 or b32 (or a machine name such as x86_64)`,
          `arch=${value} は ${state.machine} では使えません。b64 か b32(または x86_64 などのマシン名)を使ってください`));
    }
  }

  const namesSyscalls = rule.syscalls.some((name) => name !== 'all');
  if (archOptions.length === 0 && namesSyscalls) {
    const compat = compatMachine(state.machine);
    add(state, line.line, firstSyscall?.column, 'auditrules.no-arch', 'warning', line.raw.trim(),
      compat === undefined
        ? text('syscall rule without -F arch: add -F arch=b32 so the rule does not depend on the machine auditctl runs on', 'arch 指定のない syscall ルールです。実行するマシンに依存しないよう -F arch=b32 を追加してください')
        : text(`syscall rule without -F arch: auditctl resolves the names in the ${state.machine} table only, so calls of 32-bit programs (${compat}) are not recorded; add -F arch=b64 and a twin rule with -F arch=b32`,
          `arch 指定のない syscall ルールです。auditctl は ${state.machine} の表だけで名前を解決するため、32 ビットのプログラム(${compat})の呼び出しは記録されません。-F arch=b64 を付け、-F arch=b32 の対になるルールも追加してください`));
  }

  if (resolved !== undefined) {
    for (const option of syscallOptions) {
      const column = argumentColumn(line, option);
      for (const name of (option.args[0] ?? '').split(',')) {
        if (name === '' || isKnownSyscall(name, resolved)) continue;
        add(state, line.line, column, 'auditrules.unknown-syscall', 'error', name,
          text(`syscall ${name} does not exist on ${resolved}: auditctl rejects the rule ("Syscall name unknown")`,
            `システムコール ${name} は ${resolved} に存在しません。auditctl はこのルールを拒否します("Syscall name unknown")`));
      }
    }
  }

  checkFields(state, line);
  state.syscallRules.push({ line, rule, ...(resolved === undefined ? {} : { resolved }) });
}

function checkFields(state: LintState, line: AuditRuleLine): void {
  for (const option of line.options) {
    if (option.flag !== '-F' && option.flag !== '-C') continue;
    const pair = option.args[0] ?? '';
    const column = argumentColumn(line, option);
    const match = /^([^!=<>&]+)(!=|>=|<=|&=|=|>|<|&)(.*)$/.exec(pair);
    if (match === null) continue;
    const [, name = '', op = '', value = ''] = match;
    if (option.flag === '-F') {
      if (!KNOWN_FIELDS.has(name)) {
        add(state, line.line, column, 'auditrules.unknown-field', 'error', name, text(`unknown field "${name}": auditctl rejects it ("-F unknown field")`, `不明なフィールド "${name}" です。auditctl はこれを拒否します("-F unknown field")`));
      }
      if (name === 'exit' && !/^-?\d+$/.test(value) && !(value.startsWith('-') && ERRNO_NAMES.has(value.slice(1)))) {
        add(state, line.line, column, 'auditrules.unknown-errno', 'error', value, text(`exit=${value} is neither a number nor an errno name such as -EPERM`, `exit=${value} は数値でも -EPERM のような errno 名でもありません`));
      }
      continue;
    }
    const bothUids = UID_COMPARE.has(name) && UID_COMPARE.has(value);
    const bothGids = GID_COMPARE.has(name) && GID_COMPARE.has(value);
    if ((op !== '=' && op !== '!=') || !(bothUids || bothGids) || name === value) {
      add(state, line.line, column, 'auditrules.bad-comparison', 'error', pair,
        text(`-C ${pair}: compare two different user id fields (auid, uid, euid, suid, fsuid, obj_uid) or two group id fields (gid, egid, sgid, fsgid, obj_gid) with = or !=`,
          `-C ${pair}: 異なるユーザー ID のフィールド同士(auid、uid、euid、suid、fsuid、obj_uid)か、グループ ID のフィールド同士(gid、egid、sgid、fsgid、obj_gid)を = か != で比較してください`));
    }
  }
}

function checkKeys(state: LintState, line: AuditRuleLine, keys: string[]): void {
  const keyBytes = keys.reduce((sum, key) => sum + Buffer.byteLength(key) + 1, 0) - 1;
  if (keyBytes <= MAX_KEY_BYTES) return;
  add(state, line.line, undefined, 'auditrules.key-too-long', 'error', keys.join(','),
    text(`the keys of this rule take ${keyBytes} bytes, but the kernel keeps at most ${MAX_KEY_BYTES}; shorten them`, `このルールのキーは ${keyBytes} バイトありますが、カーネルが保持できるのは ${MAX_KEY_BYTES} バイトまでです。短くしてください`));
}

/**
 * On x86_64, find b64 syscall rules on the exit list that have no b32 rule for the same calls.
 * aarch64 is left out: many arm64 kernels are built without 32-bit support, so a b32 rule
 * there is a choice, not a gap.
 */
function checkB32Twins(state: LintState): void {
  if (state.machine !== 'x86_64') return;
  const compat = compatMachine(state.machine);
  if (compat === undefined) return;
  const twinKey = (rule: AuditSyscallRule, names: string[]): string =>
    JSON.stringify([rule.list, rule.action, [...names].sort(), rule.fields.map((field) => `${field.name}${field.op}${field.value}`).sort()]);
  const compatRules = new Set(
    state.syscallRules.filter((item) => item.resolved === compat && item.rule.op !== 'delete').map((item) => twinKey(item.rule, item.rule.syscalls)),
  );
  for (const item of state.syscallRules) {
    if (item.resolved !== state.machine || item.rule.op === 'delete' || item.rule.list !== 'exit' || item.rule.action !== 'always' || item.rule.arches.length === 0) continue;
    const names = item.rule.syscalls.filter((name) => name !== 'all' && isKnownSyscall(name, compat));
    if (names.length === 0 || compatRules.has(twinKey(item.rule, names))) continue;
    add(state, item.line.line, undefined, 'auditrules.missing-b32-twin', 'warning', item.line.raw.trim(),
      text(`no arch=b32 twin of this rule: 32-bit programs call ${names.join(',')} through the ${compat} table, which this rule does not cover; add the same rule with -F arch=b32`,
        `このルールに対応する arch=b32 のルールがありません。32 ビットのプログラムは ${compat} の表で ${names.join(',')} を呼び出すため、このルールでは記録されません。-F arch=b32 の同じルールを追加してください`));
  }
}

export interface AuditLintOptions {
  /** Machine whose tables b64 and b32 refer to; default: the target's (from root) or this host's. */
  machine?: Machine;
  root?: string;
}

/** Lint audit rules as auditctl -R would read them, plus the checks the kernel applies when loading. */
export function lintAuditRules(content: string, path: string, options: AuditLintOptions = {}): Finding[] {
  const doc = parseAuditRules(content, path);
  const machine = options.machine ?? (options.root === undefined ? undefined : targetMachine(options.root)) ?? hostMachine();
  const state: LintState = {
    path,
    machine,
    ...(options.root === undefined ? {} : { root: new RootFs(options.root) }),
    findings: doc.diagnostics.map((diagnostic) => ({ ...diagnostic })),
    seen: new Map(),
    syscallRules: [],
  };

  for (const line of doc.lines) {
    if (line.kind !== 'rule') continue;
    if (state.lockedAt !== undefined) {
      add(state, line.line, 1, 'auditrules.after-lock', 'error', line.raw.trim(),
        text(`line ${state.lockedAt} sets -e 2, which locks the rules until reboot, so this line is rejected; move -e 2 to the end`,
          `${state.lockedAt} 行目の -e 2 で再起動までルールが固定されるため、この行は拒否されます。-e 2 を最後に移してください`));
    }
    const command = line.command;
    if (command === undefined) continue;
    if (command.kind === 'control') checkControl(state, line, command);
    if (command.kind === 'watch') checkWatch(state, line, command);
    if (command.kind === 'syscall') checkSyscallRule(state, line, command);
    if (command.kind !== 'control') checkKeys(state, line, command.keys);

    const signature = ruleSignature(command, machine);
    if (signature === undefined) continue;
    const first = state.seen.get(signature);
    if (first === undefined) {
      state.seen.set(signature, line.line);
      continue;
    }
    add(state, line.line, 1, 'auditrules.duplicate', 'warning', line.raw.trim(),
      text(`same rule as line ${first}: the kernel rejects the second copy ("Rule exists")`, `${first} 行目と同じルールです。カーネルは 2 つ目を拒否します("Rule exists")`));
  }
  checkB32Twins(state);
  return state.findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/** Share of command lines that are auditctl commands; 0 when there is no watch or syscall rule. */
function detectAuditRules(content: string, path: string): number {
  const doc = parseAuditRules(content, path);
  let commands = 0;
  let audit = 0;
  let rules = 0;
  for (const line of doc.lines) {
    if (line.kind === 'blank' || line.kind === 'comment') continue;
    commands++;
    if (line.kind !== 'rule') continue;
    const first = line.tokens[0]?.value ?? '';
    if (line.command?.kind === 'watch' || line.command?.kind === 'syscall') {
      audit++;
      rules++;
    } else if (CONTROL_OPTIONS.has(first)) {
      audit++;
    }
  }
  if (rules === 0 || commands === 0) return 0;
  const share = audit / commands;
  if (share === 1) return 0.95;
  return share >= 0.5 ? 0.6 : 0.2;
}

export const auditRulesLinter: Linter = {
  type: 'audit-rules',
  description: text('audit rules (auditctl -R files, /etc/audit/rules.d/*.rules)', '監査ルール(auditctl -R のファイル、/etc/audit/rules.d/*.rules)'),
  detect: detectAuditRules,
  lint: (input: LintInput) => lintAuditRules(input.content, input.path, input.options.root === undefined ? {} : { root: input.options.root }),
};
