import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { text } from '../core/text.js';
import { loadAccounts } from '../model/accounts.js';
import type { Accounts } from '../model/accounts.js';
import { RootFs } from '../target/rootfs.js';
import { readOsRelease, UsageError } from '../target/target.js';
import { walkInThread, walkInWorkers } from './pool.js';
import type { ProgressListener } from './pool.js';
import { escapePath, pathBytes } from './paths.js';
import { loadSetIdPrograms, isShellEscape } from './programs.js';
import type { SetIdPrograms } from './programs.js';
import type { ScanEntry, ScanLists, ScanResult } from './types.js';
import { LIST_NAMES, LIST_OF_CATEGORY, SCAN_FORMAT_VERSION } from './types.js';
import type { HostPath, RawEntry, WalkConfig, WalkPartial, WalkTask } from './walker.js';

export interface ScanOptions {
  /** Host path of the target's root; `/` for the live host. */
  root: string;
  /** Enter other local file systems (the walk still skips /proc, /sys, /dev and network file systems). */
  crossMounts?: boolean;
  /** Worker threads; 1 walks in the calling thread. Default: 2, or 1 on a single-core machine. */
  threads?: number;
  onProgress?: ProgressListener;
  programs?: SetIdPrograms;
}

/** Paths inside the target that are never entered. */
export const EXCLUDED_DIRS = ['/proc', '/sys', '/dev'];
/** Container image and volume storage: counted, not listed. */
export const CONTAINER_STORAGE_DIRS = ['/var/lib/docker', '/var/lib/containers'];

/** Read the mount table of this machine: mount point host path -> file system type. */
export function readMountTypes(): Record<string, string> {
  const types: Record<string, string> = {};
  let source: string;
  try {
    source = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return types;
  }
  for (const line of source.split('\n')) {
    const separator = line.indexOf(' - ');
    if (separator < 0) continue;
    const mountPoint = line.slice(0, separator).split(' ')[4];
    const fsType = line.slice(separator + 3).split(' ')[0];
    if (mountPoint === undefined || fsType === undefined) continue;
    // mountinfo writes space, tab, newline and backslash as octal escapes.
    types[mountPoint.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)))] = fsType;
  }
  return types;
}

function hostPathOf(root: string, targetPath: string): string {
  return root === '/' ? targetPath : root + targetPath;
}

/** Strip the root prefix from a host path; the result keeps the byte form of the input. */
function targetPathOf(root: string, hostPath: HostPath): HostPath {
  if (root === '/') return hostPath;
  if (typeof hostPath === 'string') return hostPath.slice(root.length) || '/';
  const rest = hostPath.subarray(Buffer.byteLength(root));
  return rest.length === 0 ? '/' : rest;
}

/** Build the JSON path fields of an entry: the exact string, or an escaped string plus the bytes. */
export function pathFields(targetPath: HostPath): { path: string; pathBase64?: string } {
  if (typeof targetPath === 'string') return { path: targetPath };
  return { path: escapePath(targetPath), pathBase64: targetPath.toString('base64') };
}

const HASH_BUFFER = Buffer.allocUnsafe(1 << 20);

/** Hash a file with sha256, opened without following a symbolic link that replaced it after the walk. */
function hashFile(hostPath: HostPath): { sha256?: string; hashError?: string } {
  let fd: number;
  try {
    fd = fs.openSync(hostPath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (error) {
    return { hashError: error instanceof Error && 'code' in error ? String(error.code) : String(error) };
  }
  try {
    if (!fs.fstatSync(fd).isFile()) return { hashError: 'not a regular file any more' };
    const hash = createHash('sha256');
    for (;;) {
      const read = fs.readSync(fd, HASH_BUFFER, 0, HASH_BUFFER.length, null);
      if (read === 0) break;
      hash.update(HASH_BUFFER.subarray(0, read));
    }
    return { sha256: hash.digest('hex') };
  } catch (error) {
    return { hashError: error instanceof Error && 'code' in error ? String(error.code) : String(error) };
  } finally {
    fs.closeSync(fd);
  }
}

/** Sort entries by the bytes of their paths, as `LC_ALL=C sort` would, turning each path into bytes once. */
function sortByPathBytes(entries: ScanEntry[]): ScanEntry[] {
  const keyed = entries.map((entry) => ({ entry, key: entry.pathBase64 === undefined ? Buffer.from(entry.path) : Buffer.from(entry.pathBase64, 'base64') }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed.map((item) => item.entry);
}

function defaultThreads(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(2, cores));
}

/** Everything a walk needs, worked out before it starts. */
interface PreparedScan {
  root: string;
  started: bigint;
  config: WalkConfig;
  start: WalkTask;
  accounts: Accounts;
  orphanCheck: boolean;
  osFamily: string;
  programs: SetIdPrograms;
}

function prepareScan(options: ScanOptions): PreparedScan {
  const started = process.hrtime.bigint();
  const root = path.resolve(options.root);
  let rootStats: fs.Stats;
  try {
    rootStats = fs.statSync(root);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') {
      throw new UsageError(text(`--root ${root}: no such directory; give the root directory of the target`, `--root ${root}: ディレクトリがありません。対象のルートディレクトリを指定してください`));
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(text(`--root ${root}: cannot open the root directory (${reason})`, `--root ${root}: ルートディレクトリを開けません(${reason})`));
  }
  if (!rootStats.isDirectory()) {
    throw new UsageError(text(`--root ${root}: not a directory; give the root directory of the target`, `--root ${root}: ディレクトリではありません。対象のルートディレクトリを指定してください`));
  }

  const rootFs = new RootFs(root);
  const accounts = loadAccounts(rootFs);
  const orphanCheck = accounts.hasPasswd && accounts.hasGroup;
  const crossMounts = options.crossMounts ?? false;
  const config: WalkConfig = {
    rootDev: rootStats.dev,
    crossMounts,
    excluded: EXCLUDED_DIRS.map((dir) => hostPathOf(root, dir)),
    buckets: CONTAINER_STORAGE_DIRS.map((dir) => hostPathOf(root, dir)),
    // Without the account files every entry would be an orphan, so the result reports that the check did not run.
    checkOwners: orphanCheck,
    knownUids: accounts.uids(),
    knownGids: accounts.gids(),
    mountTypes: crossMounts ? readMountTypes() : {},
  };
  return {
    root,
    started,
    config,
    start: { path: root, dev: rootStats.dev, bucket: -1 },
    accounts,
    orphanCheck,
    osFamily: readOsRelease(rootFs).family,
    programs: options.programs ?? loadSetIdPrograms(),
  };
}

function finishScan(prepared: PreparedScan, partial: WalkPartial): ScanResult {
  const { root, accounts, programs, osFamily } = prepared;
  const lists: ScanLists = { suid: [], sgid: [], worldWritable: [], worldWritableDirs: [], orphans: [] };
  for (const raw of partial.entries) {
    const entry = toEntry(root, raw, accounts);
    const setId = raw.categories.includes('suid') || raw.categories.includes('sgid');
    const detailed: ScanEntry = setId ? { ...entry, ...hashFile(raw.path), ...setIdFlags(entry, programs, osFamily) } : entry;
    for (const category of raw.categories) lists[LIST_OF_CATEGORY[category]].push(detailed);
  }
  for (const name of LIST_NAMES) lists[name] = sortByPathBytes(lists[name]);

  let entries = partial.main.entries;
  for (const counts of partial.buckets) entries += counts.entries;
  const containerStorage: ScanResult['containerStorage'] = [];
  CONTAINER_STORAGE_DIRS.forEach((dir, index) => {
    const counts = partial.buckets[index];
    if (counts !== undefined && counts.entries > 0) containerStorage.push({ path: dir, counts });
  });
  return {
    formatVersion: SCAN_FORMAT_VERSION,
    root,
    osFamily,
    crossMounts: prepared.config.crossMounts,
    orphanCheck: prepared.orphanCheck,
    entries,
    vanished: partial.vanished,
    durationMs: Number(process.hrtime.bigint() - prepared.started) / 1e6,
    ...lists,
    containerStorage,
    skipped: partial.skipped.map((dir) => ({ ...pathFields(targetPathOf(root, dir.path)), reason: dir.reason, ...(dir.fsType === undefined ? {} : { fsType: dir.fsType }) })),
    errors: partial.errors.map((error) => ({ ...pathFields(targetPathOf(root, error.path)), code: error.code })),
  };
}

/**
 * Walk the target once and sort every entry into the SUID, SGID, world-writable and orphan
 * lists. Owners are looked up in the target's own /etc/passwd and /etc/group.
 */
export async function scanTree(options: ScanOptions): Promise<ScanResult> {
  const prepared = prepareScan(options);
  const threads = options.threads ?? defaultThreads();
  const partial = threads <= 1 ? walkInThread(prepared.config, prepared.start, options.onProgress) : await walkInWorkers(prepared.config, prepared.start, threads, options.onProgress);
  return finishScan(prepared, partial);
}

/** scanTree in the calling thread, for callers that cannot wait, such as the audit engine. */
export function scanTreeSync(options: Omit<ScanOptions, 'threads'>): ScanResult {
  const prepared = prepareScan(options);
  return finishScan(prepared, walkInThread(prepared.config, prepared.start, options.onProgress));
}

function toEntry(root: string, raw: RawEntry, accounts: Accounts): ScanEntry {
  const entry: ScanEntry = { ...pathFields(targetPathOf(root, raw.path)), mode: raw.mode, uid: raw.uid, gid: raw.gid, size: raw.size };
  const user = accounts.userName(raw.uid);
  const group = accounts.groupName(raw.gid);
  if (user !== undefined) entry.user = user;
  if (group !== undefined) entry.group = group;
  return entry;
}

function setIdFlags(entry: ScanEntry, programs: SetIdPrograms, osFamily: string): Pick<ScanEntry, 'shellEscape' | 'expected'> {
  const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
  // A family without its own list (`other`) accepts what any listed family ships.
  const expectedPaths = programs.expected[osFamily] ?? Object.values(programs.expected).flat();
  return { shellEscape: isShellEscape(name, programs), expected: entry.pathBase64 === undefined && expectedPaths.includes(entry.path) };
}
