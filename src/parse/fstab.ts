import type { Diagnostic } from '../core/diagnostic.js';
import { text } from '../core/text.js';
import { splitLines } from './shellvars.js';

/**
 * Lossless parser for fstab(5) and for the mount table in /proc/mounts (/proc/self/mounts),
 * which uses the same six fields.
 *
 * Fields are separated by runs of spaces and tabs. A backslash followed by three octal digits
 * stands for that byte, so `\040` is a space and `\011` a tab. util-linux 2.38 findmnt reads
 * them the same way, and it also splits options at a decoded `\054` (comma). Fields 5 (freq)
 * and 6 (passno) may be left out and then count as 0. A line whose first non-blank character
 * is `#` is a comment, and a `#` word after field 6 starts a comment that runs to the line end.
 */

export interface FstabField {
  /** The field as written, escapes included. */
  raw: string;
  /** 1-based column where the field starts. */
  column: number;
}

export interface FstabEntry {
  kind: 'entry';
  /** 1-based line number. */
  line: number;
  /** Field 1 with escapes decoded, e.g. `UUID=...`, `/dev/sda1`, `tmpfs`. */
  spec: string;
  /** Field 2, the mount point, with escapes decoded. */
  file: string;
  vfstype: string;
  /** Field 4 split at commas outside double quotes; empty items (`defaults,,nodev`) are skipped. */
  options: string[];
  freq: number;
  passno: number;
  fields: FstabField[];
  /** Whitespace before the first field, between fields and after the last one (with a trailing comment): `fields.length + 1` items. */
  separators: string[];
  raw: string;
  eol: string;
}

export interface FstabOther {
  kind: 'blank' | 'comment' | 'invalid';
  line: number;
  raw: string;
  eol: string;
}

export type FstabLine = FstabEntry | FstabOther;

export interface FstabDocument {
  path: string;
  lines: FstabLine[];
  diagnostics: Diagnostic[];
}

/** Decode `\ooo` octal escapes. Any other backslash is kept as it is. */
export function unmangle(value: string): string {
  return value.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8) & 0xff));
}

/** Encode space, tab, newline and backslash as octal escapes so that the value stays one field. */
export function mangle(value: string): string {
  return value.replace(/[ \t\n\\]/g, (ch) => `\\${ch.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** Split a mount option string at commas, keeping commas inside double quotes as findmnt does (`context="a,b"`). */
export function splitMountOptions(value: string): string[] {
  const options: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      options.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  options.push(current);
  return options.filter((option) => option !== '');
}

function splitFields(raw: string): { fields: FstabField[]; separators: string[] } {
  const fields: FstabField[] = [];
  const separators: string[] = [];
  const pattern = /([ \t]*)([^ \t]+)/g;
  let end = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(raw)) !== null) {
    separators.push(match[1] as string);
    fields.push({ raw: match[2] as string, column: match.index + (match[1] as string).length + 1 });
    end = pattern.lastIndex;
  }
  separators.push(raw.slice(end));
  return { fields, separators };
}

function parseNumber(
  field: FstabField | undefined,
  name: string,
  line: number,
  path: string,
  diagnostics: Diagnostic[],
): number {
  if (field === undefined) return 0;
  if (/^[0-9]+$/.test(field.raw)) return Number(field.raw);
  diagnostics.push({
    path,
    line,
    column: field.column,
    code: 'fstab.bad-number',
    severity: 'error',
    value: field.raw,
    message: text(`${name} must be a number, not \`${field.raw}\``, `${name} は数値でなければなりません(\`${field.raw}\`)`),
  });
  return 0;
}

function parseLine(raw: string, eol: string, line: number, path: string, diagnostics: Diagnostic[]): FstabLine {
  const trimmed = raw.trim();
  if (trimmed === '') return { kind: 'blank', line, raw, eol };
  if (trimmed.startsWith('#')) return { kind: 'comment', line, raw, eol };

  const { fields, separators } = splitFields(raw);
  if (fields.length > 6 && (fields[6] as FstabField).raw.startsWith('#')) {
    // util-linux 2.38 mount ignores the text after field 6, so `... 0 2 # note` is a valid entry.
    // The comment goes into the trailing separator, which keeps the line byte for byte.
    const sixth = fields[5] as FstabField;
    fields.length = 6;
    separators.length = 6;
    separators.push(raw.slice(sixth.column - 1 + sixth.raw.length));
  }
  if (fields.length < 4) {
    diagnostics.push({
      path,
      line,
      column: fields[0]?.column ?? 1,
      code: 'fstab.too-few-fields',
      severity: 'error',
      value: trimmed,
      message: text(
        `entry has ${fields.length} fields; at least 4 are needed (device, mount point, type, options)`,
        `エントリのフィールドが ${fields.length} 個しかありません。少なくとも 4 個(デバイス、マウントポイント、種類、オプション)が必要です`,
      ),
    });
    return { kind: 'invalid', line, raw, eol };
  }
  if (fields.length > 6) {
    const extra = fields[6] as FstabField;
    diagnostics.push({
      path,
      line,
      column: extra.column,
      code: 'fstab.too-many-fields',
      severity: 'error',
      value: extra.raw,
      message: text(
        'entry has more than 6 fields; a space inside a field must be written as \\040',
        'エントリのフィールドが 6 個を超えています。フィールド内の空白は \\040 と書く必要があります',
      ),
    });
    return { kind: 'invalid', line, raw, eol };
  }

  const [spec, file, vfstype, options] = fields as [FstabField, FstabField, FstabField, FstabField];
  return {
    kind: 'entry',
    line,
    spec: unmangle(spec.raw),
    file: unmangle(file.raw),
    vfstype: unmangle(vfstype.raw),
    options: splitMountOptions(unmangle(options.raw)),
    freq: parseNumber(fields[4], 'freq (field 5)', line, path, diagnostics),
    passno: parseNumber(fields[5], 'passno (field 6)', line, path, diagnostics),
    fields,
    separators,
    raw,
    eol,
  };
}

export function parseFstab(source: string, path: string): FstabDocument {
  const lines: FstabLine[] = [];
  const diagnostics: Diagnostic[] = [];
  splitLines(source).forEach(({ raw, eol }, index) => {
    lines.push(parseLine(raw, eol, index + 1, path, diagnostics));
  });
  return { path, lines, diagnostics };
}

/** Parse /proc/mounts or /proc/self/mounts content, whose fields the kernel escapes as fstab does. */
export function parseMountsTable(source: string, path = '/proc/mounts'): FstabDocument {
  return parseFstab(source, path);
}

export function serializeFstab(doc: FstabDocument): string {
  return doc.lines.map((line) => line.raw + line.eol).join('');
}

/** True when the entry has every option in `required`. */
export function hasOptions(entry: FstabEntry, required: readonly string[]): boolean {
  return required.every((option) => entry.options.includes(option));
}

/**
 * Return a copy of `entry` with field `index` (0-based) replaced by `raw`. The separator after
 * the field shrinks or grows so that the next field keeps its column where possible (at least
 * one space remains).
 */
export function withFstabField(entry: FstabEntry, index: number, raw: string): FstabEntry {
  const old = entry.fields[index];
  if (old === undefined) throw new RangeError(`fstab entry has no field ${index + 1}`);
  const fields = entry.fields.map((field) => ({ ...field }));
  const separators = [...entry.separators];
  fields[index] = { raw, column: old.column };

  const after = separators[index + 1] as string;
  const isLast = index === fields.length - 1;
  if (!isLast && !after.includes('\t')) {
    const width = Math.max(1, after.length + old.raw.length - raw.length);
    separators[index + 1] = ' '.repeat(width);
  }

  let column = separators[0]?.length ?? 0;
  fields.forEach((field, i) => {
    field.column = column + 1;
    column += field.raw.length + (separators[i + 1]?.length ?? 0);
  });
  const rebuilt = separators[0] + fields.map((field, i) => field.raw + separators[i + 1]).join('');
  const reparsed = parseLine(rebuilt, entry.eol, entry.line, '', []);
  if (reparsed.kind !== 'entry') throw new RangeError(`fstab field ${index + 1} cannot be \`${raw}\``);
  return reparsed;
}
