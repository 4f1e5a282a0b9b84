import type { Text } from '../core/text.js';

/** One file change of a transaction. Paths are absolute paths inside the target, e.g. `/etc/ssh/sshd_config`. */
export interface FileChange {
  path: string;
  /**
   * New content. `null` deletes the file; absent keeps the content, for a mode or owner change
   * alone. A string is written as UTF-8.
   */
  content?: Buffer | string | null;
  /** Permission bits such as 0o600. An existing file keeps its mode when absent; a new file gets 0o644. */
  mode?: number;
  /** Owner; an existing file keeps its owner when absent, a new file gets root (0). */
  uid?: number;
  gid?: number;
  /** Make the path a symbolic link with this target (content must be absent). */
  symlink?: string;
  /**
   * Act on the path itself when it is a symbolic link instead of the file it points to: set for
   * removing a runlevel or systemd `.wants` link, and implied by `symlink`.
   */
  noFollow?: boolean;
  /** Reason for the change, shown by `plan`. */
  reason?: Text;
}

/** Content hash, mode and owner of a file at one moment. */
export interface FileState {
  sha256: string;
  /** Permission bits including set-id and sticky bits (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Target of a symbolic link; the hash is then of the link target text. */
  symlink?: string;
}

export interface ManifestFile {
  path: string;
  /** State before the transaction; null when the file did not exist. */
  before: FileState | null;
  /** State the transaction leaves; null when it deletes the file. */
  after: FileState | null;
  /** Name of the backup of the original bytes inside the transaction directory; absent when there was no file. */
  backup?: string;
  /** The path is handled as a symbolic link itself, not followed. */
  noFollow?: boolean;
}

/**
 * A step that changes the running system rather than a file: a value written to /proc/sys, a
 * service enabled or restarted, a firewall loaded, a file system remounted. `undo` is absent when
 * the kernel does not allow going back (kernel.kexec_load_disabled=1 stays until reboot).
 */
export interface RuntimeRecord {
  kind: string;
  description: Text;
  /** Data needed to reverse the step, interpreted by the module that did it. */
  undo?: Record<string, unknown>;
  /** Whether the step completed; a killed apply may leave steps that never ran. */
  done: boolean;
}

export type TransactionState =
  /** Backups are taken and writes may have started; a manifest left in this state means an interrupted apply. */
  | 'applying'
  | 'committed'
  /** A rollback started and may have been interrupted; running it again completes it. */
  | 'rolling-back'
  | 'rolled-back';

export interface Manifest {
  formatVersion: 1;
  id: string;
  createdAt: string;
  toolVersion: string;
  /** Command that made the transaction, e.g. `apply --level 3`. */
  description: string;
  state: TransactionState;
  files: ManifestFile[];
  /** Directories the transaction created for new files, parents first; rollback removes them when empty. */
  createdDirectories: string[];
  runtime: RuntimeRecord[];
}
