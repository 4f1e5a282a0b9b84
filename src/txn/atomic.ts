import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileState } from './types.js';

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hash, mode and owner of a host file, or null when it does not exist. Symbolic links are followed. */
export function fileState(hostPath: string): FileState | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(hostPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
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

/** State of a symbolic link itself: its target string hashed, mode 0777 as lstat reports it. */
export function linkState(target: string, uid = 0, gid = 0): FileState {
  const bytes = Buffer.from(target, 'utf8');
  return { sha256: sha256(bytes), mode: 0o777, uid, gid, size: bytes.length, symlink: target };
}

/** Like fileState, but a symbolic link is described by itself rather than followed. */
export function entryState(hostPath: string): FileState | null {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(hostPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  if (stat.isSymbolicLink()) return linkState(fs.readlinkSync(hostPath), stat.uid, stat.gid);
  return fileState(hostPath);
}

/** Create or replace the symbolic link `hostPath` by renaming a new link over it, so no reader sees it missing. */
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

/**
 * Replace `hostPath` with `data` so that a reader, or a crash, sees either the old or the new file
 * and never part of one: write a temporary file in the same directory, set mode and owner, fsync,
 * rename over the original, then fsync the directory so the rename itself survives a power cut.
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

export function removeFile(hostPath: string): void {
  fs.rmSync(hostPath, { force: true });
  fsyncDirectory(path.dirname(hostPath));
}
