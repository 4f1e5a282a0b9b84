import type { Lang } from '../core/text.js';
import type { BaselineChange } from './baseline.js';
import { escapePath } from './paths.js';
import type { ScanEntry, ScanLists, ScanResult } from './types.js';
import { LIST_NAMES } from './types.js';

/** Lines shown per list in the terminal report; the JSON output and the log files have them all. */
export const TERMINAL_LIST_LIMIT = 20;

const TITLES: Record<keyof ScanLists, { en: string; ja: string }> = {
  suid: { en: 'SUID files', ja: 'SUID ファイル' },
  sgid: { en: 'SGID files', ja: 'SGID ファイル' },
  worldWritable: { en: 'World-writable files', ja: '誰でも書き込めるファイル' },
  worldWritableDirs: { en: 'World-writable directories without the sticky bit', ja: 'スティッキービットのない誰でも書き込めるディレクトリ' },
  orphans: { en: 'Files without a known owner or group', ja: '所有者またはグループが不明なファイル' },
};

/** Permission string as `ls -l` prints it, e.g. `-rwsr-xr-x`. */
export function symbolicMode(mode: number): string {
  const types: Record<number, string> = { 0o140000: 's', 0o120000: 'l', 0o100000: '-', 0o060000: 'b', 0o040000: 'd', 0o020000: 'c', 0o010000: 'p' };
  const type = types[mode & 0o170000] ?? '?';
  const triplet = (shift: number, special: number, execChar: string): string => {
    const read = (mode >> shift) & 4 ? 'r' : '-';
    const write = (mode >> shift) & 2 ? 'w' : '-';
    const exec = ((mode >> shift) & 1) !== 0;
    let execute = exec ? 'x' : '-';
    // ls shows a set-id or sticky bit in the execute column, upper case when execute is off.
    if ((mode & special) !== 0) execute = exec ? execChar : execChar.toUpperCase();
    return read + write + execute;
  };
  return type + triplet(6, 0o4000, 's') + triplet(3, 0o2000, 's') + triplet(0, 0o1000, 't');
}

/** Escaped display form of an entry's path, safe on one terminal line. */
export function displayPath(entry: { path: string; pathBase64?: string }): string {
  return escapePath(entry.pathBase64 === undefined ? entry.path : Buffer.from(entry.pathBase64, 'base64'));
}

/** Format one entry like `ls -l` without link count and time: mode, owner, group, size, path. */
export function entryLine(entry: ScanEntry): string {
  const owner = entry.user ?? String(entry.uid);
  const group = entry.group ?? String(entry.gid);
  return `${symbolicMode(entry.mode)} ${owner} ${group} ${entry.size} ${displayPath(entry)}`;
}

function setIdNotes(entry: ScanEntry, lang: Lang): string {
  const notes: string[] = [];
  if (entry.shellEscape === true) notes.push(lang === 'ja' ? 'シェル取得可能' : 'gives a shell');
  if (entry.expected === false) notes.push(lang === 'ja' ? '許可リスト外' : 'not on the allow-list');
  return notes.length === 0 ? '' : `  [${notes.join(', ')}]`;
}

/** Count the findings that make `scan` exit 1: unexpected set-id files and every entry of the other lists. */
export function countFindings(result: ScanResult): number {
  const unexpectedSetId = new Set([...result.suid, ...result.sgid].filter((entry) => entry.expected === false || entry.shellEscape === true).map((entry) => entry.pathBase64 ?? entry.path));
  return unexpectedSetId.size + result.worldWritable.length + result.worldWritableDirs.length + result.orphans.length;
}

export function renderScan(result: ScanResult, lang: Lang, changes?: BaselineChange[]): string {
  const ja = lang === 'ja';
  const lines: string[] = [];
  const seconds = (result.durationMs / 1000).toFixed(1);
  lines.push(ja ? `スキャン: ${result.root} (${result.entries} 件、${seconds} 秒)` : `Scan of ${result.root}: ${result.entries} entries in ${seconds} s`);
  if (!result.orphanCheck) {
    lines.push(ja ? '注意: 対象に /etc/passwd または /etc/group がないため、所有者不明のファイルは調べていません' : 'Note: the target has no /etc/passwd or /etc/group, so files without a known owner were not looked for');
  }
  for (const list of LIST_NAMES) {
    const entries = result[list];
    lines.push('', `${TITLES[list][lang]}: ${entries.length}`);
    for (const entry of entries.slice(0, TERMINAL_LIST_LIMIT)) {
      lines.push(`  ${entryLine(entry)}${list === 'suid' || list === 'sgid' ? setIdNotes(entry, lang) : ''}`);
    }
    if (entries.length > TERMINAL_LIST_LIMIT) {
      const more = entries.length - TERMINAL_LIST_LIMIT;
      lines.push(ja ? `  … ほか ${more} 件(すべては --format json か --write-logs で)` : `  … and ${more} more (all of them with --format json or --write-logs)`);
    }
  }
  for (const storage of result.containerStorage) {
    const c = storage.counts;
    lines.push('', ja
      ? `コンテナのストレージ ${storage.path}: ${c.entries} 件(SUID ${c.suid}、SGID ${c.sgid}、誰でも書き込めるファイル ${c.worldWritable}、ディレクトリ ${c.worldWritableDir}、所有者不明 ${c.orphan})。一覧には含めていません`
      : `Container storage ${storage.path}: ${c.entries} entries (SUID ${c.suid}, SGID ${c.sgid}, world-writable files ${c.worldWritable}, directories ${c.worldWritableDir}, orphans ${c.orphan}), not listed above`);
  }
  if (result.skipped.length > 0) {
    lines.push('', ja ? `入らなかったディレクトリ: ${result.skipped.length}` : `Directories not entered: ${result.skipped.length}`);
    for (const dir of result.skipped.slice(0, TERMINAL_LIST_LIMIT)) lines.push(`  ${displayPath(dir)} (${dir.reason}${dir.fsType === undefined ? '' : `, ${dir.fsType}`})`);
  }
  if (result.errors.length > 0) {
    lines.push('', ja ? `読めなかったもの: ${result.errors.length}` : `Could not be read: ${result.errors.length}`);
    for (const error of result.errors.slice(0, TERMINAL_LIST_LIMIT)) lines.push(`  ${displayPath(error)}: ${error.code}`);
  }
  if (changes !== undefined) {
    lines.push('', ja ? `ベースラインとの差: ${changes.length}` : `Changes since the baseline: ${changes.length}`);
    for (const change of changes) lines.push(`  ${change.severity.toUpperCase().padEnd(6)} ${change.kind.padEnd(7)} ${change.list}: ${displayPath(change)}: ${change.detail[lang]}`);
  }
  return lines.join('\n') + '\n';
}

/** Build the guide's log files (target paths) with one `entryLine` per entry, plus the sha256 for set-id files. */
export function logFiles(result: ScanResult): { path: string; content: string }[] {
  const setIdLine = (entry: ScanEntry): string => `${entryLine(entry)} sha256=${entry.sha256 ?? 'unreadable'}`;
  const lines = (entries: ScanEntry[], format: (entry: ScanEntry) => string): string => entries.map((entry) => format(entry) + '\n').join('');
  return [
    { path: '/var/log/suid-files.log', content: lines(result.suid, setIdLine) },
    { path: '/var/log/sgid-files.log', content: lines(result.sgid, setIdLine) },
    { path: '/var/log/world-writable-files.log', content: lines([...result.worldWritable, ...result.worldWritableDirs], entryLine) },
    { path: '/var/log/orphan-files.log', content: lines(result.orphans, entryLine) },
  ];
}
