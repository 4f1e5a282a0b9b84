import type { Diagnostic } from '../core/diagnostic.js';
import type { Text } from '../core/text.js';
import { text } from '../core/text.js';
import { splitLines } from './shellvars.js';

/**
 * Lossless parser for audit rules files (/etc/audit/audit.rules, /etc/audit/rules.d/*.rules)
 * and for the output of `auditctl -l`. Each line is one auditctl command. Words are split as
 * `auditctl -R` splits them (audit-userspace 3.x and 4.x), on spaces only, and `\ ` keeps a
 * space inside a word. A line whose first word starts with `#` is a comment. A tab is not a
 * separator for auditctl, so it becomes part of a word.
 */

export interface AuditToken {
  value: string;
  /** 0-based offsets in the line. */
  start: number;
  end: number;
}

export interface AuditOption {
  /** As written: `-w`, `-F`, `--backlog_wait_time`. */
  flag: string;
  args: string[];
  /** 1-based column of the flag. */
  column: number;
}

/** A `-F name<op>value` or `-C name<op>name` pair. */
export interface AuditField {
  name: string;
  op: string;
  value: string;
  column: number;
}

export interface AuditWatch {
  kind: 'watch';
  /** `-W` removes the watch instead of adding it. */
  remove: boolean;
  path: string;
  /** Letters of `-p`; auditctl watches for all of `rwxa` when `-p` is left out. */
  perms: string;
  keys: string[];
}

export interface AuditSyscallRule {
  kind: 'syscall';
  /** `-a` appends, `-A` prepends, `-d` deletes. */
  op: 'append' | 'prepend' | 'delete';
  list: string;
  action: string;
  /** Values of `-F arch=`. */
  arches: string[];
  /** Syscall names or numbers from every `-S`, comma lists split. */
  syscalls: string[];
  /** `-F` fields other than arch and key. */
  fields: AuditField[];
  comparisons: AuditField[];
  /** `-k` keys and `-F key=` values. */
  keys: string[];
}

export interface AuditControl {
  kind: 'control';
  /** The option without dashes: `D`, `b`, `e`, `f`, `r`, `i`, `backlog_wait_time`, ... */
  option: string;
  value?: string;
}

export type AuditCommand = AuditWatch | AuditSyscallRule | AuditControl;

interface LineBase {
  line: number;
  raw: string;
  eol: string;
}

export interface AuditSimpleLine extends LineBase {
  kind: 'blank' | 'comment' | 'invalid';
}

export interface AuditRuleLine extends LineBase {
  kind: 'rule';
  tokens: AuditToken[];
  options: AuditOption[];
  /** Undefined when the line has an error that keeps its meaning from being known. */
  command?: AuditCommand;
}

export type AuditLine = AuditSimpleLine | AuditRuleLine;

export interface AuditRulesDocument {
  path: string;
  lines: AuditLine[];
  diagnostics: Diagnostic[];
}

/** Options of auditctl 3.0 and 4.0 and whether each takes an argument. */
const OPTION_ARGUMENTS: Readonly<Record<string, boolean>> = {
  '-a': true, '-A': true, '-d': true, '-b': true, '-e': true, '-f': true, '-r': true, '-R': true,
  '-S': true, '-F': true, '-C': true, '-k': true, '-p': true, '-w': true, '-W': true, '-q': true,
  '-m': true, '--backlog_wait_time': true, '--signal': true,
  '-D': false, '-i': false, '-c': false, '-l': false, '-s': false, '-t': false, '-v': false,
  '--loginuid-immutable': false, '--reset-lost': false, '--reset_backlog_wait_time_actual': false,
};

const LISTS = new Set(['task', 'exit', 'user', 'exclude', 'filesystem', 'io_uring']);
const ACTIONS = new Set(['never', 'always']);

/** Operators in the order auditctl searches for them, so `!=` wins over `=`. */
const FIELD_OPERATORS = ['!=', '>=', '<=', '&=', '=', '>', '<', '&'];

/** Split a field pair such as `uid!=0` at its operator; undefined when there is none. */
export function splitFieldPair(pair: string): { name: string; op: string; value: string } | undefined {
  for (const op of FIELD_OPERATORS) {
    const at = pair.indexOf(op);
    if (at > 0) return { name: pair.slice(0, at), op, value: pair.slice(at + op.length) };
  }
  return undefined;
}

/** Split a line into words as `auditctl -R` does: on spaces, `\ ` and `\\` escaped. */
export function tokenizeAuditLine(line: string): AuditToken[] {
  const tokens: AuditToken[] = [];
  let value = '';
  let start = -1;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (ch === '\\' && (line[i + 1] === ' ' || line[i + 1] === '\\')) {
      if (start === -1) start = i;
      value += line[i + 1];
      i++;
      continue;
    }
    if (ch === ' ') {
      if (start !== -1) tokens.push({ value, start, end: i });
      value = '';
      start = -1;
      continue;
    }
    if (start === -1) start = i;
    value += ch;
  }
  if (start !== -1) tokens.push({ value, start, end: line.length });
  return tokens;
}

interface Context {
  path: string;
  diagnostics: Diagnostic[];
}

function report(context: Context, code: string, line: number, column: number, value: string, message: Text): void {
  context.diagnostics.push({ path: context.path, line, column, code, severity: 'error', value, message });
}

function readOptions(context: Context, lineNumber: number, tokens: AuditToken[]): { options: AuditOption[]; ok: boolean } {
  const options: AuditOption[] = [];
  let ok = true;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as AuditToken;
    const column = token.start + 1;
    const takesArgument = OPTION_ARGUMENTS[token.value];

    if (takesArgument === undefined) {
      const isOption = token.value.startsWith('-');
      report(context, isOption ? 'auditrules.unknown-option' : 'auditrules.unexpected-argument', lineNumber, column, token.value,
        isOption
          ? text(`unknown auditctl option ${token.value}`, `auditctl の不明なオプション ${token.value} です`)
          : text(`unexpected word "${token.value}": comments must be on lines of their own`,
            `予期しない語 "${token.value}" があります。コメントは独立した行に書いてください`));
      ok = false;
      continue;
    }

    if (!takesArgument) {
      options.push({ flag: token.value, args: [], column });
      continue;
    }

    const argument = tokens[i + 1];
    if (argument === undefined) {
      report(context, 'auditrules.missing-argument', lineNumber, column, token.value,
        text(`option ${token.value} requires an argument`, `オプション ${token.value} には引数が必要です`));
      ok = false;
      continue;
    }
    options.push({ flag: token.value, args: [argument.value], column });
    i++;
  }
  return { options, ok };
}

function checkPerms(context: Context, lineNumber: number, column: number, perms: string): boolean {
  if (/^[rwxa]{1,4}$/.test(perms)) return true;
  report(context, 'auditrules.bad-perms', lineNumber, column, perms,
    text(`invalid permissions "${perms}": use the letters r, w, x and a`,
      `権限 "${perms}" は不正です。r、w、x、a の文字を使ってください`));
  return false;
}

function parseListAction(
  context: Context,
  lineNumber: number,
  option: AuditOption,
): { list: string; action: string } | undefined {
  const value = option.args[0] ?? '';
  const [first = '', second = '', extra] = value.split(',');
  // auditctl accepts both `list,action` and the old `action,list` order.
  const ordered = LISTS.has(first) && ACTIONS.has(second) ? { list: first, action: second } : LISTS.has(second) && ACTIONS.has(first) ? { list: second, action: first } : undefined;
  if (ordered === undefined || extra !== undefined) {
    report(context, 'auditrules.bad-list-action', lineNumber, option.column, value,
      text(`invalid list and action "${value}": write e.g. always,exit`,
        `リストとアクション "${value}" が不正です。always,exit のように書いてください`));
    return undefined;
  }
  return ordered;
}

function buildCommand(context: Context, lineNumber: number, options: AuditOption[]): AuditCommand | undefined {
  const watch = options.find((option) => option.flag === '-w' || option.flag === '-W');
  const rule = options.find((option) => option.flag === '-a' || option.flag === '-A' || option.flag === '-d');
  const keys = options.filter((option) => option.flag === '-k').map((option) => option.args[0] ?? '');
  let ok = true;

  const fields: AuditField[] = [];
  const comparisons: AuditField[] = [];
  for (const option of options) {
    if (option.flag !== '-F' && option.flag !== '-C') continue;
    const pair = splitFieldPair(option.args[0] ?? '');
    if (pair === undefined) {
      report(context, 'auditrules.bad-field', lineNumber, option.column, option.args[0] ?? '',
        text(`"${option.args[0] ?? ''}" has no operator: write field=value`,
          `"${option.args[0] ?? ''}" に演算子がありません。field=value の形で書いてください`));
      ok = false;
      continue;
    }
    if (pair.name === 'perm' && !checkPerms(context, lineNumber, option.column, pair.value)) ok = false;
    (option.flag === '-F' ? fields : comparisons).push({ ...pair, column: option.column });
  }

  if (watch !== undefined) {
    const permsOption = options.find((option) => option.flag === '-p');
    if (permsOption !== undefined && !checkPerms(context, lineNumber, permsOption.column, permsOption.args[0] ?? '')) ok = false;
    if (!ok) return undefined;
    return { kind: 'watch', remove: watch.flag === '-W', path: watch.args[0] ?? '', perms: permsOption?.args[0] ?? 'rwxa', keys };
  }

  if (rule !== undefined) {
    const listAction = parseListAction(context, lineNumber, rule);
    if (listAction === undefined || !ok) return undefined;
    const syscalls = options
      .filter((option) => option.flag === '-S')
      .flatMap((option) => (option.args[0] ?? '').split(','))
      .filter((name) => name !== '');
    let op: AuditSyscallRule['op'] = 'delete';
    if (rule.flag === '-a') op = 'append';
    if (rule.flag === '-A') op = 'prepend';
    return {
      kind: 'syscall',
      op,
      ...listAction,
      arches: fields.filter((field) => field.name === 'arch').map((field) => field.value),
      syscalls,
      fields: fields.filter((field) => field.name !== 'arch' && field.name !== 'key'),
      comparisons,
      keys: [...keys, ...fields.filter((field) => field.name === 'key').map((field) => field.value)],
    };
  }

  const first = options[0];
  if (first === undefined || !ok) return undefined;
  return { kind: 'control', option: first.flag.replace(/^--?/, ''), ...(first.args[0] === undefined ? {} : { value: first.args[0] }) };
}

/** Parse an audit rules file. Problems become diagnostics instead of exceptions. */
export function parseAuditRules(source: string, path: string): AuditRulesDocument {
  const context: Context = { path, diagnostics: [] };
  const lines: AuditLine[] = [];

  splitLines(source).forEach(({ raw, eol }, index) => {
    const lineNumber = index + 1;
    const tokens = tokenizeAuditLine(raw);
    if (tokens.length === 0) {
      lines.push({ kind: 'blank', line: lineNumber, raw, eol });
      return;
    }
    if ((tokens[0] as AuditToken).value.startsWith('#')) {
      lines.push({ kind: 'comment', line: lineNumber, raw, eol });
      return;
    }

    const tab = raw.indexOf('\t');
    if (tab !== -1) {
      report(context, 'auditrules.tab', lineNumber, tab + 1, raw.trim(),
        text('tab character in a rule: auditctl separates words with spaces only, so the tab becomes part of a word',
          'ルールにタブ文字があります。auditctl は空白だけで語を区切るため、タブは語の一部になります'));
    }
    if (eol === '\r\n') {
      report(context, 'auditrules.crlf', lineNumber, raw.length + 1, '\\r\\n',
        text('CRLF line ending: auditctl keeps the carriage return as part of the last word',
          '改行が CRLF です。auditctl は復帰文字を最後の語の一部として扱います'));
    }

    const { options, ok } = readOptions(context, lineNumber, tokens);
    const command = ok ? buildCommand(context, lineNumber, options) : undefined;
    lines.push({ kind: 'rule', line: lineNumber, raw, eol, tokens, options, ...(command === undefined ? {} : { command }) });
  });

  return { path, lines, diagnostics: context.diagnostics };
}

export function serializeAuditRules(doc: AuditRulesDocument): string {
  return doc.lines.map((line) => line.raw + line.eol).join('');
}
