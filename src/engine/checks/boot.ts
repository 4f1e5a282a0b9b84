import { text } from '../../core/text.js';
import type { Evaluator } from '../context.js';
import { problemsOutcome } from '../context.js';
import type { Evidence } from '../types.js';
import { fail, notApplicable, pass } from '../types.js';

const CUSTOM = '/etc/grub.d/40_custom';
const GRUB_CFG = ['/boot/grub/grub.cfg', '/boot/grub2/grub.cfg'];
const EXTLINUX = ['/boot/extlinux.conf', '/boot/extlinux/extlinux.conf', '/etc/update-extlinux.conf'];

/** `grub.pbkdf2.sha512.<iterations>.<salt hex>.<hash hex>` as grub-mkpasswd-pbkdf2 prints it. */
const PBKDF2 = /^\s*password_pbkdf2\s+(\S+)\s+grub\.pbkdf2\.sha512\.(\d+)\.([0-9A-Fa-f]+)\.([0-9A-Fa-f]+)\s*$/;
const SUPERUSERS = /^\s*set\s+superusers\s*=\s*["']?([^"'\s]+)/;

const EXPECTED_PASSWORD = text('superusers and password_pbkdf2', 'superusers と password_pbkdf2');

export interface GrubPasswordFacts {
  superusers?: { user: string; line: number };
  passwords: { user: string; line: number }[];
  malformed: { line: number; raw: string }[];
}

export function grubPasswordFacts(source: string): GrubPasswordFacts {
  const facts: GrubPasswordFacts = { passwords: [], malformed: [] };
  source.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim().startsWith('#')) return;
    const users = SUPERUSERS.exec(raw);
    if (users !== null) facts.superusers = { user: users[1] as string, line };
    if (/^\s*password_pbkdf2\b/.test(raw)) {
      const match = PBKDF2.exec(raw);
      if (match === null) facts.malformed.push({ line, raw: raw.trim() });
      else facts.passwords.push({ user: match[1] as string, line });
    }
  });
  return facts;
}

export const evaluateGrubPassword: Evaluator<'grub-password'> = (check, _control, context) => {
  const fs = context.target.fs;
  const hasGrub = fs.isDirectory('/etc/grub.d') || GRUB_CFG.some((path) => fs.exists(path));
  if (!hasGrub) {
    const extlinux = EXTLINUX.find((path) => fs.exists(path));
    return notApplicable(
      extlinux === undefined
        ? text('GRUB is not installed on this target (no /etc/grub.d, no grub.cfg)', 'このターゲットには GRUB がありません(/etc/grub.d も grub.cfg もありません)')
        : text(`this target boots with extlinux (${extlinux}), not GRUB`, `このターゲットは GRUB ではなく extlinux(${extlinux})で起動します`),
    );
  }

  const path = check.file === 'custom' ? CUSTOM : GRUB_CFG.find((candidate) => fs.exists(candidate)) ?? (GRUB_CFG[0] as string);
  const read = context.readText(path);
  if (read.problem !== undefined) return problemsOutcome([read.problem]);
  if (read.text === undefined) {
    return fail(
      check.file === 'custom'
        ? text(`${path} does not exist; add the superuser and password_pbkdf2 there`, `${path} がありません。そこに superusers と password_pbkdf2 を追加してください`)
        : text(`${path} does not exist; run grub-mkconfig -o ${path}`, `${path} がありません。grub-mkconfig -o ${path} を実行してください`),
      [{ path }],
      { expected: EXPECTED_PASSWORD, actual: text('missing file', 'ファイルなし') },
    );
  }

  const facts = grubPasswordFacts(read.text);
  const evidence: Evidence[] = [];
  if (facts.superusers !== undefined) evidence.push({ path, line: facts.superusers.line, detail: `superusers=${facts.superusers.user}` });
  for (const password of facts.passwords) evidence.push({ path, line: password.line, detail: `password_pbkdf2 ${password.user}` });
  const malformed = facts.malformed[0];
  if (malformed !== undefined) {
    return fail(
      text(
        `${path}:${malformed.line}: password_pbkdf2 line is not "password_pbkdf2 USER grub.pbkdf2.sha512.ITERATIONS.SALT.HASH"; regenerate it with grub-mkpasswd-pbkdf2`,
        `${path}:${malformed.line}: password_pbkdf2 の行が "password_pbkdf2 ユーザー grub.pbkdf2.sha512.回数.ソルト.ハッシュ" の形式ではありません。grub-mkpasswd-pbkdf2 で作り直してください`,
      ),
      [...evidence, { path, line: malformed.line, detail: malformed.raw }],
      { expected: EXPECTED_PASSWORD, actual: text('malformed password_pbkdf2', 'password_pbkdf2 の形式誤り') },
    );
  }
  const superuser = facts.superusers?.user;
  const hasPassword = superuser !== undefined && facts.passwords.some((password) => password.user === superuser);
  if (hasPassword) return pass(evidence, { expected: EXPECTED_PASSWORD, actual: `superusers=${superuser}` });
  return fail(
    superuser === undefined
      ? text(`${path} sets no superusers`, `${path} に superusers の設定がありません`)
      : text(`${path} has no password_pbkdf2 line for superuser ${superuser}`, `${path} に superuser ${superuser} の password_pbkdf2 行がありません`),
    evidence,
    { expected: EXPECTED_PASSWORD, actual: superuser === undefined ? text('no superusers', 'superusers なし') : text('no password', 'パスワードなし') },
  );
};
