import type { BucketCounts, Category, SkippedDir } from './walker.js';

export type { BucketCounts, Category } from './walker.js';

/** Version of the scan result layout, in JSON output and baseline files. */
export const SCAN_FORMAT_VERSION = 1;

/** One reported entry. Paths are paths inside the target. */
export interface ScanEntry {
  /** The exact name when it is valid UTF-8. Otherwise an escaped form, and `pathBase64` contains the bytes. */
  path: string;
  pathBase64?: string;
  /** Type and permission bits as lstat reports them (st_mode). */
  mode: number;
  uid: number;
  gid: number;
  /** Names from the target's /etc/passwd and /etc/group; absent when the id has no entry. */
  user?: string;
  group?: string;
  size: number;
  /** SUID and SGID files only: sha256 of the content, or absent when it could not be read (see `hashError`). */
  sha256?: string;
  hashError?: string;
  /** SUID and SGID files only: the program is known to give a shell or file access when set-id. */
  shellEscape?: boolean;
  /** SUID and SGID files only: the path is on the allow-list for the target's OS family. */
  expected?: boolean;
}

export interface ScanLists {
  suid: ScanEntry[];
  sgid: ScanEntry[];
  /** Regular files writable by others. */
  worldWritable: ScanEntry[];
  /** Directories writable by others without the sticky bit. */
  worldWritableDirs: ScanEntry[];
  /** Entries whose uid has no entry in the target's /etc/passwd or gid none in /etc/group. */
  orphans: ScanEntry[];
}

export const LIST_NAMES: readonly (keyof ScanLists)[] = ['suid', 'sgid', 'worldWritable', 'worldWritableDirs', 'orphans'];

/** List of each walker category. */
export const LIST_OF_CATEGORY: Record<Category, keyof ScanLists> = {
  suid: 'suid',
  sgid: 'sgid',
  worldWritable: 'worldWritable',
  worldWritableDir: 'worldWritableDirs',
  orphan: 'orphans',
};

export interface ScanResult extends ScanLists {
  formatVersion: typeof SCAN_FORMAT_VERSION;
  /** Host path of the scanned root. */
  root: string;
  osFamily: string;
  crossMounts: boolean;
  /** False when the target has no /etc/passwd or /etc/group, so orphans could not be detected. */
  orphanCheck: boolean;
  /** Entries classified, container storage included. */
  entries: number;
  /** Entries that were listed but gone before they could be examined. */
  vanished: number;
  durationMs: number;
  /** Container storage directories: only counted, their entries are not listed. */
  containerStorage: { path: string; counts: BucketCounts }[];
  skipped: { path: string; pathBase64?: string; reason: SkippedDir['reason']; fsType?: string }[];
  errors: { path: string; pathBase64?: string; code: string }[];
}
