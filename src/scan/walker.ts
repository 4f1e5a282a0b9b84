import * as fs from 'node:fs';

/**
 * A host path. Names that are valid UTF-8 stay strings, which is the fast case. A name with
 * bytes that are not UTF-8 makes its path and the paths below it a Buffer, so every byte survives.
 */
export type HostPath = string | Buffer;

/** Category of a reported entry. The set-id and world-writable categories take regular files only. */
export type Category = 'suid' | 'sgid' | 'worldWritable' | 'worldWritableDir' | 'orphan';

export const CATEGORIES: readonly Category[] = ['suid', 'sgid', 'worldWritable', 'worldWritableDir', 'orphan'];

/** One entry that fell into at least one category, with its lstat values. */
export interface RawEntry {
  path: HostPath;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  categories: Category[];
}

/** A directory the walk did not enter, and why. */
export interface SkippedDir {
  path: HostPath;
  reason: 'pseudo-fs' | 'other-fs' | 'network-fs' | 'excluded';
  fsType?: string;
}

export interface WalkError {
  path: HostPath;
  /** errno code such as EACCES or ENAMETOOLONG. */
  code: string;
}

/** Counts for one area (the main tree or one container storage directory). */
export interface BucketCounts {
  entries: number;
  suid: number;
  sgid: number;
  worldWritable: number;
  worldWritableDir: number;
  orphan: number;
}

/** A directory still to be listed; `dev` is its st_dev, `bucket` is -1 for the main tree. */
export interface WalkTask {
  path: HostPath;
  dev: number;
  bucket: number;
}

/** Settings shared by every walker of one scan. Plain data, so that it can be sent to a worker. */
export interface WalkConfig {
  /** st_dev of the starting directory: without `crossMounts`, no other device is entered. */
  rootDev: number;
  crossMounts: boolean;
  /** Host paths never entered (the target's /proc, /sys, /dev), compared as strings. */
  excluded: string[];
  /** Host paths of container storage; index = bucket number. */
  buckets: string[];
  /** False when the target has no account files: then no entry is an orphan. */
  checkOwners: boolean;
  knownUids: number[];
  knownGids: number[];
  /** File system type by mount point host path (from /proc/self/mountinfo), consulted only at device changes. */
  mountTypes: Record<string, string>;
}

/** Everything one walker found; merged by the caller. */
export interface WalkPartial {
  entries: RawEntry[];
  skipped: SkippedDir[];
  errors: WalkError[];
  /** Entries listed by readdir that were gone by the time of lstat. */
  vanished: number;
  main: BucketCounts;
  buckets: BucketCounts[];
}

const LSTAT_OPTIONS = { throwIfNoEntry: false } as const;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/** File system types that are never walked: kernel views and remote shares. */
const PSEUDO_FS = new Set(['proc', 'sysfs', 'devtmpfs', 'devpts', 'cgroup', 'cgroup2', 'securityfs', 'debugfs', 'tracefs', 'configfs', 'bpf', 'pstore', 'efivarfs', 'fusectl', 'mqueue', 'hugetlbfs', 'binfmt_misc', 'autofs', 'nsfs']);
const NETWORK_FS = new Set(['nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'ncpfs', 'afs', 'ceph', 'glusterfs', 'fuse.glusterfs', 'fuse.sshfs', 'sshfs', '9p', 'davfs', 'fuse.davfs2', 'lustre', 'gfs2', 'ocfs2', 'fuse.s3fs', 'fuse.rclone']);

export function emptyCounts(): BucketCounts {
  return { entries: 0, suid: 0, sgid: 0, worldWritable: 0, worldWritableDir: 0, orphan: 0 };
}

export function emptyPartial(bucketCount: number): WalkPartial {
  return { entries: [], skipped: [], errors: [], vanished: 0, main: emptyCounts(), buckets: Array.from({ length: bucketCount }, emptyCounts) };
}

function errnoCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : 'EIO';
}

function joinPath(dir: HostPath, name: HostPath): HostPath {
  if (typeof dir === 'string' && typeof name === 'string') return dir.endsWith('/') ? dir + name : dir + '/' + name;
  const dirBytes = typeof dir === 'string' ? Buffer.from(dir) : dir;
  const nameBytes = typeof name === 'string' ? Buffer.from(name) : name;
  const slash = dirBytes[dirBytes.length - 1] === 0x2f ? [] : [Buffer.from('/')];
  return Buffer.concat([dirBytes, ...slash, nameBytes]);
}

/**
 * List a directory. Names are read as strings, and only when one decodes to U+FFFD is the
 * directory read again as bytes. Names that do not survive UTF-8 decoding stay Buffers.
 */
function listNames(dir: HostPath): HostPath[] {
  const names = fs.readdirSync(dir);
  if (!names.some((name) => name.includes('\uFFFD'))) return names;
  const raw = fs.readdirSync(dir, { encoding: 'buffer' });
  return raw.map((bytes) => {
    const decoded = bytes.toString('utf8');
    return Buffer.from(decoded, 'utf8').equals(bytes) ? decoded : bytes;
  });
}

/**
 * Lists directories and classifies every entry below them with one lstat each, without
 * recursion (a stack of tasks), so tree depth is limited only by path length. Symbolic links
 * are never followed: lstat reports the link itself and only real directories are entered.
 *
 * NOTE: Node has no openat(), so every call takes a full path. Below a path of PATH_MAX (4096)
 * bytes the walk stops with an ENAMETOOLONG error where GNU find goes on. A directory replaced
 * by a symbolic link between its lstat and its readdir would be listed through the link.
 */
export class SubtreeWalker {
  private readonly config: WalkConfig;
  private readonly uids: Set<number>;
  private readonly gids: Set<number>;
  private readonly excluded: Set<string>;
  private readonly buckets: Map<string, number>;
  readonly stack: WalkTask[] = [];
  partial: WalkPartial;
  /** Directory being listed, for progress display. */
  current: HostPath = '';
  /** Entries classified since the walker was made, for progress display. */
  visited = 0;

  constructor(config: WalkConfig) {
    this.config = config;
    this.uids = new Set(config.knownUids);
    this.gids = new Set(config.knownGids);
    this.excluded = new Set(config.excluded);
    this.buckets = new Map(config.buckets.map((path, index) => [path, index]));
    this.partial = emptyPartial(config.buckets.length);
  }

  /** Hand over what was found so far and start a fresh partial result. */
  takePartial(): WalkPartial {
    const partial = this.partial;
    this.partial = emptyPartial(this.config.buckets.length);
    return partial;
  }

  /** List one directory from the stack; returns false when the stack is empty. */
  step(): boolean {
    const task = this.stack.pop();
    if (task === undefined) return false;
    this.current = task.path;
    let names: HostPath[];
    try {
      names = listNames(task.path);
    } catch (error) {
      const code = errnoCode(error);
      // A directory removed while the walk runs is not an error of the scan.
      if (code === 'ENOENT') this.partial.vanished++;
      else this.partial.errors.push({ path: task.path, code });
      return true;
    }
    const counts = task.bucket < 0 ? this.partial.main : (this.partial.buckets[task.bucket] as BucketCounts);
    if (typeof task.path === 'string') {
      const prefix = task.path.endsWith('/') ? task.path : task.path + '/';
      for (const name of names) this.visit(typeof name === 'string' ? prefix + name : joinPath(task.path, name), task, counts);
    } else {
      for (const name of names) this.visit(joinPath(task.path, name), task, counts);
    }
    return true;
  }

  private visit(path: HostPath, parent: WalkTask, counts: BucketCounts): void {
    let stats: fs.Stats | undefined;
    try {
      stats = fs.lstatSync(path, LSTAT_OPTIONS);
    } catch (error) {
      this.partial.errors.push({ path, code: errnoCode(error) });
      return;
    }
    if (stats === undefined) {
      this.partial.vanished++;
      return;
    }
    counts.entries++;
    this.visited++;
    const mode = stats.mode;
    const type = mode & S_IFMT;
    let categories: Category[] | undefined;
    if (this.config.checkOwners && (!this.uids.has(stats.uid) || !this.gids.has(stats.gid))) categories = ['orphan'];
    if (type === S_IFREG) {
      if ((mode & 0o6002) !== 0) {
        categories ??= [];
        if ((mode & 0o4000) !== 0) categories.push('suid');
        if ((mode & 0o2000) !== 0) categories.push('sgid');
        if ((mode & 0o002) !== 0) categories.push('worldWritable');
      }
    } else if (type === S_IFDIR) {
      if ((mode & 0o1002) === 0o002) (categories ??= []).push('worldWritableDir');
      this.enter(path, stats.dev, parent);
    }
    if (categories === undefined) return;
    for (const category of categories) counts[category]++;
    if (parent.bucket < 0) this.partial.entries.push({ path, mode, uid: stats.uid, gid: stats.gid, size: stats.size, categories });
  }

  /** Push a subdirectory unless a rule of the walk keeps it out. */
  private enter(path: HostPath, dev: number, parent: WalkTask): void {
    const key = typeof path === 'string' ? path : undefined;
    if (key !== undefined && this.excluded.has(key)) {
      this.partial.skipped.push({ path, reason: 'excluded' });
      return;
    }
    if (dev !== parent.dev) {
      if (!this.config.crossMounts && dev !== this.config.rootDev) {
        this.partial.skipped.push({ path, reason: 'other-fs' });
        return;
      }
      const fsType = key === undefined ? undefined : this.config.mountTypes[key];
      if (fsType !== undefined && PSEUDO_FS.has(fsType)) {
        this.partial.skipped.push({ path, reason: 'pseudo-fs', fsType });
        return;
      }
      if (fsType !== undefined && NETWORK_FS.has(fsType)) {
        this.partial.skipped.push({ path, reason: 'network-fs', fsType });
        return;
      }
    }
    const bucket = key === undefined ? undefined : this.buckets.get(key);
    this.stack.push({ path, dev, bucket: bucket ?? parent.bucket });
  }
}
