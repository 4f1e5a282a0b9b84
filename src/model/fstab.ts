import type { Text } from '../core/text.js';
import { text } from '../core/text.js';
import { TargetError } from '../target/rootfs.js';
import type { RootFs } from '../target/rootfs.js';
import type { FstabDocument, FstabEntry } from '../parse/fstab.js';
import { parseFstab, parseMountsTable } from '../parse/fstab.js';

export { hasOptions } from '../parse/fstab.js';

export const FSTAB_PATH = '/etc/fstab';

export interface FstabProblem {
  path: string;
  line?: number;
  code: string;
  severity: 'error' | 'warning';
  message: Text;
  value?: string;
  /** Mount point of the line when it could be read, so that only controls for it are affected. */
  mountPointHint?: string;
}

export interface FstabModel {
  /** Undefined when /etc/fstab does not exist or could not be read. */
  document: FstabDocument | undefined;
  entries: FstabEntry[];
  problems: FstabProblem[];
  /** Entries whose mount point is `mountPoint`, in file order; `/tmp/` and `/tmp` are the same. */
  entriesFor(mountPoint: string): FstabEntry[];
}

/** Remove repeated and trailing slashes so that mount points compare equal; `/` stays `/`. */
export function normalizeMountPoint(mountPoint: string): string {
  const collapsed = mountPoint.replace(/\/+/g, '/');
  return collapsed.length > 1 ? collapsed.replace(/\/$/, '') : collapsed;
}

export function loadFstab(fs: RootFs): FstabModel {
  const problems: FstabProblem[] = [];
  let document: FstabDocument | undefined;

  try {
    const file = fs.readTextIfExists(FSTAB_PATH);
    if (file !== undefined) document = parseFstab(file.text, FSTAB_PATH);
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    problems.push({
      path: FSTAB_PATH,
      code: `fstab.file-${error.code}`,
      severity: 'error',
      message: text(`failed to read ${FSTAB_PATH}: ${error.detail.en}`, `${FSTAB_PATH} の読み込みに失敗しました: ${error.detail.ja}`),
    });
  }

  if (document !== undefined) collectLineProblems(document, problems);
  const entries = document === undefined ? [] : entriesOf(document);
  return {
    document,
    entries,
    problems,
    entriesFor: (mountPoint) => entriesAt(entries, mountPoint),
  };
}

function entriesOf(document: FstabDocument): FstabEntry[] {
  return document.lines.filter((line): line is FstabEntry => line.kind === 'entry');
}

function entriesAt(entries: FstabEntry[], mountPoint: string): FstabEntry[] {
  const wanted = normalizeMountPoint(mountPoint);
  return entries.filter((entry) => normalizeMountPoint(entry.file) === wanted);
}

function collectLineProblems(document: FstabDocument, problems: FstabProblem[]): void {
  for (const diagnostic of document.diagnostics) {
    const problem: FstabProblem = {
      path: diagnostic.path,
      code: diagnostic.code,
      severity: diagnostic.severity,
      message: diagnostic.message,
    };
    if (diagnostic.line !== undefined) problem.line = diagnostic.line;
    if (diagnostic.value !== undefined) problem.value = diagnostic.value;
    const hint = mountPointHint(document, diagnostic.line);
    if (hint !== undefined) problem.mountPointHint = hint;
    problems.push(problem);
  }
}

/** Return the second field of a line that failed to parse, which is usually its mount point. */
function mountPointHint(document: FstabDocument, lineNumber: number | undefined): string | undefined {
  const line = document.lines.find((candidate) => candidate.line === lineNumber);
  if (line === undefined) return undefined;
  if (line.kind === 'entry') return normalizeMountPoint(line.file);
  const second = line.raw.trim().split(/[ \t]+/)[1];
  return second === undefined ? undefined : normalizeMountPoint(second);
}

export interface LiveMounts {
  document: FstabDocument;
  entries: FstabEntry[];
  /** The mount visible at `mountPoint`: the last one mounted there, which hides the earlier ones. */
  visibleMount(mountPoint: string): FstabEntry | undefined;
  /** Every mount at `mountPoint`, oldest first. */
  mountsAt(mountPoint: string): FstabEntry[];
}

/**
 * Model the mount table in /proc/mounts or /proc/self/mounts. The kernel lists mounts in the
 * order they were made, so the last entry for a mount point is the one stacked on top.
 */
export function liveMounts(source: string, path = '/proc/self/mounts'): LiveMounts {
  const document = parseMountsTable(source, path);
  const entries = entriesOf(document);
  return {
    document,
    entries,
    visibleMount: (mountPoint) => entriesAt(entries, mountPoint).at(-1),
    mountsAt: (mountPoint) => entriesAt(entries, mountPoint),
  };
}
