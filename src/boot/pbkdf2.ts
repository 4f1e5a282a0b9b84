import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * GRUB's password hashes: PBKDF2-HMAC-SHA512, written as
 * `grub.pbkdf2.sha512.<iterations>.<salt hex>.<hash hex>` with upper-case hex, the format
 * grub-mkpasswd-pbkdf2 prints and `password_pbkdf2` reads.
 */

/** grub-mkpasswd-pbkdf2's defaults (GRUB 2.06): 10000 iterations, 64-byte salt, 64-byte hash. */
export const GRUB_DEFAULT_ITERATIONS = 10000;
export const GRUB_SALT_BYTES = 64;
export const GRUB_HASH_BYTES = 64;

const FORMAT = /^grub\.pbkdf2\.sha512\.(\d+)\.([0-9A-Fa-f]+)\.([0-9A-Fa-f]+)$/;

export interface GrubPbkdf2 {
  iterations: number;
  salt: Buffer;
  hash: Buffer;
}

/** Hash `password` as grub-mkpasswd-pbkdf2 does; a random salt unless one is given. */
export function grubPbkdf2(password: string, iterations = GRUB_DEFAULT_ITERATIONS, salt: Buffer = randomBytes(GRUB_SALT_BYTES)): string {
  const hash = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, GRUB_HASH_BYTES, 'sha512');
  return `grub.pbkdf2.sha512.${iterations}.${salt.toString('hex').toUpperCase()}.${hash.toString('hex').toUpperCase()}`;
}

/** Split a `grub.pbkdf2.sha512.…` string; undefined when it is not in that format. */
export function parseGrubPbkdf2(value: string): GrubPbkdf2 | undefined {
  const match = FORMAT.exec(value);
  if (match === null) return undefined;
  const [, iterations = '', salt = '', hash = ''] = match;
  if (salt.length % 2 !== 0 || hash.length % 2 !== 0) return undefined;
  return { iterations: Number(iterations), salt: Buffer.from(salt, 'hex'), hash: Buffer.from(hash, 'hex') };
}

/** Check `password` against a `grub.pbkdf2.sha512.…` string by recomputing it with the stored salt. */
export function verifyGrubPbkdf2(password: string, value: string): boolean {
  const parsed = parseGrubPbkdf2(value);
  if (parsed === undefined || parsed.iterations < 1 || parsed.hash.length === 0) return false;
  const computed = pbkdf2Sync(Buffer.from(password, 'utf8'), parsed.salt, parsed.iterations, parsed.hash.length, 'sha512');
  return timingSafeEqual(computed, parsed.hash);
}
