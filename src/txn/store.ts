import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { text } from '../core/text.js';
import { RootFs } from '../target/rootfs.js';
import { UsageError } from '../target/target.js';
import { writeFileAtomic } from './atomic.js';
import type { Manifest } from './types.js';

/** Directory of transactions inside the target. */
export const TRANSACTIONS_DIR = '/var/lib/kimigayo-harden/transactions';
const LOCK_FILE = '/var/lib/kimigayo-harden/lock';

/**
 * Map a path of the store to the host with the target's links followed inside the root: an image
 * whose /var links to /data/var must keep its transactions in its own /data/var, not the host's.
 */
function storeHostPath(root: string, targetPath: string): string {
  return new RootFs(root).resolve(targetPath);
}

export function transactionsHostDir(root: string): string {
  return storeHostPath(root, TRANSACTIONS_DIR);
}

export function transactionHostDir(root: string, id: string): string {
  return path.join(transactionsHostDir(root), id);
}

/** Make an id that sorts by creation time: `20261204T203000Z-1a2b3c`. */
export function newTransactionId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Quote a path for a POSIX shell when it contains anything beyond the usual path characters. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Build the rollback command that messages suggest, with --root unless the target is the live host. */
export function rollbackCommand(root: string, id: string, options = ''): string {
  const rootFlag = path.resolve(root) === '/' ? '' : ` --root ${shellQuote(root)}`;
  return `kimigayo-harden rollback ${id}${options}${rootFlag}`;
}

const ID_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

export function writeManifest(root: string, manifest: Manifest): void {
  const file = path.join(transactionHostDir(root, manifest.id), 'manifest.json');
  writeFileAtomic(file, Buffer.from(JSON.stringify(manifest, null, 2) + '\n'), 0o600, 0, 0);
}

export function readManifest(root: string, id: string): Manifest {
  if (!ID_PATTERN.test(id)) {
    throw new UsageError(text(`${id}: not a transaction id (they look like 20261204T203000Z-1a2b3c)`, `${id}: トランザクション ID ではありません(20261204T203000Z-1a2b3c の形式です)`));
  }
  const file = path.join(transactionHostDir(root, id), 'manifest.json');
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(text(`transaction ${id} not found in ${TRANSACTIONS_DIR}`, `トランザクション ${id} が ${TRANSACTIONS_DIR} にありません`));
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(source) as Manifest;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(text(`${TRANSACTIONS_DIR}/${id}/manifest.json is not valid JSON (${reason}); restore it or remove the transaction`, `${TRANSACTIONS_DIR}/${id}/manifest.json が正しい JSON ではありません(${reason})。復元するかトランザクションを削除してください`));
  }
  if (manifest.formatVersion !== 1 || !Array.isArray(manifest.files)) {
    throw new UsageError(text(`${TRANSACTIONS_DIR}/${id}/manifest.json has an unknown format`, `${TRANSACTIONS_DIR}/${id}/manifest.json の形式が不明です`));
  }
  manifest.createdDirectories ??= [];
  manifest.runtime ??= [];
  return manifest;
}

/** Ids of all transactions, oldest first. */
export function listTransactionIds(root: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(transactionsHostDir(root));
  } catch {
    return [];
  }
  // A directory without a manifest is a begin that stopped before writing it, so no target file was changed.
  return names.filter((name) => ID_PATTERN.test(name) && fs.existsSync(path.join(transactionsHostDir(root), name, 'manifest.json'))).sort();
}

/** Manifests of all transactions, oldest first. */
export function listManifests(root: string): Manifest[] {
  // Ids have whole seconds and a random suffix, so two applies in one second sort by chance;
  // createdAt has milliseconds.
  const byAge = (a: Manifest, b: Manifest): number => compareText(a.createdAt, b.createdAt) || compareText(a.id, b.id);
  return listTransactionIds(root)
    .map((id) => readManifest(root, id))
    .sort(byAge);
}

function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Transactions an apply or rollback was killed in the middle of. */
export function interruptedTransactions(root: string): Manifest[] {
  return listManifests(root).filter((manifest) => manifest.state === 'applying' || manifest.state === 'rolling-back');
}

/** Make the transaction directory: only root may read it, because backups include files such as /etc/shadow. */
export function createTransactionDir(root: string, id: string): string {
  const dir = transactionHostDir(root, id);
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.dirname(dir), 0o700);
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.mkdirSync(path.join(dir, 'files'), { mode: 0o700 });
  return dir;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take the target's lock for the time of `work`, so that two applies never interleave their writes.
 * A lock whose process is gone (killed apply) is taken over.
 */
export function withLock<T>(root: string, work: () => T): T {
  const lock = storeHostPath(root, LOCK_FILE);
  try {
    // A recursive mkdir on a read-only mount reports ENOENT, so ask for write access first to get EROFS.
    fs.accessSync(root, fs.constants.W_OK);
    fs.mkdirSync(path.dirname(lock), { recursive: true, mode: 0o700 });
    acquireLock(lock);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // A read-only or full file system, or a directory root may not write: the user can fix that.
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(
      text(
        `cannot create the lock ${LOCK_FILE} under ${root} (${reason}); nothing was changed. Make the target writable (a read-only mount?) and run the command again`,
        `${root} の下にロック ${LOCK_FILE} を作れません(${reason})。何も変更していません。対象を書き込み可能にして(読み取り専用でマウントされていませんか)、もう一度実行してください`,
      ),
    );
  }
  try {
    return work();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

function acquireLock(lock: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = Number.parseInt(fs.readFileSync(lock, 'utf8'), 10);
    if (Number.isInteger(pid) && pid !== process.pid && processAlive(pid)) {
      throw new UsageError(text(`another kimigayo-harden (pid ${pid}) is changing this target; wait for it to finish`, `別の kimigayo-harden(pid ${pid})がこの対象を変更中です。終わるまで待ってください`));
    }
    fs.rmSync(lock, { force: true });
  }
  throw new UsageError(text(`cannot take the lock ${LOCK_FILE}`, `ロック ${LOCK_FILE} を取得できません`));
}
