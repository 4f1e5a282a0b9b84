// Locations of the root file systems that scripts/build-debian-rootfs.sh and
// scripts/build-kimigayo-rootfs.sh build for the tests, and copies of them for
// tests that change files.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file compiles to dist/test/helpers/trees.js). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The file that both build scripts write last into a complete tree. */
export const STAMP_FILE = '.kh-rootfs-version';

const COPY_PREFIX = 'kh-tree-';

/** Return the build scripts' cache directory: $KH_CACHE_DIR, or /var/cache/kimigayo-harden. */
export function cacheDir(): string {
  const fromEnv = process.env['KH_CACHE_DIR'];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : '/var/cache/kimigayo-harden';
}

function builtTree(name: string, script: string): string {
  const tree = path.join(cacheDir(), 'rootfs', name);
  if (!fs.existsSync(path.join(tree, STAMP_FILE))) {
    throw new Error(
      `test tree ${tree} not found or incomplete: run "bash scripts/test.sh" ` +
        `(or "bash scripts/${script}" as root) to build it`,
    );
  }
  return tree;
}

/** Host path of the Debian bookworm tree with OpenRC, sshd, iptables and auditd. Throws when it was not built. */
export function debianTree(): string {
  return builtTree('debian-bookworm', 'build-debian-rootfs.sh');
}

/** Host path of the Kimigayo-like tree (BusyBox, OpenRC layout, no sshd). Throws when it was not built. */
export function kimigayoTree(): string {
  return builtTree('kimigayo', 'build-kimigayo-rootfs.sh');
}

/**
 * Copy a tree into a new temporary directory with `cp -a`, which keeps modes,
 * owners, symbolic links and special files. Returns the copy's path; pass it
 * to removeTree when done.
 */
export function copyTree(src: string): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), COPY_PREFIX));
  try {
    execFileSync('cp', ['-a', '--', `${src}/.`, copy], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    fs.rmSync(copy, { recursive: true, force: true });
    throw error;
  }
  return copy;
}

/**
 * Delete a copy made by copyTree. Throws for any other path, so that a
 * mistaken argument cannot delete a cached tree or the repository.
 */
export function removeTree(copy: string): void {
  const resolved = path.resolve(copy);
  const isCopy =
    path.dirname(resolved) === path.resolve(os.tmpdir()) && path.basename(resolved).startsWith(COPY_PREFIX);
  if (!isCopy) {
    throw new Error(`removeTree: ${copy} is not a copy made by copyTree; not removing it`);
  }
  fs.rmSync(resolved, { recursive: true, force: true });
}
