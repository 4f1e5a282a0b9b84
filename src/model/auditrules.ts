import { text } from '../core/text.js';
import type { AuditCommand, AuditField, AuditRulesDocument, AuditSyscallRule, AuditWatch } from '../parse/auditrules.js';
import { parseAuditRules, splitFieldPair } from '../parse/auditrules.js';
import { lastAssignment, parseShellVars } from '../parse/shellvars.js';
import type { RootFs } from '../target/rootfs.js';
import { TargetError } from '../target/rootfs.js';
import type { Problem } from './problem.js';
import { problemFromDiagnostic, problemFromError } from './problem.js';

/**
 * The audit rules a target keeps and loads. augenrules builds /etc/audit/audit.rules from
 * /etc/audit/rules.d/*.rules; the auditd service then loads one file with `auditctl -R`.
 */

export interface Evidence {
  path: string;
  line: number;
}

export interface AuditEntry {
  command: AuditWatch | AuditSyscallRule;
  evidence: Evidence;
}

/** A field condition asked for, as `euid=0` or split into its parts. */
export type FieldQuery = string | { name: string; op: string; value: string };

export interface SyscallQuery {
  /** `b64` or `b32`; left out, a rule for any arch matches. */
  arch?: string;
  syscalls: string[];
  fields?: FieldQuery[];
}

const ID_FIELDS = new Set(['uid', 'euid', 'suid', 'fsuid', 'gid', 'egid', 'sgid', 'fsgid', 'auid', 'loginuid', 'obj_uid', 'obj_gid', 'ouid', 'ogid']);
const ARCH_ALIASES: Record<string, string> = { x86_64: 'b64', aarch64: 'b64', i386: 'b32', i686: 'b32', arm: 'b32' };

/** auditctl reads `-1`, `4294967295` and `unset` on id fields as the same unset id. */
function normalizeFieldValue(name: string, value: string): string {
  if (ID_FIELDS.has(name) && (value === '-1' || value === '4294967295')) return 'unset';
  return value;
}

function normalizeArch(arch: string): string {
  return ARCH_ALIASES[arch] ?? arch;
}

function trimSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/** Read a watch from the syscall form auditctl -l may print: `-a always,exit -F path=X -F perm=wa`. */
function watchFromSyscallRule(rule: AuditSyscallRule): { path: string; perms: string } | undefined {
  if (rule.list !== 'exit' || rule.action !== 'always') return undefined;
  if (rule.syscalls.some((name) => name !== 'all')) return undefined;
  const target = rule.fields.find((field) => (field.name === 'path' || field.name === 'dir') && field.op === '=');
  if (target === undefined) return undefined;
  const others = rule.fields.filter((field) => field !== target && field.name !== 'perm');
  if (others.length > 0) return undefined;
  const perm = rule.fields.find((field) => field.name === 'perm');
  return { path: target.value, perms: perm?.value ?? 'rwxa' };
}

/** Same rule, ignoring whether the line adds or removes it. */
function sameCommand(a: AuditCommand, b: AuditCommand): boolean {
  const key = (command: AuditCommand): string => {
    if (command.kind === 'watch') return JSON.stringify(['w', trimSlash(command.path), command.perms, command.keys]);
    if (command.kind === 'syscall') {
      const fields = (list: AuditField[]): string[] => list.map((field) => `${field.name}${field.op}${field.value}`);
      return JSON.stringify(['a', command.list, command.action, command.arches, command.syscalls, fields(command.fields), command.keys]);
    }
    return JSON.stringify(['c', command.option, command.value]);
  };
  return key(a) === key(b);
}

/** The rules in effect after replaying files in order: `-D` clears, `-W` and `-d` remove. */
export class AuditRuleSet {
  readonly entries: AuditEntry[] = [];
  /**
   * Replay files as augenrules concatenates rules.d: it moves the last bare `-D` to the top
   * of audit.rules, so a `-D` in a later file does not delete the rules of earlier ones.
   */
  private readonly augenrules: boolean;

  constructor(options: { augenrules?: boolean } = {}) {
    this.augenrules = options.augenrules ?? false;
  }
  /** Last `-e` value and where it was set. */
  enabled?: { value: string; evidence: Evidence };

  add(doc: AuditRulesDocument): void {
    for (const line of doc.lines) {
      if (line.kind !== 'rule' || line.command === undefined) continue;
      const evidence = { path: doc.path, line: line.line };
      this.apply(line.command, evidence);
    }
  }

  private apply(command: AuditCommand, evidence: Evidence): void {
    if (command.kind === 'control') {
      if (command.option === 'D' && command.value === undefined && !this.augenrules) this.entries.length = 0;
      if (command.option === 'e' && command.value !== undefined) this.enabled = { value: command.value, evidence };
      return;
    }
    const removing = (command.kind === 'watch' && command.remove) || (command.kind === 'syscall' && command.op === 'delete');
    if (removing) {
      const at = this.entries.findIndex((entry) => sameCommand(entry.command, command));
      if (at !== -1) this.entries.splice(at, 1);
      return;
    }
    if (command.kind === 'syscall' && command.op === 'prepend') this.entries.unshift({ command, evidence });
    else this.entries.push({ command, evidence });
  }

  /** `-e 2`: the rules cannot be changed until reboot. */
  get enabledLocked(): boolean {
    return this.enabled?.value === '2';
  }

  /**
   * Find a watch on `path` (a trailing slash does not matter) whose permissions include every
   * letter of `perms`. Watches printed as `-a always,exit -F path=... -F perm=...` count too.
   */
  hasWatch(path: string, perms: string): Evidence | undefined {
    const expectedPath = trimSlash(path);
    for (const entry of this.entries) {
      const command = entry.command;
      const watch = command.kind === 'watch' ? command : watchFromSyscallRule(command);
      if (watch === undefined || trimSlash(watch.path) !== expectedPath) continue;
      if ([...perms].every((letter) => watch.perms.includes(letter))) return entry.evidence;
    }
    return undefined;
  }

  /** Syscall rules on the exit list with action always that cover the query. */
  findSyscallRule(query: SyscallQuery): AuditEntry[] {
    const fields = (query.fields ?? []).map((field) => (typeof field === 'string' ? splitFieldPair(field) : field));
    return this.entries.filter((entry) => {
      const rule = entry.command;
      if (rule.kind !== 'syscall' || rule.list !== 'exit' || rule.action !== 'always') return false;
      if (query.arch !== undefined && !rule.arches.map(normalizeArch).includes(normalizeArch(query.arch))) return false;
      if (!query.syscalls.every((name) => rule.syscalls.includes(name) || rule.syscalls.includes('all'))) return false;
      return fields.every(
        (expected) =>
          expected !== undefined &&
          rule.fields.some(
            (field) =>
              field.name === expected.name &&
              field.op === expected.op &&
              normalizeFieldValue(field.name, field.value) === normalizeFieldValue(expected.name, expected.value),
          ),
      );
    });
  }
}

/** Parse `auditctl -l` output into the rule set the kernel holds. */
export function parseAuditctlList(output: string, path = '(auditctl -l)'): { rules: AuditRuleSet; problems: Problem[] } {
  // auditctl prints "No rules" instead of an empty list.
  const source = output.replace(/^No rules\s*$/m, '');
  const doc = parseAuditRules(source, path);
  const rules = new AuditRuleSet();
  rules.add(doc);
  return { rules, problems: doc.diagnostics.map(problemFromDiagnostic) };
}

// ---------------------------------------------------------------------------------------------
// augenrules file order

const DIGIT = /[0-9]/;
const LETTER = /[A-Za-z]/;

/** Weight of one byte in Debian version comparison: `~` first, then the end, letters, others. */
function order(s: string, pos: number): number {
  if (pos >= s.length) return -1;
  const c = s[pos] as string;
  if (DIGIT.test(c)) return 0;
  if (LETTER.test(c)) return c.charCodeAt(0);
  if (c === '~') return -2;
  return c.charCodeAt(0) + 256;
}

function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !DIGIT.test(a[i] as string)) || (j < b.length && !DIGIT.test(b[j] as string))) {
      const ac = order(a, i);
      const bc = order(b, j);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (i < a.length && j < b.length && DIGIT.test(a[i] as string) && DIGIT.test(b[j] as string)) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && DIGIT.test(a[i] as string)) return 1;
    if (j < b.length && DIGIT.test(b[j] as string)) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** Length of a name without its suffix `(\.[A-Za-z~][A-Za-z0-9~]*)*$`, as gnulib's filevercmp cuts it. */
function prefixLength(name: string): number {
  let prefix = 0;
  let i = 0;
  while (i < name.length) {
    i++;
    prefix = i;
    while (i + 1 < name.length && name[i] === '.' && /[A-Za-z~]/.test(name[i + 1] as string)) {
      i += 2;
      while (i < name.length && /[A-Za-z0-9~]/.test(name[i] as string)) i++;
    }
  }
  return prefix;
}

/**
 * Compare file names as `ls -v` does (gnulib filevercmp, coreutils 9), falling back to byte
 * order for names that compare equal, as ls does.
 */
export function compareVersionNames(a: string, b: string): number {
  const ap = prefixLength(a);
  const bp = prefixLength(b);
  let result = verrevcmp(a.slice(0, ap), b.slice(0, bp));
  if (result === 0 && !(ap === a.length && bp === b.length)) result = verrevcmp(a, b);
  if (result !== 0) return result;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * The files augenrules concatenates: `ls -1v /etc/audit/rules.d | grep '\.rules$'`, so names
 * ending in `.rules` that do not start with a dot, in version order.
 */
export function augenrulesFiles(names: string[]): string[] {
  return names.filter((name) => name.endsWith('.rules') && !name.startsWith('.')).sort(compareVersionNames);
}

// ---------------------------------------------------------------------------------------------
// Model

export const RULES_DIR = '/etc/audit/rules.d';
export const AUDIT_RULES = '/etc/audit/audit.rules';

export interface AuditStartup {
  /**
   * `augenrules`: the service rebuilds audit.rules from rules.d before loading it (Debian's
   * init script, systemd's audit-rules.service). `rulefile`: the OpenRC service of Alpine and
   * Gentoo loads RULEFILE_STARTUP from /etc/conf.d/auditd and never runs augenrules.
   */
  loader: 'augenrules' | 'rulefile' | 'unknown';
  /** The file loaded at boot; undefined when none is configured. */
  path?: string;
  evidence?: Evidence;
}

export interface AuditRulesModel {
  /** auditd or its configuration directory exists. */
  present: boolean;
  presenceEvidence: string[];
  /** rules.d files in the order augenrules reads them. */
  rulesDFiles: string[];
  /** Rules of rules.d, concatenated as augenrules does. */
  rulesD: AuditRuleSet;
  /** /etc/audit/audit.rules, when it exists. */
  auditRules?: AuditRuleSet;
  /** rules.d when it contains rule files, else audit.rules: the place the checks read. */
  configured: AuditRuleSet;
  configuredSource: 'rules.d' | 'audit.rules' | 'none';
  startup: AuditStartup;
  /** rules.d rules that the boot loader does not load, because it reads another file that lacks them. */
  notLoadedAtBoot: Evidence[];
  hasWatch(path: string, perms: string): Evidence | undefined;
  findSyscallRule(query: SyscallQuery): AuditEntry[];
  enabledLocked: boolean;
  problems: Problem[];
}

function readRules(fs: RootFs, path: string, problems: Problem[]): AuditRulesDocument | undefined {
  try {
    const file = fs.readTextIfExists(path);
    if (file === undefined) return undefined;
    const doc = parseAuditRules(file.text, path);
    problems.push(...doc.diagnostics.map(problemFromDiagnostic));
    return doc;
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    problems.push(problemFromError(error));
    return undefined;
  }
}

function readOptional(fs: RootFs, path: string): string | undefined {
  try {
    return fs.readTextIfExists(path)?.text;
  } catch {
    return undefined;
  }
}

function findStartup(fs: RootFs, problems: Problem[]): AuditStartup {
  const initScript = readOptional(fs, '/etc/init.d/auditd') ?? '';
  if (initScript.includes('RULEFILE_STARTUP')) {
    const confd = '/etc/conf.d/auditd';
    const source = readOptional(fs, confd);
    const assignment = source === undefined ? undefined : lastAssignment(parseShellVars(source, confd), 'RULEFILE_STARTUP');
    if (assignment === undefined || assignment.value === '') return { loader: 'rulefile' };
    if (/[$`]/.test(assignment.value)) {
      problems.push({
        path: confd,
        line: assignment.line,
        column: assignment.valueColumn,
        code: 'audit.startup-path-expansion',
        value: assignment.rawValue,
        message: text('RULEFILE_STARTUP uses shell expansion, so the file it names is unknown',
          'RULEFILE_STARTUP はシェルの展開を使っているため、どのファイルかわかりません'),
      });
      return { loader: 'rulefile' };
    }
    return { loader: 'rulefile', path: assignment.value, evidence: { path: confd, line: assignment.line } };
  }

  const usesAugenrules =
    initScript.includes('augenrules') ||
    ['/lib/systemd/system/audit-rules.service', '/usr/lib/systemd/system/audit-rules.service'].some((path) => fs.exists(path));
  if (!usesAugenrules) return { loader: 'unknown', path: AUDIT_RULES };

  // Debian's init script skips augenrules when /etc/default/auditd sets USE_AUGENRULES=no.
  const defaults = readOptional(fs, '/etc/default/auditd');
  const use = defaults === undefined ? undefined : lastAssignment(parseShellVars(defaults, '/etc/default/auditd'), 'USE_AUGENRULES');
  if (use !== undefined && use.value.toLowerCase() === 'no') {
    return { loader: 'unknown', path: AUDIT_RULES, evidence: { path: '/etc/default/auditd', line: use.line } };
  }
  return { loader: 'augenrules', path: AUDIT_RULES };
}

/** Read the audit rules of the target: rules.d in augenrules order, audit.rules, and what boot loads. */
export function loadAuditRules(fs: RootFs): AuditRulesModel {
  const problems: Problem[] = [];
  const presenceEvidence = ['/sbin/auditd', '/usr/sbin/auditd', '/etc/audit'].filter((path) => fs.exists(path));

  let names: string[] = [];
  try {
    names = fs.readdir(RULES_DIR);
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    problems.push(problemFromError(error));
  }
  const rulesDFiles = augenrulesFiles(names).map((name) => `${RULES_DIR}/${name}`);
  const rulesD = new AuditRuleSet({ augenrules: true });
  for (const path of rulesDFiles) {
    const doc = readRules(fs, path, problems);
    if (doc !== undefined) rulesD.add(doc);
  }

  const auditRulesDoc = readRules(fs, AUDIT_RULES, problems);
  let auditRules: AuditRuleSet | undefined;
  if (auditRulesDoc !== undefined) {
    auditRules = new AuditRuleSet();
    auditRules.add(auditRulesDoc);
  }

  let configuredSource: AuditRulesModel['configuredSource'] = 'none';
  if (auditRules !== undefined) configuredSource = 'audit.rules';
  if (rulesDFiles.length > 0) configuredSource = 'rules.d';
  const configured = configuredSource === 'rules.d' ? rulesD : (auditRules ?? new AuditRuleSet());
  const startup = findStartup(fs, problems);
  const notLoadedAtBoot = rulesNotLoaded(fs, startup, rulesD, auditRules, problems);

  return {
    present: presenceEvidence.length > 0,
    presenceEvidence,
    rulesDFiles,
    rulesD,
    ...(auditRules === undefined ? {} : { auditRules }),
    configured,
    configuredSource,
    startup,
    notLoadedAtBoot,
    hasWatch: (path, perms) => configured.hasWatch(path, perms),
    findSyscallRule: (query) => configured.findSyscallRule(query),
    enabledLocked: configured.enabledLocked,
    problems,
  };
}

function rulesNotLoaded(
  fs: RootFs,
  startup: AuditStartup,
  rulesD: AuditRuleSet,
  auditRules: AuditRuleSet | undefined,
  problems: Problem[],
): Evidence[] {
  if (startup.loader === 'augenrules') return [];
  let loaded: AuditRuleSet | undefined;
  if (startup.path === AUDIT_RULES) loaded = auditRules;
  else if (startup.path !== undefined && !startup.path.startsWith(`${RULES_DIR}/`)) {
    const doc = readRules(fs, startup.path, problems);
    if (doc !== undefined) {
      loaded = new AuditRuleSet();
      loaded.add(doc);
    }
  } else if (startup.path !== undefined) {
    // The service loads one rules.d file itself; the others are not loaded.
    return rulesD.entries.filter((entry) => entry.evidence.path !== startup.path).map((entry) => entry.evidence);
  }
  const present = loaded?.entries ?? [];
  return rulesD.entries
    .filter((entry) => !present.some((other) => sameCommand(other.command, entry.command)))
    .map((entry) => entry.evidence);
}
