import { extlinuxMasterPassword, extlinuxPassword, EXTLINUX_CONF_PATHS, UPDATE_EXTLINUX_CONF } from '../../boot/extlinux.js';
import { lintGrub } from '../../boot/lint.js';
import { text } from '../../core/text.js';
import type { AuditContext, Evaluator } from '../context.js';
import { problemsOutcome } from '../context.js';
import type { Evidence } from '../types.js';
import type { Outcome } from '../types.js';
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
  passwords: { user: string; line: number; hash: string }[];
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
      else facts.passwords.push({ user: match[1] as string, line, hash: `grub.pbkdf2.sha512.${match[2] as string}.${match[3] as string}.${match[4] as string}` });
    }
  });
  return facts;
}

export const evaluateGrubPassword: Evaluator<'grub-password'> = (check, _control, context) => {
  const fs = context.target.fs;
  const hasGrub = fs.isDirectory('/etc/grub.d') || GRUB_CFG.some((path) => fs.exists(path));
  if (!hasGrub) {
    const extlinux = EXTLINUX.find((path) => fs.exists(path));
    if (extlinux === undefined) {
      return notApplicable(text('no boot loader on this target (no /etc/grub.d, grub.cfg or extlinux configuration)', 'このターゲットにはブートローダーがありません(/etc/grub.d、grub.cfg、extlinux の設定のいずれもありません)'));
    }
    return evaluateExtlinuxPassword(check.file, context);
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

  // Without "exec tail -n +3 $0" grub-mkconfig runs 40_custom's lines as shell commands, so
  // its password never reaches grub.cfg however well-formed it is.
  const header = check.file === 'custom' ? lintGrub(read.text, path).find((finding) => finding.code === 'grub.custom-header') : undefined;
  if (header !== undefined) {
    return fail(header.message, [{ path, line: 2, detail: header.value ?? '' }], { expected: 'exec tail -n +3 $0', actual: header.value ?? '' });
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
  const password = superuser === undefined ? undefined : facts.passwords.filter((item) => item.user === superuser).at(-1);
  if (password !== undefined && check.file === 'cfg') {
    const stale = staleGrubCfg(context, path, superuser as string, password.hash);
    if (stale !== undefined) return stale;
  }
  if (password !== undefined) return pass(evidence, { expected: EXPECTED_PASSWORD, actual: `superusers=${superuser as string}` });
  return fail(
    superuser === undefined
      ? text(`${path} sets no superusers`, `${path} に superusers の設定がありません`)
      : text(`${path} has no password_pbkdf2 line for superuser ${superuser}`, `${path} に superuser ${superuser} の password_pbkdf2 行がありません`),
    evidence,
    { expected: EXPECTED_PASSWORD, actual: superuser === undefined ? text('no superusers', 'superusers なし') : text('no password', 'パスワードなし') },
  );
};

/** Fail when 40_custom sets another password for the superuser than grub.cfg: grub-mkconfig has not run since. */
function staleGrubCfg(context: AuditContext, cfgPath: string, superuser: string, cfgHash: string): Outcome | undefined {
  const custom = context.readText(CUSTOM);
  if (custom.text === undefined) return undefined;
  const customFacts = grubPasswordFacts(custom.text);
  const customPassword = customFacts.superusers?.user === superuser ? customFacts.passwords.filter((item) => item.user === superuser).at(-1) : undefined;
  if (customPassword === undefined || customPassword.hash === cfgHash) return undefined;
  return fail(
    text(
      `${cfgPath} has an older password for ${superuser} than ${CUSTOM}:${customPassword.line}; run grub-mkconfig -o ${cfgPath}`,
      `${cfgPath} の ${superuser} のパスワードは ${CUSTOM}:${customPassword.line} より古いものです。grub-mkconfig -o ${cfgPath} を実行してください`,
    ),
    [{ path: cfgPath }, { path: CUSTOM, line: customPassword.line }],
    { expected: EXPECTED_PASSWORD, actual: text('stale grub.cfg', '古い grub.cfg') },
  );
}

/**
 * Judge the extlinux equivalent: `password=` in update-extlinux.conf (the "custom" file) and
 * `MENU MASTER PASSWD` in the extlinux.conf that update-extlinux generates (the "cfg" file).
 */
function evaluateExtlinuxPassword(file: 'custom' | 'cfg', context: AuditContext): Outcome {
  const fs = context.target.fs;
  const path = file === 'custom' ? UPDATE_EXTLINUX_CONF : EXTLINUX_CONF_PATHS.find((candidate) => fs.exists(candidate)) ?? (EXTLINUX_CONF_PATHS[0] as string);
  const expected = file === 'custom' ? "password='<SHA-512 crypt hash>'" : 'MENU MASTER PASSWD';
  const read = context.readText(path);
  if (read.problem !== undefined) return problemsOutcome([read.problem]);
  if (read.text === undefined) {
    return fail(text(`${path} does not exist; set the password with generate grub-password --install`, `${path} がありません。generate grub-password --install でパスワードを設定してください`), [{ path }], { expected, actual: text('missing file', 'ファイルなし') });
  }
  const found = file === 'custom' ? extlinuxPassword(read.text) : extlinuxMasterPassword(read.text);
  if (found === undefined) {
    return fail(
      file === 'custom'
        ? text(`${path} sets no password, so anyone at the console can edit the kernel command line`, `${path} に password がないため、コンソールから誰でもカーネルのコマンドラインを編集できます`)
        : text(`${path} has no MENU MASTER PASSWD; run update-extlinux after setting password= in ${UPDATE_EXTLINUX_CONF}`, `${path} に MENU MASTER PASSWD がありません。${UPDATE_EXTLINUX_CONF} に password= を設定してから update-extlinux を実行してください`),
      [{ path }],
      { expected, actual: text('no password', 'パスワードなし') },
    );
  }
  if (!found.value.startsWith('$')) {
    return fail(text(`${path}:${found.line}: the password is in clear text; use a SHA-512 crypt hash ($6$…)`, `${path}:${found.line}: パスワードが平文です。SHA-512 crypt のハッシュ($6$…)を使ってください`), [{ path, line: found.line }], { expected, actual: text('clear text password', '平文のパスワード') });
  }
  return pass([{ path, line: found.line }], { expected, actual: found.value.slice(0, 3) + '…' });
}
