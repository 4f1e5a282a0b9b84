import type { Diagnostic } from '../core/diagnostic.js';
import { text } from '../core/text.js';
import { splitLines } from './shellvars.js';

/**
 * Lossless parser for colon-separated account files: /etc/passwd (7 fields), /etc/group (4),
 * /etc/shadow (9) and /etc/gshadow (4).
 */
export interface ColonRecord {
  kind: 'record';
  line: number;
  fields: string[];
  raw: string;
  eol: string;
}

export interface ColonOther {
  kind: 'blank' | 'comment';
  line: number;
  raw: string;
  eol: string;
}

export interface ColonDocument {
  path: string;
  lines: (ColonRecord | ColonOther)[];
  diagnostics: Diagnostic[];
}

export function parseColonFile(source: string, path: string, fieldCount: number): ColonDocument {
  const lines: (ColonRecord | ColonOther)[] = [];
  const diagnostics: Diagnostic[] = [];
  splitLines(source).forEach(({ raw, eol }, index) => {
    const line = index + 1;
    if (raw.trim() === '') {
      lines.push({ kind: 'blank', line, raw, eol });
      return;
    }
    if (raw.startsWith('#')) {
      lines.push({ kind: 'comment', line, raw, eol });
      return;
    }
    const fields = raw.split(':');
    if (fields.length !== fieldCount) {
      diagnostics.push({
        path,
        line,
        column: 1,
        code: 'accounts.field-count',
        severity: 'error',
        value: raw,
        message: text(
          `expected ${fieldCount} colon-separated fields, found ${fields.length}`,
          `コロン区切りのフィールドが ${fieldCount} 個必要ですが、${fields.length} 個あります`,
        ),
      });
    }
    lines.push({ kind: 'record', line, fields, raw, eol });
  });
  return { path, lines, diagnostics };
}

export function serializeColonFile(doc: ColonDocument): string {
  return doc.lines.map((line) => line.raw + line.eol).join('');
}

export function records(doc: ColonDocument): ColonRecord[] {
  return doc.lines.filter((line): line is ColonRecord => line.kind === 'record');
}
