import * as fs from 'node:fs';
import * as path from 'node:path';
import { text } from '../core/text.js';
import { RootFs } from '../target/rootfs.js';
import { UsageError } from '../target/target.js';
import { fileState, removeFile, setModeOwner, sha256, writeFileAtomic, writeSymlinkAtomic } from './atomic.js';
import { listManifests, readManifest, rollbackCommand, TRANSACTIONS_DIR, transactionHostDir, withLock, writeManifest } from './store.js';
import { sameState } from './transaction.js';
import type { Manifest, RuntimeRecord } from './types.js';

export interface RollbackOptions {
  /** Restore files that changed after the apply too, losing those later edits. */
  force?: boolean;
  /** Reverse one runtime step; returns false when the kernel does not allow it. */
  undoRuntime?: (record: RuntimeRecord) => boolean;
}

export interface RollbackResult {
  id: string;
  restored: string[];
  removed: string[];
  /** Runtime steps that stay until reboot or could not be reversed. */
  kept: RuntimeRecord[];
  /** Later edits that --force replaced, each copied into the transaction directory first. */
  saved: Array<{ path: string; copy: string }>;
}

/** Find the newest transaction not yet rolled back; `rollback` without an id restores it only when it is the newest of all. */
export function latestTransaction(root: string): Manifest | undefined {
  return listManifests(root)
    .filter((manifest) => manifest.state !== 'rolled-back')
    .at(-1);
}

/** Files whose current state is neither what the transaction left nor (for an interrupted one) what it found. */
export function driftedFiles(root: string, manifest: Manifest): string[] {
  const rootFs = new RootFs(root);
  const drifted: string[] = [];
  for (const file of manifest.files) {
    const follow = file.noFollow !== true;
    const now = fileState(rootFs.resolve(file.path, follow), follow);
    if (sameState(now, file.after)) continue;
    if (manifest.state !== 'committed' && sameState(now, file.before)) continue;
    drifted.push(file.path);
  }
  return drifted;
}

/** Paths whose restore needs the backed-up bytes, where the backup is missing or its hash differs from the manifest. */
function damagedBackups(root: string, manifest: Manifest): string[] {
  const rootFs = new RootFs(root);
  const dir = transactionHostDir(root, manifest.id);
  const damaged: string[] = [];
  for (const file of manifest.files) {
    if (file.before === null || file.before.symlink !== undefined) continue;
    const follow = file.noFollow !== true;
    const now = fileState(rootFs.resolve(file.path, follow), follow);
    // Same bytes as before: only mode and owner are set back, so the backup is not read.
    if (now !== null && now.symlink === undefined && now.sha256 === file.before.sha256) continue;
    let bytes: Buffer | undefined;
    try {
      bytes = file.backup === undefined ? undefined : fs.readFileSync(path.join(dir, file.backup));
    } catch {
      bytes = undefined;
    }
    if (bytes === undefined || sha256(bytes) !== file.before.sha256) damaged.push(file.path);
  }
  return damaged;
}

/** Remove `.NAME.kh-XXXXXXXXXXXX` files that writeFileAtomic or writeSymlinkAtomic left in `dir`. */
function removeTemporaries(dir: string, name: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  const pattern = new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.kh-[0-9a-f]{12}$`);
  for (const entry of entries) if (pattern.test(entry)) fs.rmSync(path.join(dir, entry), { force: true });
}

/** Restore every file of a transaction byte for byte with mode and owner, and remove the files it created. */
export function rollbackTransaction(root: string, id: string | undefined, options: RollbackOptions = {}): RollbackResult {
  return withLock(root, () => restoreTransaction(root, id, options));
}

/** Roll back while the caller already holds the target's lock (an apply undoing its own failed writes). */
export function restoreTransaction(root: string, id: string | undefined, options: RollbackOptions = {}): RollbackResult {
  {
    const manifest = id === undefined ? latestTransaction(root) : readManifest(root, id);
    if (manifest === undefined) {
      throw new UsageError(text('there is no transaction to roll back', '元に戻すトランザクションがありません'));
    }
    if (manifest.state === 'rolled-back') {
      throw new UsageError(text(`transaction ${manifest.id} is already rolled back`, `トランザクション ${manifest.id} はすでに元に戻されています`));
    }
    const newest = listManifests(root).at(-1);
    if (id === undefined && newest !== undefined && newest.id !== manifest.id) {
      // A second "rollback" typed by mistake must not quietly undo an older apply as well.
      throw new UsageError(
        text(
          `the latest transaction ${newest.id} is already rolled back; to undo the one before it too, run "${rollbackCommand(root, manifest.id)}"`,
          `最新のトランザクション ${newest.id} はすでに元に戻されています。その前のものも戻す場合は "${rollbackCommand(root, manifest.id)}" を実行してください`,
        ),
      );
    }

    if (options.force !== true && manifest.state === 'committed') {
      const drifted = driftedFiles(root, manifest);
      if (drifted.length > 0) {
        throw new UsageError(
          text(
            `files changed after transaction ${manifest.id}: ${drifted.join(', ')}; rolling back would lose those changes. Review them, then run "${rollbackCommand(root, manifest.id, ' --force')}" to restore anyway`,
            `トランザクション ${manifest.id} の後にファイルが変更されています: ${drifted.join(', ')}。元に戻すとその変更は失われます。内容を確認し、それでも戻す場合は "${rollbackCommand(root, manifest.id, ' --force')}" を実行してください`,
          ),
        );
      }
    }

    const damaged = damagedBackups(root, manifest);
    if (damaged.length > 0) {
      throw new UsageError(
        text(
          `cannot roll back transaction ${manifest.id}: the backup of ${damaged.join(', ')} is missing or does not match its recorded SHA-256; nothing was restored. Put the backup back under ${TRANSACTIONS_DIR}/${manifest.id}/files or restore the file by hand`,
          `トランザクション ${manifest.id} を元に戻せません: ${damaged.join(', ')} のバックアップがないか、記録された SHA-256 と一致しません。何も復元していません。${TRANSACTIONS_DIR}/${manifest.id}/files にバックアップを戻すか、ファイルを手で復元してください`,
        ),
      );
    }

    manifest.state = 'rolling-back';
    writeManifest(root, manifest);

    const kept: RuntimeRecord[] = [];
    for (const record of [...manifest.runtime].reverse()) {
      if (!record.done && record.undo === undefined) continue;
      const undone = record.undo !== undefined && options.undoRuntime !== undefined && options.undoRuntime(record);
      if (!undone) kept.push(record);
    }

    const rootFs = new RootFs(root);
    const dir = transactionHostDir(root, manifest.id);
    const restored: string[] = [];
    const removed: string[] = [];
    const saved: Array<{ path: string; copy: string }> = [];
    for (const [index, file] of manifest.files.entries()) {
      const follow = file.noFollow !== true;
      const hostPath = rootFs.resolve(file.path, follow);
      const now = fileState(hostPath, follow);
      if (sameState(now, file.before)) continue;
      if (now !== null && now.symlink === undefined && !sameState(now, file.after)) {
        // An edit made after the apply (only reached with --force): keep a copy before it is replaced.
        const copy = `replaced/${index}`;
        fs.mkdirSync(path.join(dir, 'replaced'), { recursive: true, mode: 0o700 });
        writeFileAtomic(path.join(dir, copy), fs.readFileSync(hostPath), 0o600, 0, 0);
        saved.push({ path: file.path, copy: `${TRANSACTIONS_DIR}/${manifest.id}/${copy}` });
      }
      if (file.before === null) {
        removeFile(hostPath);
        removed.push(file.path);
        continue;
      }
      if (file.before.symlink !== undefined) {
        fs.mkdirSync(path.dirname(hostPath), { recursive: true });
        writeSymlinkAtomic(hostPath, file.before.symlink);
      } else if (now !== null && now.symlink === undefined && now.sha256 === file.before.sha256) {
        setModeOwner(hostPath, file.before.mode, file.before.uid, file.before.gid);
      } else {
        const bytes = fs.readFileSync(path.join(dir, file.backup as string));
        fs.mkdirSync(path.dirname(hostPath), { recursive: true });
        writeFileAtomic(hostPath, bytes, file.before.mode, file.before.uid, file.before.gid);
      }
      restored.push(file.path);
    }

    // An apply killed inside writeFileAtomic leaves its temporary file beside the target file.
    for (const file of manifest.files) removeTemporaries(rootFs.resolve(path.posix.dirname(file.path)), path.posix.basename(file.path));

    for (const created of [...manifest.createdDirectories].reverse()) {
      try {
        fs.rmdirSync(rootFs.resolve(created, false));
      } catch {
        // Not empty or already gone: something else put files there, so the directory stays.
      }
    }

    manifest.state = 'rolled-back';
    writeManifest(root, manifest);
    return { id: manifest.id, restored, removed, kept, saved };
  }
}

export { readManifest };
