import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Text } from '../core/text.js';
import { text } from '../core/text.js';

/** Files larger than this are not parsed: configuration files are never this big. */
export const MAX_CONFIG_BYTES = 10 * 1024 * 1024;

/** Linux gives up after 40 symbolic links in one lookup (MAXSYMLINKS); so do we. */
const MAX_SYMLINKS = 40;

export type TargetErrorCode =
  | 'not-found'
  | 'symlink-loop'
  | 'outside-root'
  | 'permission-denied'
  | 'too-large'
  | 'binary'
  | 'not-a-file'
  | 'not-a-directory'
  | 'io';

/** A file of the target that could not be read, with the path as the target sees it. */
export class TargetError extends Error {
  readonly code: TargetErrorCode;
  /** The path inside the target, e.g. `/etc/ssh/sshd_config`. */
  readonly path: string;
  readonly detail: Text;

  constructor(code: TargetErrorCode, targetPath: string, detail: Text) {
    super(`${targetPath}: ${detail.en}`);
    this.name = 'TargetError';
    this.code = code;
    this.path = targetPath;
    this.detail = detail;
  }
}

export interface TextFile {
  /** The path inside the target that was asked for. */
  path: string;
  /** Decoded content. Invalid UTF-8 is decoded as latin1 so that every byte survives. */
  text: string;
  encoding: 'utf8' | 'latin1';
  /** Size in bytes. */
  size: number;
}

function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined;
}

function toTargetError(error: unknown, targetPath: string): TargetError {
  if (error instanceof TargetError) return error;
  switch (errnoCode(error)) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new TargetError('not-found', targetPath, text('file not found', 'ファイルが見つかりません'));
    case 'EACCES':
    case 'EPERM':
      return new TargetError(
        'permission-denied',
        targetPath,
        text('permission denied: run as root', '権限がありません: root で実行してください'),
      );
    case 'ELOOP':
      return new TargetError('symlink-loop', targetPath, text('too many levels of symbolic links: fix the link loop', 'シンボリックリンクが多すぎます(ループ)。リンクのループを直してください'));
    case 'EISDIR':
      return new TargetError('not-a-file', targetPath, text('is a directory, not a file: replace it with the file', 'ファイルではなくディレクトリです。ファイルに置き換えてください'));
    default: {
      const message = error instanceof Error ? error.message : String(error);
      return new TargetError('io', targetPath, text(`read failed: ${message}`, `読み込みに失敗しました: ${message}`));
    }
  }
}

/** Normalize a target path to absolute form with no empty, `.` or `..` parts (`..` stops at `/`). */
export function normalizeTargetPath(targetPath: string): string {
  const parts: string[] = [];
  for (const part of targetPath.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return '/' + parts.join('/');
}

/**
 * The file system of an audit target, seen from inside it. Every path is a path inside the
 * target. Symbolic links are resolved component by component as the target would see them:
 * an absolute link target starts again at the target's root, and a relative one whose `..`
 * would climb above the root is rejected with `outside-root`. Nothing outside the root is read.
 */
export class RootFs {
  /** Absolute host path of the target's root directory. */
  readonly root: string;
  private readonly resolved = new Map<string, string>();

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** True when the target is this machine's own `/`. */
  get isHostRoot(): boolean {
    return this.root === '/';
  }

  /** Map a target path to the host path, following symbolic links unless `followLast` is false. */
  resolve(targetPath: string, followLast = true): string {
    const key = `${followLast ? 'f' : 'n'}${targetPath}`;
    const cached = this.resolved.get(key);
    if (cached !== undefined) return cached;
    const hostPath = this.walk(targetPath, followLast);
    this.resolved.set(key, hostPath);
    return hostPath;
  }

  private walk(targetPath: string, followLast: boolean): string {
    const done: string[] = [];
    const pending = normalizeTargetPath(targetPath).split('/').filter((part) => part !== '');
    let links = 0;

    while (pending.length > 0) {
      const part = pending.shift() as string;
      if (part === '.') continue;
      if (part === '..') {
        if (done.length === 0) {
          throw new TargetError(
            'outside-root',
            targetPath,
            text('a symbolic link points outside the root directory: make it point inside the root', 'シンボリックリンクがルートディレクトリの外を指しています。ルートの内側を指すように直してください'),
          );
        }
        done.pop();
        continue;
      }
      const hostPath = path.join(this.root, ...done, part);
      const isLast = pending.length === 0;
      let stats: fs.Stats;
      try {
        stats = fs.lstatSync(hostPath);
      } catch (error) {
        const code = errnoCode(error);
        if (code === 'ENOENT' || code === 'ENOTDIR') {
          // Nothing left to resolve: the caller's own system call reports the missing file.
          return path.join(this.root, ...done, part, ...pending.filter((piece) => piece !== '.' && piece !== '..'));
        }
        throw toTargetError(error, targetPath);
      }
      if (!stats.isSymbolicLink() || (isLast && !followLast)) {
        done.push(part);
        continue;
      }
      if (++links > MAX_SYMLINKS) {
        throw new TargetError(
          'symlink-loop',
          targetPath,
          text('too many levels of symbolic links (a loop): fix the link', 'シンボリックリンクが多すぎます(ループ)。リンクを直してください'),
        );
      }
      let linkTarget: string;
      try {
        linkTarget = fs.readlinkSync(hostPath);
      } catch (error) {
        throw toTargetError(error, targetPath);
      }
      if (linkTarget.startsWith('/')) done.length = 0;
      pending.unshift(...linkTarget.split('/').filter((piece) => piece !== ''));
    }
    return path.join(this.root, ...done);
  }

  /** Resolve, mapping an error to `undefined` only when the file does not exist. */
  private tryStat(targetPath: string, follow: boolean): fs.Stats | undefined {
    const hostPath = this.resolve(targetPath, follow);
    try {
      return follow ? fs.statSync(hostPath) : fs.lstatSync(hostPath);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined;
      throw toTargetError(error, targetPath);
    }
  }

  /** Stat through symbolic links; `undefined` when the path does not exist. */
  stat(targetPath: string): fs.Stats | undefined {
    return this.tryStat(targetPath, true);
  }

  /** Stat without following a final symbolic link; `undefined` when the path does not exist. */
  lstat(targetPath: string): fs.Stats | undefined {
    return this.tryStat(targetPath, false);
  }

  exists(targetPath: string): boolean {
    try {
      return this.lstat(targetPath) !== undefined;
    } catch {
      return true;
    }
  }

  isDirectory(targetPath: string): boolean {
    try {
      return this.stat(targetPath)?.isDirectory() ?? false;
    } catch {
      return false;
    }
  }

  /** Read a symbolic link's target as stored, or `undefined` when the path is not a link. */
  readlink(targetPath: string): string | undefined {
    const hostPath = this.resolve(targetPath, false);
    try {
      return fs.readlinkSync(hostPath);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EINVAL' || code === 'ENOENT') return undefined;
      throw toTargetError(error, targetPath);
    }
  }

  /** Entry names of a directory in byte order; `[]` when the directory does not exist. */
  readdir(targetPath: string): string[] {
    const hostPath = this.resolve(targetPath);
    try {
      const names = fs.readdirSync(hostPath, { encoding: 'buffer' });
      const decoder = new TextDecoder('utf-8', { fatal: true });
      return names
        .map((name) => {
          try {
            return decoder.decode(name);
          } catch {
            // A name that is not UTF-8 cannot be opened again through a string path, so the
            // directory cannot be read completely: report it instead of skipping the entry.
            throw new TargetError(
              'io',
              targetPath,
              text(
                `contains a file name that is not valid UTF-8 (${JSON.stringify(name.toString('latin1'))}); rename it`,
                `UTF-8 として正しくないファイル名 (${JSON.stringify(name.toString('latin1'))}) があります。名前を変更してください`,
              ),
            );
          }
        })
        .sort(compareBytes);
    } catch (error) {
      if (error instanceof TargetError) throw error;
      const code = errnoCode(error);
      if (code === 'ENOENT') return [];
      if (code === 'ENOTDIR') {
        throw new TargetError('not-a-directory', targetPath, text('not a directory', 'ディレクトリではありません'));
      }
      throw toTargetError(error, targetPath);
    }
  }

  /**
   * Read a configuration file as text. Throws TargetError when it is missing, not a regular
   * file, larger than MAX_CONFIG_BYTES or contains NUL bytes (binary).
   */
  readText(targetPath: string): TextFile {
    const hostPath = this.resolve(targetPath);
    let data: Buffer;
    try {
      const stats = fs.statSync(hostPath);
      if (stats.isDirectory()) {
        throw new TargetError('not-a-file', targetPath, text('is a directory, not a file', 'ファイルではなくディレクトリです'));
      }
      if (!stats.isFile()) {
        throw new TargetError('not-a-file', targetPath, text('is not a regular file', '通常のファイルではありません'));
      }
      if (stats.size > MAX_CONFIG_BYTES) {
        throw new TargetError(
          'too-large',
          targetPath,
          text(
            `file is ${stats.size} bytes, over the ${MAX_CONFIG_BYTES}-byte limit for configuration files: check that it is the intended file`,
            `ファイルが ${stats.size} バイトあり、設定ファイルの上限 ${MAX_CONFIG_BYTES} バイトを超えています。正しいファイルか確認してください`,
          ),
        );
      }
      data = fs.readFileSync(hostPath);
    } catch (error) {
      throw toTargetError(error, targetPath);
    }
    if (data.includes(0)) {
      throw new TargetError(
        'binary',
        targetPath,
        text('file contains NUL bytes: it is binary, not a text configuration file; restore the text file', 'ファイルに NUL バイトが含まれています(テキストの設定ファイルではありません)。テキストのファイルに戻してください'),
      );
    }
    return decode(targetPath, data);
  }

  /** Like readText, but `undefined` when the file does not exist. Other problems still throw. */
  readTextIfExists(targetPath: string): TextFile | undefined {
    try {
      return this.readText(targetPath);
    } catch (error) {
      if (error instanceof TargetError && error.code === 'not-found') return undefined;
      throw error;
    }
  }

  /**
   * Expand a glob such as `/etc/ssh/sshd_config.d/*.conf` inside the target, in byte order as
   * glob(3) sorts. Wildcards are allowed in any component.
   */
  glob(pattern: string, matcher: (name: string, pattern: string) => boolean): string[] {
    const parts = normalizeTargetPath(pattern).split('/').filter((part) => part !== '');
    let current = ['/'];
    for (const part of parts) {
      const next: string[] = [];
      const wild = /[*?[]/.test(part);
      for (const dir of current) {
        if (!wild) {
          const candidate = path.posix.join(dir, part);
          if (this.exists(candidate)) next.push(candidate);
          continue;
        }
        let names: string[];
        try {
          names = this.readdir(dir);
        } catch {
          continue;
        }
        for (const name of names) {
          if (name.startsWith('.') && !part.startsWith('.')) continue;
          if (matcher(name, part)) next.push(path.posix.join(dir, name));
        }
      }
      current = next;
    }
    return current.sort(compareBytes);
  }
}

/**
 * Drop directories that are the same directory as an earlier one in the list, as /lib/sysctl.d
 * is /usr/lib/sysctl.d on a merged-/usr system, so that their files are not listed twice.
 */
export function distinctDirectories(rootFs: RootFs, dirs: readonly string[]): string[] {
  const seen = new Set<string>();
  const distinct: string[] = [];
  for (const dir of dirs) {
    let key = dir;
    try {
      key = rootFs.resolve(dir);
    } catch {
      // An unresolvable directory is kept; reading it reports the problem.
    }
    if (seen.has(key)) continue;
    seen.add(key);
    distinct.push(dir);
  }
  return distinct;
}

/** Compare as C's strcmp does on UTF-8 bytes, which is how glob(3) and scandir sort. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function decode(targetPath: string, data: Buffer): TextFile {
  try {
    const decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(data);
    return { path: targetPath, text: decoded, encoding: 'utf8', size: data.length };
  } catch {
    return { path: targetPath, text: data.toString('latin1'), encoding: 'latin1', size: data.length };
  }
}
