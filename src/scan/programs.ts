import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { text } from '../core/text.js';
import { UsageError } from '../target/target.js';

/** The bundled list of expected set-id programs per OS family and of programs that give a shell. */
export const DEFAULT_SETID_PROGRAMS = fileURLToPath(new URL('../../../data/setid-programs.json', import.meta.url));

export interface SetIdPrograms {
  /** OS family (`debian`, `alpine`) -> paths inside the target that may be set-id. */
  expected: Record<string, string[]>;
  shellEscape: { names: string[]; patterns: RegExp[] };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** Load and check a set-id program list; a malformed file is a usage error naming the file and field. */
export function loadSetIdPrograms(file = DEFAULT_SETID_PROGRAMS): SetIdPrograms {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(text(`${file}: cannot read the set-id program list (${reason})`, `${file}: set-id プログラムの一覧を読めません(${reason})`));
  }
  const invalid = (field: string): UsageError =>
    new UsageError(text(`${file}: "${field}" is missing or invalid; see data/setid-programs.json for the layout`, `${file}: "${field}" がないか正しくありません。形式は data/setid-programs.json を参照してください`));
  if (typeof raw !== 'object' || raw === null) throw invalid('expected');
  const data = raw as { expected?: unknown; shellEscape?: { names?: unknown; patterns?: unknown } };
  if (typeof data.expected !== 'object' || data.expected === null) throw invalid('expected');
  const expected: Record<string, string[]> = {};
  for (const [family, paths] of Object.entries(data.expected)) {
    if (!isStringArray(paths)) throw invalid(`expected.${family}`);
    expected[family] = paths;
  }
  if (!isStringArray(data.shellEscape?.names)) throw invalid('shellEscape.names');
  if (!isStringArray(data.shellEscape?.patterns)) throw invalid('shellEscape.patterns');
  const patterns = data.shellEscape.patterns.map((pattern) => {
    try {
      return new RegExp(pattern);
    } catch {
      throw invalid(`shellEscape.patterns: ${pattern}`);
    }
  });
  return { expected, shellEscape: { names: data.shellEscape.names, patterns } };
}

/** Tell whether a program of this file name gives a shell or file access when it runs set-id. */
export function isShellEscape(name: string, programs: SetIdPrograms): boolean {
  return programs.shellEscape.names.includes(name) || programs.shellEscape.patterns.some((pattern) => pattern.test(name));
}
