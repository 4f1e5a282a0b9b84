import * as fs from 'node:fs';
import * as path from 'node:path';
import { text } from '../core/text.js';
import { RootFs } from '../target/rootfs.js';
import { UsageError } from '../target/target.js';
import { TOOL_VERSION } from '../version.js';
import { fileState, removeFile, setModeOwner, sha256, writeFileAtomic, writeSymlinkAtomic } from './atomic.js';
import { restoreTransaction } from './rollback.js';
import { createTransactionDir, interruptedTransactions, newTransactionId, rollbackCommand, transactionHostDir, withLock, writeManifest } from './store.js';
import type { FileChange, FileState, Manifest, ManifestFile, RuntimeRecord } from './types.js';

/** A file change with its before and after states worked out, ready to be shown or carried out. */
export interface PreparedChange {
  change: FileChange;
  hostPath: string;
  before: FileState | null;
  beforeBytes: Buffer | null;
  after: FileState | null;
  afterBytes: Buffer | null;
}

function toBuffer(content: Buffer | string): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
}

/** Work out what each change does to its file, leaving out changes that would change nothing. */
export function prepareChanges(root: string, changes: FileChange[]): PreparedChange[] {
  const rootFs = new RootFs(root);
  const prepared: PreparedChange[] = [];
  const seen = new Set<string>();
  for (const change of changes) {
    const follow = change.symlink === undefined && change.noFollow !== true;
    const hostPath = rootFs.resolve(change.path, follow);
    if (seen.has(hostPath)) {
      throw new Error(`two changes to the same file ${change.path} in one transaction`);
    }
    seen.add(hostPath);
    const before = fileState(hostPath, follow);
    if (before !== null && before.symlink === undefined && !fs.statSync(hostPath).isFile()) {
      throw new UsageError(text(`${change.path} is not a regular file, so it is not changed`, `${change.path} は通常のファイルではないため変更しません`));
    }
    let beforeBytes: Buffer | null = null;
    if (before?.symlink !== undefined) beforeBytes = Buffer.from(before.symlink);
    else if (before !== null) beforeBytes = fs.readFileSync(hostPath);

    let afterBytes: Buffer | null;
    if (change.content === null) afterBytes = null;
    else if (change.symlink !== undefined) afterBytes = Buffer.from(change.symlink);
    else if (change.content === undefined) afterBytes = beforeBytes;
    else afterBytes = toBuffer(change.content);

    let after: FileState | null = null;
    if (change.symlink !== undefined) {
      after = { sha256: sha256(afterBytes as Buffer), mode: 0o777, uid: change.uid ?? 0, gid: change.gid ?? 0, size: change.symlink.length, symlink: change.symlink };
    } else if (afterBytes !== null) {
      after = {
        sha256: sha256(afterBytes),
        mode: change.mode ?? before?.mode ?? 0o644,
        uid: change.uid ?? before?.uid ?? 0,
        gid: change.gid ?? before?.gid ?? 0,
        size: afterBytes.length,
      };
    }
    if (sameState(before, after)) continue;
    prepared.push({ change, hostPath, before, beforeBytes, after, afterBytes });
  }
  return prepared;
}

export function sameState(a: FileState | null, b: FileState | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.symlink !== b.symlink) return false;
  // The kernel ignores the mode and owner of a symbolic link, so only its target counts.
  if (a.symlink !== undefined) return true;
  return a.sha256 === b.sha256 && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid;
}

/** Environment variable of the test hook that kills the process after that many file writes. */
export const STOP_AFTER_WRITES_ENV = 'KIMIGAYO_HARDEN_TEST_STOP_AFTER_WRITES';

/**
 * One apply: backups and a manifest first, then the writes, then runtime steps, then commit.
 * A process killed anywhere in between leaves the manifest in state `applying`, which the next
 * plan, apply or rollback finds and can roll back.
 */
export class Transaction {
  readonly root: string;
  readonly manifest: Manifest;
  private readonly prepared: PreparedChange[];
  private writes = 0;

  private constructor(root: string, manifest: Manifest, prepared: PreparedChange[]) {
    this.root = root;
    this.manifest = manifest;
    this.prepared = prepared;
  }

  /** Back up every file the changes touch and record the manifest; nothing in the target changes yet. */
  static begin(root: string, description: string, prepared: PreparedChange[]): Transaction {
    const id = newTransactionId();
    let dir: string;
    try {
      dir = createTransactionDir(root, id);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new UsageError(
        text(`cannot create the transaction directory under ${root} (${reason}); nothing was written`, `${root} の下にトランザクションのディレクトリを作れません(${reason})。何も書き込んでいません`),
      );
    }
    try {
      const files: ManifestFile[] = prepared.map((item, index) => {
        const entry: ManifestFile = { path: item.change.path, before: item.before, after: item.after };
        if (item.change.symlink !== undefined || item.change.noFollow === true) entry.noFollow = true;
        if (item.beforeBytes !== null) {
          entry.backup = `files/${index}`;
          const backup = path.join(dir, entry.backup);
          writeFileAtomic(backup, item.beforeBytes, 0o600, 0, 0);
        }
        return entry;
      });
      const manifest: Manifest = {
        formatVersion: 1,
        id,
        createdAt: new Date().toISOString(),
        toolVersion: TOOL_VERSION,
        description,
        state: 'applying',
        files,
        createdDirectories: [],
        runtime: [],
      };
      writeManifest(root, manifest);
      return new Transaction(root, manifest, prepared);
    } catch (error) {
      // No target file has been touched yet, so removing the partial backups undoes everything.
      fs.rmSync(dir, { recursive: true, force: true });
      const reason = error instanceof Error ? error.message : String(error);
      throw new UsageError(
        text(
          `cannot write the backups to ${dir} (${reason}); nothing was changed. Free space there (or make it writable) and apply again`,
          `${dir} にバックアップを書き込めません(${reason})。何も変更していません。空き容量を確保して(または書き込み可能にして)もう一度 apply を実行してください`,
        ),
      );
    }
  }

  get id(): string {
    return this.manifest.id;
  }

  get directory(): string {
    return transactionHostDir(this.root, this.id);
  }

  /** Carry out every file change, each one atomic. */
  writeFiles(env: NodeJS.ProcessEnv = process.env): void {
    const stopAfter = env[STOP_AFTER_WRITES_ENV] === undefined ? undefined : Number(env[STOP_AFTER_WRITES_ENV]);
    for (const item of this.prepared) {
      this.writeOne(item);
      this.writes++;
      if (stopAfter !== undefined && this.writes >= stopAfter) {
        // Test hook: die the way a power cut or `kill -9` would, with no cleanup at all.
        process.kill(process.pid, 'SIGKILL');
      }
    }
  }

  /**
   * Write every file. When one write fails (read-only file system, disk full), put back the files
   * already written and raise a WriteError that names the file, so that no target is left half-changed.
   */
  writeFilesOrRestore(env: NodeJS.ProcessEnv = process.env): void {
    try {
      this.writeFiles(env);
    } catch (error) {
      const failed = this.prepared[this.writes]?.change.path ?? '?';
      const reason = error instanceof Error ? error.message : String(error);
      restoreTransaction(this.root, this.id, { force: true });
      throw new WriteError(
        text(
          `cannot write ${failed} (${reason}); the files already written were restored and nothing is changed`,
          `${failed} を書き込めません(${reason})。書き込み済みのファイルは元に戻したため、変更はありません`,
        ),
      );
    }
  }

  private writeOne(item: PreparedChange): void {
    if (item.after === null || item.afterBytes === null) {
      removeFile(item.hostPath);
      return;
    }
    this.ensureParent(item.hostPath);
    if (item.after.symlink !== undefined) {
      writeSymlinkAtomic(item.hostPath, item.after.symlink);
      return;
    }
    const { mode, uid, gid } = item.after;
    if (item.before !== null && item.before.symlink === undefined && item.before.sha256 === item.after.sha256) setModeOwner(item.hostPath, mode, uid, gid);
    else writeFileAtomic(item.hostPath, item.afterBytes, mode, uid, gid);
  }

  /** Create missing parent directories (0755, root) and remember them so rollback can remove them. */
  private ensureParent(hostPath: string): void {
    const missing: string[] = [];
    let dir = path.dirname(hostPath);
    while (dir.startsWith(this.root) && dir !== this.root && !fs.existsSync(dir)) {
      missing.unshift(dir);
      dir = path.dirname(dir);
    }
    if (missing.length === 0) return;
    for (const created of missing) {
      this.manifest.createdDirectories.push('/' + path.relative(this.root, created));
    }
    writeManifest(this.root, this.manifest);
    for (const created of missing) fs.mkdirSync(created, { mode: 0o755 });
  }

  /** Record a runtime step before it runs (done: false), so that rollback after a crash treats it as possibly done. */
  recordRuntime(record: RuntimeRecord): number {
    this.manifest.runtime.push(record);
    writeManifest(this.root, this.manifest);
    return this.manifest.runtime.length - 1;
  }

  markRuntimeDone(index: number, undo?: Record<string, unknown>): void {
    const record = this.manifest.runtime[index];
    if (record === undefined) return;
    record.done = true;
    if (undo !== undefined) record.undo = undo;
    writeManifest(this.root, this.manifest);
  }

  commit(): void {
    this.manifest.state = 'committed';
    writeManifest(this.root, this.manifest);
  }
}

export interface ApplyFilesResult {
  /** Undefined when nothing needed to change, so no transaction was made. */
  id?: string;
  changed: string[];
}

/**
 * Write a set of file changes as one transaction that `rollback` can undo. Generators and
 * installers use this; `apply` uses Transaction directly because it also has runtime steps.
 */
export function applyFileChanges(root: string, changes: FileChange[], description: string): ApplyFilesResult {
  return withLock(root, () => {
    refuseWhenInterrupted(root);
    const prepared = prepareChanges(root, changes);
    if (prepared.length === 0) return { changed: [] };
    const transaction = Transaction.begin(root, description, prepared);
    transaction.writeFilesOrRestore();
    transaction.commit();
    return { id: transaction.id, changed: prepared.map((item) => item.change.path) };
  });
}

/** A write failed part-way; the files already written were put back from the backups. */
export class WriteError extends UsageError {}

/** Stop before writing when an earlier apply or rollback was killed: its files must be settled first. */
export function refuseWhenInterrupted(root: string): void {
  const interrupted = interruptedTransactions(root)[0];
  if (interrupted === undefined) return;
  throw new UsageError(
    text(
      `transaction ${interrupted.id} (${interrupted.description}) was interrupted; run "${rollbackCommand(root, interrupted.id)}" to restore its files first`,
      `トランザクション ${interrupted.id}(${interrupted.description})は中断されています。先に "${rollbackCommand(root, interrupted.id)}" でファイルを元に戻してください`,
    ),
  );
}
