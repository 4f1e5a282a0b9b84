import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileState } from './types.js';

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hash, mode and owner of a host file, or null when it does not exist. `follow` false describes a symbolic link itself. */
export function fileState(hostPath: string, follow = true): FileState | null {
  let stat: fs.Stats;
  try {
    stat = follow ? fs.statSync(hostPath) : fs.lstatSync(hostPath);
  } catch (error) {
    // ENOTDIR: a part of the path is a file, so nothing can exist below it.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
  if (stat.isSymbolicLink()) {
    const target = fs.readlinkSync(hostPath);
    return { sha256: sha256(Buffer.from(target)), mode: 0o777, uid: stat.uid, gid: stat.gid, size: target.length, symlink: target };
  }
  const data = stat.isFile() ? fs.readFileSync(hostPath) : Buffer.alloc(0);
  return { sha256: sha256(data), mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid, size: stat.size };
}

function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Replace `hostPath` with `data` so that a reader, or a crash, finds either the old or the new file
 * and never part of one. The data goes to a temporary file in the same directory, which gets its
 * mode and owner, is fsynced and renamed over the original. The directory is fsynced last, so
 * that the rename itself survives a power cut.
 */
export function writeFileAtomic(hostPath: string, data: Buffer, mode: number, uid: number, gid: number): void {
  const dir = path.dirname(hostPath);
  const temporary = path.join(dir, `.${path.basename(hostPath)}.kh-${randomBytes(6).toString('hex')}`);
  const fd = fs.openSync(temporary, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  try {
    fs.writeSync(fd, data);
    fs.fchownSync(fd, uid, gid);
    // chown clears set-id bits, so the mode is set after the owner.
    fs.fchmodSync(fd, mode);
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(temporary, hostPath);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  fsyncDirectory(dir);
}

/** Change mode and owner of an existing file in place (both are single system calls, so nothing is half-done). */
export function setModeOwner(hostPath: string, mode: number, uid: number, gid: number): void {
  fs.chownSync(hostPath, uid, gid);
  fs.chmodSync(hostPath, mode);
}

/** Make `hostPath` a symbolic link to `target`, replacing what is there in one rename. */
export function writeSymlinkAtomic(hostPath: string, target: string): void {
  const dir = path.dirname(hostPath);
  const temporary = path.join(dir, `.${path.basename(hostPath)}.kh-${randomBytes(6).toString('hex')}`);
  fs.symlinkSync(target, temporary);
  try {
    fs.renameSync(temporary, hostPath);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  fsyncDirectory(dir);
}

export function removeFile(hostPath: string): void {
  fs.rmSync(hostPath, { force: true });
  fsyncDirectory(path.dirname(hostPath));
}
