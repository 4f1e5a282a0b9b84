import type { Diagnostic } from '../core/diagnostic.js';
import { text } from '../core/text.js';
import { splitLines } from './shellvars.js';

/**
 * Lossless parser for sysctl.conf and sysctl.d files.
 *
 * The syntax is what procps-ng `sysctl -p/--system` (src/sysctl.c, parse_setting_line) and
 * systemd-sysctl (src/sysctl/sysctl.c, parse_line) both read. A `#` or `;` as the first
 * non-blank character starts a comment. A setting is `key = value`, with optional whitespace
 * around `=`. The value is the rest of the line with whitespace trimmed at both ends, so a `#`
 * later in the line is part of it. A leading `-` means "ignore a failure to write this key",
 * and `-key` without `=` excludes the key from glob settings. Keys may use `/` as separator.
 */

export interface SysctlSetting {
  kind: 'setting';
  /** 1-based line number. */
  line: number;
  /** Key in dotted form, see normalizeSysctlKey. May contain glob characters. */
  key: string;
  /** Key as written, without the leading `-` and surrounding whitespace. */
  rawKey: string;
  /** 1-based column of rawKey. */
  keyColumn: number;
  /** Value with surrounding whitespace removed; inner whitespace is kept as written. */
  value: string;
  /** 1-based column where the value starts (just after `=` and its spaces when empty). */
  valueColumn: number;
  /** The line starts with `-`: a missing key or failed write is not an error. */
  ignoreErrors: boolean;
  /** Raw text of the line without its line ending. */
  raw: string;
  eol: string;
}

/** `-key` without `=`: keeps glob settings away from `key` (procps-ng and systemd only). */
export interface SysctlExclusion {
  kind: 'exclusion';
  line: number;
  key: string;
  rawKey: string;
  keyColumn: number;
  raw: string;
  eol: string;
}

export interface SysctlOther {
  kind: 'blank' | 'comment' | 'invalid';
  line: number;
  raw: string;
  eol: string;
}

export type SysctlLine = SysctlSetting | SysctlExclusion | SysctlOther;

export interface SysctlDocument {
  path: string;
  lines: SysctlLine[];
  diagnostics: Diagnostic[];
}

/** C `isspace` in the "C" locale: what procps-ng and systemd strip around keys and values. */
const C_SPACE = new Set([' ', '\t', '\n', '\v', '\f', '\r']);

function leadingSpace(value: string): number {
  let i = 0;
  while (i < value.length && C_SPACE.has(value[i] as string)) i++;
  return i;
}

function trailingSpaceStart(value: string): number {
  let end = value.length;
  while (end > 0 && C_SPACE.has(value[end - 1] as string)) end--;
  return end;
}

/**
 * Convert a key to dotted form. As in procps-ng (slashdot) and systemd (sysctl_normalize),
 * when the first separator is `/` the key is in path form, and its dots belong to names such
 * as the VLAN interface `eth0.100`, so `.` and `/` swap: `net/ipv4/conf/eth0.100/rp_filter`
 * becomes `net.ipv4.conf.eth0/100.rp_filter`.
 */
export function normalizeSysctlKey(rawKey: string): string {
  const first = rawKey.search(/[./]/);
  if (first === -1 || rawKey[first] === '.') return rawKey;
  return rawKey.replace(/[./]/g, (separator) => (separator === '/' ? '.' : '/'));
}

/** Collapse runs of whitespace so that `4096 87380   6291456` and `4096\t87380 6291456` compare equal. */
export function normalizeSysctlValue(value: string): string {
  return value.trim().split(/\s+/).join(' ');
}

export function isSysctlGlob(key: string): boolean {
  return /[*?[]/.test(key);
}

const patternCache = new Map<string, RegExp>();

/**
 * Match a dotted key against a glob as glob(3) matches /proc/sys paths: `*`, `?` and `[...]`
 * never match a separator, so `net.ipv4.conf.*.rp_filter` matches `net.ipv4.conf.all.rp_filter`
 * but not `net.ipv4.conf.a.b.rp_filter`.
 */
export function sysctlKeyMatches(pattern: string, key: string): boolean {
  const normalizedPattern = normalizeSysctlKey(pattern);
  const normalizedKey = normalizeSysctlKey(key);
  if (!isSysctlGlob(normalizedPattern)) return normalizedPattern === normalizedKey;
  let regex = patternCache.get(normalizedPattern);
  if (regex === undefined) {
    regex = globToRegExp(normalizedPattern);
    patternCache.set(normalizedPattern, regex);
  }
  return regex.test(normalizedKey);
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i] as string;
    if (ch === '*') {
      source += '[^.]*';
    } else if (ch === '?') {
      source += '[^.]';
    } else if (ch === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) {
        source += '\\[';
      } else {
        let body = pattern.slice(i + 1, close);
        const negated = body.startsWith('!') || body.startsWith('^');
        if (negated) body = body.slice(1);
        const escaped = body.replace(/[\\\]^]/g, '\\$&');
        source += negated ? `[^.${escaped}]` : `[${escaped}]`;
        i = close;
      }
    } else {
      source += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
    i++;
  }
  return new RegExp(`^${source}$`);
}

function firstWord(value: string): string {
  const match = /^[^\s=]+/.exec(value.slice(leadingSpace(value)));
  return match === null ? '' : match[0];
}

export function parseSysctl(source: string, path: string): SysctlDocument {
  const lines: SysctlLine[] = [];
  const diagnostics: Diagnostic[] = [];

  splitLines(source).forEach(({ raw, eol }, index) => {
    const parsed = parseLine(raw, eol, index + 1, path, diagnostics);
    lines.push(parsed);
  });

  return { path, lines, diagnostics };
}

function parseLine(raw: string, eol: string, line: number, path: string, diagnostics: Diagnostic[]): SysctlLine {
  const start = leadingSpace(raw);
  if (start === raw.length) return { kind: 'blank', line, raw, eol };
  const first = raw[start] as string;
  if (first === '#' || first === ';') return { kind: 'comment', line, raw, eol };

  const ignoreErrors = first === '-';
  const keyStart = ignoreErrors ? start + 1 : start;
  const equals = raw.indexOf('=', keyStart);

  if (equals === -1) {
    return parseLineWithoutEquals(raw, eol, line, path, keyStart, ignoreErrors, diagnostics);
  }

  const keyText = raw.slice(keyStart, equals);
  const rawKey = keyText.slice(leadingSpace(keyText), trailingSpaceStart(keyText));
  const keyColumn = keyStart + leadingSpace(keyText) + 1;
  if (rawKey === '') {
    diagnostics.push({
      path,
      line,
      column: equals + 1,
      code: 'sysctl.empty-key',
      severity: 'error',
      value: raw.slice(start),
      message: text('setting has no key before `=`', '`=` の前にキーがありません'),
    });
    return { kind: 'invalid', line, raw, eol };
  }

  const afterEquals = raw.slice(equals + 1);
  const valueOffset = equals + 1 + leadingSpace(afterEquals);
  const value = raw.slice(valueOffset, Math.max(valueOffset, equals + 1 + trailingSpaceStart(afterEquals)));
  checkValue(value, rawKey, line, valueOffset + 1, path, diagnostics);

  return {
    kind: 'setting',
    line,
    key: normalizeSysctlKey(rawKey),
    rawKey,
    keyColumn,
    value,
    valueColumn: valueOffset + 1,
    ignoreErrors,
    raw,
    eol,
  };
}

function parseLineWithoutEquals(
  raw: string,
  eol: string,
  line: number,
  path: string,
  keyStart: number,
  ignoreErrors: boolean,
  diagnostics: Diagnostic[],
): SysctlLine {
  const rest = raw.slice(keyStart);
  const rawKey = rest.slice(leadingSpace(rest), trailingSpaceStart(rest));
  const keyColumn = keyStart + leadingSpace(rest) + 1;

  if (ignoreErrors && rawKey !== '' && !/\s/.test(rawKey)) {
    return { kind: 'exclusion', line, key: normalizeSysctlKey(rawKey), rawKey, keyColumn, raw, eol };
  }

  diagnostics.push({
    path,
    line,
    column: keyColumn,
    code: 'sysctl.missing-equals',
    severity: 'error',
    value: firstWord(rest),
    message: text(
      'line is not a `key = value` setting: `=` is missing, so the loader ignores it',
      '`key = value` 形式の設定ではありません(`=` がありません)。この行は読み込み時に無視されます',
    ),
  });
  return { kind: 'invalid', line, raw, eol };
}

function checkValue(value: string, rawKey: string, line: number, column: number, path: string, diagnostics: Diagnostic[]): void {
  if (value === '') {
    diagnostics.push({
      path,
      line,
      column,
      code: 'sysctl.empty-value',
      severity: 'warning',
      value: rawKey,
      message: text(
        `${rawKey} has an empty value: writing it fails, so the kernel keeps its current value`,
        `${rawKey} の値が空です。書き込みは失敗し、カーネルは現在の値のままになります`,
      ),
    });
    return;
  }
  const comment = /\s#/.exec(value);
  if (comment !== null) {
    diagnostics.push({
      path,
      line,
      column: column + comment.index + 1,
      code: 'sysctl.inline-comment',
      severity: 'warning',
      value,
      message: text(
        'a `#` after the value is not a comment: it becomes part of the value written to the kernel',
        '値の後ろの `#` はコメントになりません。カーネルに書き込まれる値の一部になります',
      ),
    });
  }
}

export function serializeSysctl(doc: SysctlDocument): string {
  return doc.lines.map((line) => line.raw + line.eol).join('');
}

/** Return a copy of `setting` with a new value; only the value token of the raw line changes. */
export function withSysctlValue(setting: SysctlSetting, value: string): SysctlSetting {
  const start = setting.valueColumn - 1;
  const raw = setting.raw.slice(0, start) + value + setting.raw.slice(start + setting.value.length);
  return { ...setting, value, raw };
}
