import type { Text } from './text.js';

/** A position in a file of the target; `line` and `column` count from 1. */
export interface Position {
  path: string;
  line?: number;
  column?: number;
}

/**
 * A problem found while reading input. Parsers collect these instead of throwing, so one bad
 * line never stops the rest of the file from being read.
 */
export interface Diagnostic extends Position {
  /** Stable machine-readable code, e.g. `sysctl.missing-equals`. Tests assert on it. */
  code: string;
  severity: 'error' | 'warning';
  message: Text;
  /** The offending text as it appears in the file. */
  value?: string;
}

export function formatPosition(position: Position): string {
  let out = position.path;
  if (position.line !== undefined) out += `:${position.line}`;
  if (position.line !== undefined && position.column !== undefined) out += `:${position.column}`;
  return out;
}

/** Compute 1-based line and column of `offset` in `source`. */
export function lineColumnAt(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
