import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where scripts/install-test-deps.sh unpacks Debian's docker.io package (never installed, so no daemon exists). */
export const DOCKER_IO_DIR = '/var/cache/kimigayo-harden/docker.io';

/** Path of a file of the unpacked docker.io package; fails with the fix when it is missing. */
export function dockerIoFile(relative: string): string {
  const file = path.join(DOCKER_IO_DIR, relative);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing; run scripts/install-test-deps.sh as root to unpack docker.io`);
  return file;
}
