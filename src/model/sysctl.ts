import * as path from 'node:path';
import type { Text } from '../core/text.js';
import { text } from '../core/text.js';
import { compareBytes, distinctDirectories, normalizeTargetPath, TargetError } from '../target/rootfs.js';
import type { RootFs } from '../target/rootfs.js';
import type { SysctlDocument, SysctlExclusion, SysctlSetting } from '../parse/sysctl.js';
import { isSysctlGlob, normalizeSysctlKey, parseSysctl, sysctlKeyMatches } from '../parse/sysctl.js';

/**
 * Effective sysctl settings of a target as its boot-time loader would apply them.
 *
 * Load orders, checked against the sources:
 * - 'openrc-busybox' (Kimigayo OS, scripts/build-rootfs.sh of Kazuki-0731/Kimigayo): the
 *   OpenRC `sysctl` service is patched to collect every readable `*.conf` from /run/sysctl.d,
 *   /etc/sysctl.d, /usr/local/lib/sysctl.d, /usr/lib/sysctl.d and /lib/sysctl.d, in that
 *   order and in shell glob order within each directory. /etc/sysctl.conf comes last, and all
 *   of them go to one `sysctl -e -p FILE...`. No file is skipped because of its name, so a
 *   same-named file in a later directory is read too. BusyBox 1.35 `sysctl -p` splits each
 *   line at the first `=`. It has no glob support and writes `-key` as the literal key, so
 *   neither kind of line takes effect, and it rejects a line with an empty value.
 * - 'procps' (procps-ng src/sysctl.c, PreloadSystem, 4.0.x): `*.conf` from /etc/sysctl.d,
 *   /run/sysctl.d, /usr/local/lib/sysctl.d, /usr/lib/sysctl.d and /lib/sysctl.d; a name seen
 *   in an earlier directory hides the same name later; the files are sorted by name (strcmp)
 *   and /etc/sysctl.conf, when it is a regular file, is read last.
 * - 'systemd' (systemd src/sysctl/sysctl.c with conf_files_list on CONF_PATHS("sysctl.d")):
 *   the same rule over /etc, /run, /usr/local/lib and /usr/lib `sysctl.d`; /etc/sysctl.conf is
 *   read only through a link in sysctl.d, such as Debian's /etc/sysctl.d/99-sysctl.conf.
 * In procps-ng and systemd every setting line is written in load order, so the last one read
 * wins; a glob line never overrides a key that has its own explicit line or a `-key`
 * exclusion. A file that is a symbolic link to /dev/null masks the same name in later
 * directories and contributes nothing.
 */

export type SysctlLoader = 'openrc-busybox' | 'procps' | 'systemd';

const SYSCTL_DIRS: Record<SysctlLoader, readonly string[]> = {
  'openrc-busybox': ['/run/sysctl.d', '/etc/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'],
  procps: ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'],
  // NOTE: systemd reads /lib/sysctl.d only when built with split-usr (dropped in v255). On a
  // merged-/usr system /lib is /usr/lib, so listing it changes nothing there.
  systemd: ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'],
};

const SYSCTL_CONF = '/etc/sysctl.conf';

export type SysctlFileStatus = 'read' | 'shadowed' | 'masked' | 'dangling' | 'unreadable';

export interface SysctlFile {
  /** Path inside the target as the loader names it. */
  path: string;
  /** 0-based position in the load order; undefined for files the loader does not read. */
  loadIndex: number | undefined;
  status: SysctlFileStatus;
  /** For 'shadowed': the same-named file that is read instead. */
  shadowedBy?: string;
  /** Target of the symbolic link when `path` is one, e.g. `../sysctl.conf`. */
  linkTarget?: string;
}

export interface SysctlEvidence {
  path: string;
  line: number;
  value: string;
  /** False when the loader does not write this line: its file is shadowed, or the line is a kind the loader ignores. */
  applied: boolean;
}

export interface SysctlEffective {
  key: string;
  /** Value of the line that wins: the last one written. */
  value: string;
  path: string;
  line: number;
  /** Every other line that sets the key, glob lines that match it included, in load order. */
  others: SysctlEvidence[];
}

export interface SysctlProblem {
  path: string;
  line?: number;
  code: string;
  severity: 'error' | 'warning';
  message: Text;
  value?: string;
  /**
   * Dotted key that a malformed line seems to set, so that only controls for that key are
   * affected. Absent on file-level problems, which affect every key.
   */
  keyHint?: string;
}

export interface SysctlModel {
  loader: SysctlLoader;
  files: SysctlFile[];
  documents: SysctlDocument[];
  problems: SysctlProblem[];
  /** The effective setting of a key, or undefined when no line that the loader writes sets it. */
  get(key: string): SysctlEffective | undefined;
  /** Every line that mentions the key (applied or not), in load order. */
  lines(key: string): SysctlEvidence[];
  /** File-level problems and the line problems whose keyHint matches the key. */
  problemsFor(key: string): SysctlProblem[];
}

/** Decide which program applies sysctl files at boot on the target. */
export function detectSysctlLoader(fs: RootFs): { loader: SysctlLoader; reason: Text } {
  const openrc = fs.isDirectory('/etc/runlevels') || pathExists(fs, '/sbin/openrc-run') || pathExists(fs, '/sbin/openrc');
  if (!openrc && isSystemdInit(fs)) {
    return {
      loader: 'systemd',
      reason: text(
        'systemd is the init system, so systemd-sysctl applies /etc/sysctl.d and the other sysctl.d directories',
        'init が systemd のため、systemd-sysctl が /etc/sysctl.d などの sysctl.d ディレクトリを適用します',
      ),
    };
  }

  const busybox = busyboxSysctl(fs);
  if (openrc && busybox !== undefined) {
    return {
      loader: 'openrc-busybox',
      reason: text(
        `OpenRC runs the sysctl service and sysctl is BusyBox (${busybox}), so every *.conf is passed to \`sysctl -p\` and the last value wins`,
        `OpenRC の sysctl サービスが BusyBox の sysctl(${busybox})を使うため、すべての *.conf が \`sysctl -p\` に渡され、最後の値が有効になります`,
      ),
    };
  }

  return {
    loader: 'procps',
    reason: openrc
      ? text(
          'OpenRC runs the sysctl service with procps-ng `sysctl --system`',
          'OpenRC の sysctl サービスが procps-ng の `sysctl --system` を実行します',
        )
      : text(
          'no systemd or BusyBox sysctl found: assuming procps-ng `sysctl --system`',
          'systemd も BusyBox の sysctl も見つからないため、procps-ng の `sysctl --system` とみなします',
        ),
  };
}

function isSystemdInit(fs: RootFs): boolean {
  const init = safeReadlink(fs, '/sbin/init');
  if (init !== undefined && /(^|\/)systemd$/.test(init)) return true;
  const hasSystemdSysctl = ['/lib/systemd/systemd-sysctl', '/usr/lib/systemd/systemd-sysctl'].some((p) => pathExists(fs, p));
  return hasSystemdSysctl && !fs.isDirectory('/etc/runlevels');
}

/** Find a BusyBox sysctl and return its path, or undefined when sysctl is another program. */
function busyboxSysctl(fs: RootFs): string | undefined {
  const candidates = ['/sbin/sysctl', '/bin/sysctl', '/usr/sbin/sysctl', '/usr/bin/sysctl'];
  const present = candidates.filter((p) => pathExists(fs, p));
  for (const candidate of present) {
    const target = safeReadlink(fs, candidate);
    if (target !== undefined && path.posix.basename(target) === 'busybox') return candidate;
  }
  if (present.length === 0 && pathExists(fs, '/bin/busybox')) return '/bin/busybox';
  return undefined;
}

/**
 * Check that the path exists without following a final symbolic link. RootFs.exists returns
 * true when a parent directory is missing (its lookup throws not-found), so this one is used.
 */
export function pathExists(fs: RootFs, targetPath: string): boolean {
  try {
    return fs.lstat(targetPath) !== undefined;
  } catch (error) {
    return !(error instanceof TargetError && error.code === 'not-found');
  }
}

function safeReadlink(fs: RootFs, targetPath: string): string | undefined {
  try {
    return fs.readlink(targetPath);
  } catch {
    return undefined;
  }
}

interface LoadedFile {
  file: SysctlFile;
  document?: SysctlDocument;
}

export function loadSysctl(fs: RootFs, loader: SysctlLoader): SysctlModel {
  const problems: SysctlProblem[] = [];
  const candidates = listCandidates(fs, loader);
  const loaded = candidates.map((candidate) => readCandidate(fs, candidate, problems));

  let loadIndex = 0;
  for (const entry of loaded) {
    if (entry.file.status === 'read') entry.file.loadIndex = loadIndex++;
  }
  const ordered = [...loaded].sort((a, b) => orderOf(a) - orderOf(b));

  for (const entry of ordered) {
    if (entry.document !== undefined) collectLineProblems(entry.document, problems);
  }

  const records = buildRecords(ordered, loader);
  return {
    loader,
    files: ordered.map((entry) => entry.file),
    documents: ordered.flatMap((entry) => (entry.document === undefined ? [] : [entry.document])),
    problems,
    get: (key) => effectiveValue(records, key, loader),
    lines: (key) => matchingRecords(records, key).map(toEvidence),
    problemsFor: (key) => problems.filter((problem) => problem.keyHint === undefined || sysctlKeyMatches(problem.keyHint, key)),
  };
}

/** Read files first in load order, then the files the loader skips, in scan order. */
function orderOf(entry: LoadedFile): number {
  return entry.file.loadIndex ?? Number.MAX_SAFE_INTEGER;
}

interface Candidate {
  path: string;
  status: 'read' | 'shadowed';
  shadowedBy?: string;
}

function listCandidates(fs: RootFs, loader: SysctlLoader): Candidate[] {
  if (loader === 'openrc-busybox') {
    const files = distinctDirectories(fs, SYSCTL_DIRS[loader]).flatMap((dir) => confFilesIn(fs, dir));
    if (pathExists(fs, SYSCTL_CONF)) files.push(SYSCTL_CONF);
    return files.map((p) => ({ path: p, status: 'read' }));
  }

  const byName = new Map<string, string>();
  const shadowed: Candidate[] = [];
  for (const dir of distinctDirectories(fs, SYSCTL_DIRS[loader])) {
    for (const file of confFilesIn(fs, dir)) {
      const name = path.posix.basename(file);
      const winner = byName.get(name);
      if (winner === undefined) byName.set(name, file);
      else shadowed.push({ path: file, status: 'shadowed', shadowedBy: winner });
    }
  }
  const names = [...byName.keys()].sort(compareBytes);
  const read: Candidate[] = names.map((name) => ({ path: byName.get(name) as string, status: 'read' }));
  if (loader === 'procps' && isRegularFile(fs, SYSCTL_CONF)) read.push({ path: SYSCTL_CONF, status: 'read' });
  return [...read, ...shadowed];
}

function confFilesIn(fs: RootFs, dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdir(dir);
  } catch {
    return [];
  }
  return names.filter((name) => name.endsWith('.conf') && !name.startsWith('.')).map((name) => `${dir}/${name}`);
}

function isRegularFile(fs: RootFs, targetPath: string): boolean {
  try {
    return fs.stat(targetPath)?.isFile() ?? false;
  } catch {
    return false;
  }
}

function readCandidate(fs: RootFs, candidate: Candidate, problems: SysctlProblem[]): LoadedFile {
  const file: SysctlFile = { path: candidate.path, loadIndex: undefined, status: candidate.status };
  if (candidate.shadowedBy !== undefined) file.shadowedBy = candidate.shadowedBy;
  const linkTarget = safeReadlink(fs, candidate.path);
  if (linkTarget !== undefined) file.linkTarget = linkTarget;

  if (pointsToDevNull(fs, candidate.path)) {
    if (file.status === 'read') file.status = 'masked';
    return { file };
  }

  try {
    const content = fs.readText(candidate.path);
    return { file, document: parseSysctl(content.text, candidate.path) };
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    if (error.code === 'not-found') {
      if (file.status === 'read') file.status = 'dangling';
      return { file };
    }
    if (file.status === 'read') file.status = 'unreadable';
    problems.push({
      path: candidate.path,
      code: `sysctl.file-${error.code}`,
      severity: 'error',
      message: text(`failed to read ${candidate.path}: ${error.detail.en}`, `${candidate.path} の読み込みに失敗しました: ${error.detail.ja}`),
    });
    return { file };
  }
}

/** Follow a chain of symbolic links by their stored targets; the tree itself often has no /dev. */
export function pointsToDevNull(fs: RootFs, targetPath: string): boolean {
  let current = targetPath;
  for (let hops = 0; hops < 40; hops++) {
    const link = safeReadlink(fs, current);
    if (link === undefined) return false;
    current = normalizeTargetPath(link.startsWith('/') ? link : `${path.posix.dirname(current)}/${link}`);
    if (current === '/dev/null') return true;
  }
  return false;
}

function collectLineProblems(document: SysctlDocument, problems: SysctlProblem[]): void {
  for (const diagnostic of document.diagnostics) {
    if (diagnostic.code === 'sysctl.empty-value') continue;
    const problem: SysctlProblem = {
      path: diagnostic.path,
      code: diagnostic.code,
      severity: diagnostic.severity,
      message: diagnostic.message,
    };
    if (diagnostic.line !== undefined) problem.line = diagnostic.line;
    if (diagnostic.value !== undefined) problem.value = diagnostic.value;
    const hint = keyHintOf(document, diagnostic.line);
    if (hint !== undefined) problem.keyHint = hint;
    problems.push(problem);
  }
}

/** Return the key a line seems to set: its key when it parsed, else its first word without a leading `-`. */
function keyHintOf(document: SysctlDocument, lineNumber: number | undefined): string | undefined {
  const line = document.lines.find((candidate) => candidate.line === lineNumber);
  if (line === undefined) return undefined;
  if (line.kind === 'setting' || line.kind === 'exclusion') return line.key;
  const word = /^\s*-?([^\s=]+)/.exec(line.raw)?.[1];
  return word === undefined ? undefined : normalizeSysctlKey(word);
}

interface SettingRecord {
  path: string;
  setting: SysctlSetting | SysctlExclusion;
  fileApplied: boolean;
  applied: boolean;
}

function buildRecords(ordered: LoadedFile[], loader: SysctlLoader): SettingRecord[] {
  const records: SettingRecord[] = [];
  for (const entry of ordered) {
    if (entry.document === undefined) continue;
    const fileApplied = entry.file.status === 'read';
    for (const line of entry.document.lines) {
      if (line.kind !== 'setting' && line.kind !== 'exclusion') continue;
      records.push({ path: entry.file.path, setting: line, fileApplied, applied: fileApplied && lineApplies(line, loader) });
    }
  }
  return records;
}

function lineApplies(line: SysctlSetting | SysctlExclusion, loader: SysctlLoader): boolean {
  if (line.kind === 'exclusion') return loader !== 'openrc-busybox';
  if (line.value === '') return false;
  if (loader === 'openrc-busybox') return !line.ignoreErrors && !isSysctlGlob(line.key);
  return true;
}

function matchingRecords(records: SettingRecord[], key: string): SettingRecord[] {
  const normalized = normalizeSysctlKey(key);
  return records.filter((record) => record.setting.kind === 'setting' && sysctlKeyMatches(record.setting.key, normalized));
}

function toEvidence(record: SettingRecord): SysctlEvidence {
  const value = record.setting.kind === 'setting' ? record.setting.value : '';
  return { path: record.path, line: record.setting.line, value, applied: record.applied };
}

function effectiveValue(records: SettingRecord[], key: string, loader: SysctlLoader): SysctlEffective | undefined {
  const normalized = normalizeSysctlKey(key);
  const matching = matchingRecords(records, normalized);
  const explicit = matching.filter((record) => !isSysctlGlob(record.setting.key));
  const winner = lastApplied(explicit) ?? (globBlocked(records, normalized, loader) ? undefined : lastApplied(matching));
  if (winner === undefined || winner.setting.kind !== 'setting') return undefined;

  return {
    key: normalized,
    value: winner.setting.value,
    path: winner.path,
    line: winner.setting.line,
    others: matching.filter((record) => record !== winner).map(toEvidence),
  };
}

function lastApplied(records: SettingRecord[]): SettingRecord | undefined {
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i] as SettingRecord;
    if (record.applied) return record;
  }
  return undefined;
}

/**
 * procps-ng (settinglist_findpath) and systemd (apply_glob_option) skip a glob match when the
 * key has an explicit line of its own, even one with an empty value, or a `-key` exclusion.
 * procps-ng also accepts a glob in an exclusion; systemd compares exclusions literally.
 */
function globBlocked(records: SettingRecord[], key: string, loader: SysctlLoader): boolean {
  return records.some((record) => {
    if (!record.fileApplied) return false;
    const own = record.setting;
    if (own.kind === 'setting') return !isSysctlGlob(own.key) && own.key === key;
    if (loader === 'systemd') return own.key === key;
    return sysctlKeyMatches(own.key, key);
  });
}
