import type * as fs from 'node:fs';
import * as path from 'node:path';
import { text } from '../core/text.js';
import type { FileChange } from '../txn/types.js';
import { compareBytes, normalizeTargetPath, RootFs, TargetError } from './rootfs.js';
import type { TextFile } from './rootfs.js';

/** A pending file of the overlay: new content, a symbolic link, or a deletion. */
export interface OverlayEntry {
  /** New bytes; undefined keeps the content of the file underneath (mode or owner change). */
  content?: Buffer;
  symlink?: string;
  deleted?: boolean;
  mode?: number;
  uid?: number;
  gid?: number;
  /** Operate on a symbolic link itself rather than on the file it points to. */
  noFollow?: boolean;
  reasons: string[];
}

/** An entry with the path it was first changed under, which the plan shows. */
interface NamedEntry extends OverlayEntry {
  path: string;
}

function addReasons(entry: OverlayEntry, reason: string | string[]): void {
  for (const item of typeof reason === 'string' ? [reason] : reason) {
    if (!entry.reasons.includes(item)) entry.reasons.push(item);
  }
}

function fakeStats(kind: 'file' | 'dir' | 'link', mode: number, uid: number, gid: number, size: number): fs.Stats {
  const typeBits = kind === 'file' ? 0o100000 : kind === 'dir' ? 0o040000 : 0o120000;
  return {
    mode: typeBits | mode,
    uid,
    gid,
    size,
    isFile: () => kind === 'file',
    isDirectory: () => kind === 'dir',
    isSymbolicLink: () => kind === 'link',
    isBlockDevice: () => false,
    isCharacterDevice: () => false,
    isFIFO: () => false,
    isSocket: () => false,
  } as unknown as fs.Stats;
}

/**
 * The target as it would be after a set of pending changes, without writing anything. The plan
 * edits files here and then loads the same models and runs the same audit as on the real target,
 * so "after apply this control passes" is computed, not assumed.
 */
export class OverlayRootFs extends RootFs {
  /** Entries keyed by the file they change after following the symbolic links on disk. */
  private readonly entries = new Map<string, NamedEntry>();

  constructor(root: string) {
    super(root);
  }

  /**
   * The file a path names once the symbolic links on disk are followed (the last one only when
   * `follow`), so that two names of one file, such as /etc/sysctl.d/99-security.conf linked to
   * /etc/sysctl.conf, share one entry and one write.
   */
  private key(targetPath: string, follow = true): string {
    try {
      return normalizeTargetPath(`/${path.relative(this.root, this.resolve(targetPath, follow))}`);
    } catch (error) {
      // A link loop or a link out of the root: the readers report it, so keep the name as written.
      if (error instanceof TargetError) return normalizeTargetPath(targetPath);
      throw error;
    }
  }

  private entryAt(targetPath: string, follow: boolean): NamedEntry {
    const key = this.key(targetPath, follow);
    const entry = this.entries.get(key) ?? { path: normalizeTargetPath(targetPath), reasons: [] };
    this.entries.set(key, entry);
    return entry;
  }

  private entryFor(targetPath: string, follow: boolean): OverlayEntry | undefined {
    const direct = this.entries.get(this.key(targetPath, false));
    if (direct !== undefined) {
      if (direct.symlink !== undefined && follow) return undefined;
      return direct;
    }
    return follow ? this.entries.get(this.key(targetPath, true)) : undefined;
  }

  /** Replace the content of a file (creating it), keeping or setting mode and owner. */
  writeFile(targetPath: string, content: string | Buffer, reason: string | string[], attributes: { mode?: number; uid?: number; gid?: number } = {}): void {
    const entry = this.entryAt(targetPath, true);
    entry.content = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    delete entry.deleted;
    delete entry.symlink;
    if (attributes.mode !== undefined) entry.mode = attributes.mode;
    if (attributes.uid !== undefined) entry.uid = attributes.uid;
    if (attributes.gid !== undefined) entry.gid = attributes.gid;
    addReasons(entry, reason);
  }

  setMode(targetPath: string, mode: number, reason: string, owner: { uid?: number; gid?: number } = {}): void {
    const entry = this.entryAt(targetPath, true);
    entry.mode = mode;
    if (owner.uid !== undefined) entry.uid = owner.uid;
    if (owner.gid !== undefined) entry.gid = owner.gid;
    addReasons(entry, reason);
  }

  symlink(targetPath: string, linkTarget: string, reason: string): void {
    this.entries.set(this.key(targetPath, false), { path: normalizeTargetPath(targetPath), symlink: linkTarget, noFollow: true, reasons: [reason] });
  }

  /** Delete a file or, with noFollow, a symbolic link itself. */
  remove(targetPath: string, reason: string, noFollow = false): void {
    this.entries.set(this.key(targetPath, !noFollow), { path: normalizeTargetPath(targetPath), deleted: true, noFollow, reasons: [reason] });
  }

  /** Drop the pending change of a path, so the file reads as it is on disk again. */
  discard(targetPath: string, follow = true): void {
    this.entries.delete(this.key(targetPath, follow));
  }

  /** Text of a file as the overlay sees it, or undefined when it does not exist. */
  currentText(targetPath: string): string | undefined {
    return this.readTextIfExists(targetPath)?.text;
  }

  /** Pending changes in path order, for the transaction layer. */
  changes(): Array<FileChange & { reasons: string[] }> {
    return [...this.entries.values()]
      .sort((a, b) => compareBytes(a.path, b.path))
      .map((entry) => {
        const change: FileChange & { reasons: string[] } = { path: entry.path, reasons: entry.reasons };
        if (entry.deleted === true) change.content = null;
        else if (entry.symlink !== undefined) change.symlink = entry.symlink;
        else if (entry.content !== undefined) change.content = entry.content;
        if (entry.noFollow === true) change.noFollow = true;
        if (entry.mode !== undefined) change.mode = entry.mode;
        if (entry.uid !== undefined) change.uid = entry.uid;
        if (entry.gid !== undefined) change.gid = entry.gid;
        return change;
      });
  }

  get pending(): number {
    return this.entries.size;
  }

  /** True when the directory exists only because the overlay puts a file into it. */
  private impliedDirectory(targetPath: string): boolean {
    const dir = this.key(targetPath);
    const prefix = dir === '/' ? '/' : `${dir}/`;
    for (const [key, entry] of this.entries) {
      if (entry.deleted !== true && key.startsWith(prefix)) return true;
    }
    return false;
  }

  override stat(targetPath: string): fs.Stats | undefined {
    return this.overlayStat(targetPath, true);
  }

  override lstat(targetPath: string): fs.Stats | undefined {
    return this.overlayStat(targetPath, false);
  }

  private overlayStat(targetPath: string, follow: boolean): fs.Stats | undefined {
    const entry = this.entryFor(targetPath, follow);
    const below = follow ? super.stat(targetPath) : super.lstat(targetPath);
    if (entry === undefined) {
      if (below === undefined && this.impliedDirectory(targetPath)) return fakeStats('dir', 0o755, 0, 0, 0);
      return below;
    }
    if (entry.deleted === true) return undefined;
    if (entry.symlink !== undefined) return fakeStats('link', 0o777, 0, 0, entry.symlink.length);
    const size = entry.content?.length ?? below?.size ?? 0;
    return fakeStats('file', entry.mode ?? (below === undefined ? 0o644 : below.mode & 0o7777), entry.uid ?? below?.uid ?? 0, entry.gid ?? below?.gid ?? 0, size);
  }

  override readlink(targetPath: string): string | undefined {
    const entry = this.entryFor(targetPath, false);
    if (entry === undefined) return super.readlink(targetPath);
    return entry.symlink;
  }

  override readdir(targetPath: string): string[] {
    const names = new Set(super.readdir(targetPath));
    const dir = this.key(targetPath);
    const prefix = dir === '/' ? '/' : `${dir}/`;
    for (const [key, entry] of this.entries) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const name = rest.split('/')[0] as string;
      if (rest === name && entry.deleted === true) names.delete(name);
      else if (entry.deleted !== true) names.add(name);
    }
    return [...names].sort(compareBytes);
  }

  override readText(targetPath: string): TextFile {
    const entry = this.entryFor(targetPath, true);
    if (entry === undefined || (entry.content === undefined && entry.deleted !== true)) return super.readText(targetPath);
    if (entry.deleted === true) throw new TargetError('not-found', targetPath, text('file not found', 'ファイルが見つかりません'));
    const data = entry.content as Buffer;
    return { path: targetPath, text: data.toString('utf8'), encoding: 'utf8', size: data.length };
  }

  /** Host path of a target path, for programs that must read the candidate files. */
  hostPath(targetPath: string): string {
    return path.join(this.root, normalizeTargetPath(targetPath));
  }
}
