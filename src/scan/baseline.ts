import * as fs from 'node:fs';
import type { Text } from '../core/text.js';
import { text } from '../core/text.js';
import { UsageError } from '../target/target.js';
import type { ScanEntry, ScanLists, ScanResult } from './types.js';
import { LIST_NAMES, SCAN_FORMAT_VERSION } from './types.js';

export type Severity = 'high' | 'medium' | 'low';

/** One difference between a saved scan and the current one. */
export interface BaselineChange {
  list: keyof ScanLists;
  kind: 'new' | 'gone' | 'changed';
  path: string;
  pathBase64?: string;
  severity: Severity;
  detail: Text;
}

const SET_ID_LISTS = new Set<keyof ScanLists>(['suid', 'sgid']);

function key(entry: ScanEntry): string {
  return entry.pathBase64 === undefined ? `s:${entry.path}` : `b:${entry.pathBase64}`;
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Read a file written by --save-baseline; anything else is a usage error that names the file. */
export function loadBaseline(file: string): ScanResult {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(text(`${file}: cannot read the baseline (${reason}); make one with scan --save-baseline`, `${file}: ベースラインを読めません(${reason})。scan --save-baseline で作成してください`));
  }
  const data = raw as Partial<ScanResult> | null;
  if (data === null || typeof data !== 'object' || data.formatVersion !== SCAN_FORMAT_VERSION) {
    throw new UsageError(text(`${file}: not a scan baseline of format version ${SCAN_FORMAT_VERSION}; make one with scan --save-baseline`, `${file}: 形式バージョン ${SCAN_FORMAT_VERSION} のスキャンのベースラインではありません。scan --save-baseline で作成してください`));
  }
  for (const list of LIST_NAMES) {
    const entries = data[list];
    if (!Array.isArray(entries) || !entries.every((entry) => typeof entry?.path === 'string' && typeof entry?.mode === 'number')) {
      throw new UsageError(text(`${file}: the list "${list}" is missing or invalid; make the baseline again with scan --save-baseline`, `${file}: 一覧 "${list}" がないか正しくありません。scan --save-baseline で作り直してください`));
    }
  }
  return data as ScanResult;
}

function changeOf(list: keyof ScanLists, before: ScanEntry, after: ScanEntry): BaselineChange | undefined {
  const where = after.pathBase64 === undefined ? { path: after.path } : { path: after.path, pathBase64: after.pathBase64 };
  if (SET_ID_LISTS.has(list) && before.sha256 !== undefined && after.sha256 !== undefined && before.sha256 !== after.sha256) {
    return {
      list,
      kind: 'changed',
      ...where,
      severity: 'high',
      detail: text(`content changed (sha256 ${before.sha256.slice(0, 12)}… -> ${after.sha256.slice(0, 12)}…)`, `内容が変わりました(sha256 ${before.sha256.slice(0, 12)}… -> ${after.sha256.slice(0, 12)}…)`),
    };
  }
  const parts: string[] = [];
  if (before.mode !== after.mode) parts.push(`mode ${octal(before.mode)} -> ${octal(after.mode)}`);
  if (before.uid !== after.uid || before.gid !== after.gid) parts.push(`owner ${before.uid}:${before.gid} -> ${after.uid}:${after.gid}`);
  if (parts.length === 0) return undefined;
  const summary = parts.join(', ');
  return { list, kind: 'changed', ...where, severity: SET_ID_LISTS.has(list) ? 'medium' : 'low', detail: text(summary, summary.replace('mode', 'モード').replace('owner', '所有者')) };
}

/**
 * List what is new, gone or changed in each list since the baseline. A new set-id file and a
 * set-id file whose content changed are high severity: either can be a planted backdoor.
 */
export function compareWithBaseline(baseline: ScanResult, current: ScanResult): BaselineChange[] {
  const changes: BaselineChange[] = [];
  for (const list of LIST_NAMES) {
    const before = new Map(baseline[list].map((entry) => [key(entry), entry]));
    const after = new Map(current[list].map((entry) => [key(entry), entry]));
    for (const [entryKey, entry] of after) {
      const where = entry.pathBase64 === undefined ? { path: entry.path } : { path: entry.path, pathBase64: entry.pathBase64 };
      const old = before.get(entryKey);
      if (old === undefined) {
        changes.push({ list, kind: 'new', ...where, severity: SET_ID_LISTS.has(list) ? 'high' : 'medium', detail: text(`new, mode ${octal(entry.mode)}`, `新規、モード ${octal(entry.mode)}`) });
        continue;
      }
      const change = changeOf(list, old, entry);
      if (change !== undefined) changes.push(change);
    }
    for (const [entryKey, entry] of before) {
      if (after.has(entryKey)) continue;
      const where = entry.pathBase64 === undefined ? { path: entry.path } : { path: entry.path, pathBase64: entry.pathBase64 };
      changes.push({ list, kind: 'gone', ...where, severity: 'low', detail: text('no longer in this list', 'この一覧からなくなりました') });
    }
  }
  return changes;
}
