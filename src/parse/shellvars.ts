import type { Diagnostic } from '../core/diagnostic.js';
import { text } from '../core/text.js';

/**
 * Lossless parser for OpenRC conf.d files and similar `NAME=value` shell variable files
 * (/etc/conf.d/sshd, /etc/conf.d/iptables, /etc/default/ssh). Only assignments are understood;
 * the files are sourced by a shell, so anything else (commands, conditionals) is kept verbatim
 * and reported as a warning because its effect cannot be known without running it.
 */

export interface ShellAssignment {
  kind: 'assignment';
  /** 1-based line number. */
  line: number;
  name: string;
  /** Value after quote removal, with `\` escapes of double-quoted text resolved. */
  value: string;
  /** Column (1-based) where the raw value starts. */
  valueColumn: number;
  /** Raw text of the value as written, quotes included. */
  rawValue: string;
  /** `export NAME=...` */
  exported: boolean;
  /** Raw text of the whole line without its line ending. */
  raw: string;
  eol: string;
}

export interface ShellOther {
  kind: 'blank' | 'comment' | 'other';
  line: number;
  raw: string;
  eol: string;
}

export type ShellLine = ShellAssignment | ShellOther;

export interface ShellVarsDocument {
  path: string;
  lines: ShellLine[];
  diagnostics: Diagnostic[];
}

const ASSIGNMENT = /^(\s*)(export\s+)?([A-Za-z_][A-Za-z0-9_]*)=/;

export function splitLines(source: string): { raw: string; eol: string }[] {
  const out: { raw: string; eol: string }[] = [];
  let start = 0;
  while (start < source.length) {
    const newline = source.indexOf('\n', start);
    if (newline === -1) {
      out.push({ raw: source.slice(start), eol: '' });
      break;
    }
    const crlf = newline > start && source.charCodeAt(newline - 1) === 13;
    out.push({ raw: source.slice(start, crlf ? newline - 1 : newline), eol: crlf ? '\r\n' : '\n' });
    start = newline + 1;
  }
  return out;
}

/** Read one shell word starting at `start`; returns the unquoted value and where it ended. */
function readWord(raw: string, start: number): { value: string; end: number; closed: boolean } {
  let value = '';
  let i = start;
  while (i < raw.length) {
    const ch = raw[i] as string;
    if (ch === ' ' || ch === '\t') break;
    if (ch === '#' && i === start) break;
    if (ch === "'") {
      const close = raw.indexOf("'", i + 1);
      if (close === -1) return { value: value + raw.slice(i + 1), end: raw.length, closed: false };
      value += raw.slice(i + 1, close);
      i = close + 1;
      continue;
    }
    if (ch === '"') {
      i++;
      let closed = false;
      while (i < raw.length) {
        const inner = raw[i] as string;
        if (inner === '\\' && i + 1 < raw.length && '"\\$`'.includes(raw[i + 1] as string)) {
          value += raw[i + 1];
          i += 2;
          continue;
        }
        if (inner === '"') {
          closed = true;
          i++;
          break;
        }
        value += inner;
        i++;
      }
      if (!closed) return { value, end: raw.length, closed: false };
      continue;
    }
    if (ch === '\\' && i + 1 < raw.length) {
      value += raw[i + 1];
      i += 2;
      continue;
    }
    value += ch;
    i++;
  }
  return { value, end: i, closed: true };
}

export function parseShellVars(source: string, path: string): ShellVarsDocument {
  const lines: ShellLine[] = [];
  const diagnostics: Diagnostic[] = [];

  splitLines(source).forEach(({ raw, eol }, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '') {
      lines.push({ kind: 'blank', line, raw, eol });
      return;
    }
    if (trimmed.startsWith('#')) {
      lines.push({ kind: 'comment', line, raw, eol });
      return;
    }
    const match = ASSIGNMENT.exec(raw);
    if (match === null) {
      lines.push({ kind: 'other', line, raw, eol });
      diagnostics.push({
        path,
        line,
        column: raw.length - raw.trimStart().length + 1,
        code: 'shellvars.not-an-assignment',
        severity: 'warning',
        value: trimmed,
        message: text(
          'not a NAME=value assignment; the shell runs it, but its effect is not evaluated',
          'NAME=value の代入ではありません。シェルは実行しますが、その効果は評価されません',
        ),
      });
      return;
    }
    const valueStart = match[0].length;
    const word = readWord(raw, valueStart);
    if (!word.closed) {
      diagnostics.push({
        path,
        line,
        column: valueStart + 1,
        code: 'shellvars.unclosed-quote',
        severity: 'error',
        value: raw.slice(valueStart),
        message: text('quote is not closed on this line', 'この行で引用符が閉じられていません'),
      });
    }
    const rest = raw.slice(word.end).trim();
    if (rest !== '' && !rest.startsWith('#')) {
      diagnostics.push({
        path,
        line,
        column: raw.indexOf(rest, word.end) + 1,
        code: 'shellvars.trailing-text',
        severity: 'warning',
        value: rest,
        message: text(
          'text after the value: the shell treats it as a command, not as part of the value',
          '値の後ろに文字列があります。シェルはこれを値ではなくコマンドとして扱います',
        ),
      });
    }
    lines.push({
      kind: 'assignment',
      line,
      name: match[3] as string,
      value: word.value,
      valueColumn: valueStart + 1,
      rawValue: raw.slice(valueStart, word.end),
      exported: match[2] !== undefined,
      raw,
      eol,
    });
  });

  return { path, lines, diagnostics };
}

export function serializeShellVars(doc: ShellVarsDocument): string {
  return doc.lines.map((line) => line.raw + line.eol).join('');
}

/** Return the assignment a shell keeps after sourcing the file: the last one wins. */
export function lastAssignment(doc: ShellVarsDocument, name: string): ShellAssignment | undefined {
  let found: ShellAssignment | undefined;
  for (const line of doc.lines) {
    if (line.kind === 'assignment' && line.name === name) found = line;
  }
  return found;
}

/**
 * Split a shell-quoted argument string such as `command_args="-f /etc/ssh/x -o 'A B'"` into
 * words. Variable expansion is not performed.
 */
export function splitShellWords(value: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && (value[i] === ' ' || value[i] === '\t' || value[i] === '\n')) i++;
    if (i >= value.length) break;
    const word = readWord(value.replace(/\n/g, ' '), i);
    words.push(word.value);
    i = word.end === i ? i + 1 : word.end;
  }
  return words;
}
