import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { sha512Crypt } from '../../src/boot/extlinux.js';
import { GRUB_DEFAULT_ITERATIONS, GRUB_HASH_BYTES, GRUB_SALT_BYTES, grubPbkdf2, parseGrubPbkdf2, verifyGrubPbkdf2 } from '../../src/boot/pbkdf2.js';

/** Run Debian's grub-mkpasswd-pbkdf2, which reads the password twice from standard input. */
function grubMkpasswd(password: string, args: string[] = []): string {
  const output = execFileSync('grub-mkpasswd-pbkdf2', args, { input: `${password}\n${password}\n`, encoding: 'utf8' });
  const match = /(grub\.pbkdf2\.sha512\.\S+)/.exec(output);
  assert.ok(match, output);
  return match[1] as string;
}

const missingGrub = spawnSync('grub-mkpasswd-pbkdf2', ['--help']).error === undefined ? undefined : 'grub-mkpasswd-pbkdf2 not found';

describe('GRUB PBKDF2 against grub-mkpasswd-pbkdf2', { skip: missingGrub }, () => {
  for (const password of ['correct horse battery staple', 'パスワード', 'x']) {
    test(`same hash from its salt: ${password}`, () => {
      const theirs = grubMkpasswd(password, ['-c', '1000']);
      const parsed = parseGrubPbkdf2(theirs);
      assert.ok(parsed);
      assert.equal(grubPbkdf2(password, parsed.iterations, parsed.salt), theirs);
    });
  }

  test('defaults match the tool', () => {
    const parsed = parseGrubPbkdf2(grubMkpasswd('defaults'));
    assert.ok(parsed);
    assert.equal(parsed.iterations, GRUB_DEFAULT_ITERATIONS);
    assert.equal(parsed.salt.length, GRUB_SALT_BYTES);
    assert.equal(parsed.hash.length, GRUB_HASH_BYTES);
  });

  test('verify accepts the tool output', () => {
    const theirs = grubMkpasswd('s3cret', ['-c', '1000']);
    assert.equal(verifyGrubPbkdf2('s3cret', theirs), true);
    assert.equal(verifyGrubPbkdf2('s3cret ', theirs), false);
  });
});

describe('GRUB PBKDF2 format', () => {
  test('upper-case hex, sizes', () => {
    const hash = grubPbkdf2('pw', 1000);
    assert.match(hash, /^grub\.pbkdf2\.sha512\.1000\.[0-9A-F]{128}\.[0-9A-F]{128}$/);
  });

  test('fresh salt each time', () => {
    assert.notEqual(grubPbkdf2('pw', 1000), grubPbkdf2('pw', 1000));
  });

  test('malformed strings rejected', () => {
    assert.equal(parseGrubPbkdf2('grub.pbkdf2.sha512.10000.ABC.DEF0'), undefined);
    assert.equal(parseGrubPbkdf2('grub.pbkdf2.sha256.10000.AB.CD'), undefined);
    assert.equal(verifyGrubPbkdf2('pw', 'grub.pbkdf2.sha512.0.AB.CD'), false);
  });
});

const missingOpenssl = spawnSync('openssl', ['version']).error === undefined ? undefined : 'openssl not found';

describe('SHA-512 crypt for extlinux', { skip: missingOpenssl }, () => {
  test('same as openssl passwd -6', () => {
    const ours = sha512Crypt('boot pw');
    const salt = ours.split('$')[2] as string;
    assert.match(salt, /^[./0-9A-Za-z]{16}$/);
    const theirs = execFileSync('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], { input: 'boot pw\n', encoding: 'utf8' }).trim();
    assert.equal(ours, theirs);
  });
});
