import { text } from '../core/text.js';
import type { Finding, LintInput, Linter } from '../lint/types.js';
import { GRUB_DEFAULT_ITERATIONS, parseGrubPbkdf2 } from './pbkdf2.js';

/**
 * Linter for the password settings of GRUB files: grub.cfg and the grub.d scripts that
 * grub-mkconfig copies into it, such as 40_custom.
 */

/** Characters GRUB splits the superusers list on: its grub_iswordseparator takes white space, ',', ';', '|' and '&'. */
const USER_SEPARATORS = /[ ,;|&]+/;

interface Assignment {
  users: string[];
  line: number;
  raw: string;
}

function unquote(value: string): string {
  const trimmed = value.trim();
  if (trimmed.length >= 2 && (trimmed[0] === '"' || trimmed[0] === "'") && trimmed.endsWith(trimmed[0])) return trimmed.slice(1, -1);
  return trimmed;
}

function add(findings: Finding[], path: string, line: number, code: string, severity: Finding['severity'], value: string, message: Finding['message']): void {
  findings.push({ path, line, code, severity, value, message });
}

/** Lint the superuser and password lines of a GRUB file. */
export function lintGrub(content: string, path: string): Finding[] {
  const findings: Finding[] = [];
  const lines = content.split('\n');
  let superusers: Assignment | undefined;
  const passwords = new Map<string, number>();
  let menuEntries = 0;
  let unrestrictedEntries = 0;

  if (lines[0]?.startsWith('#!') === true && !/^exec tail -n \+3 \$0\s*$/.test(lines[1] ?? '')) {
    add(findings, path, 2, 'grub.custom-header', 'error', lines[1] ?? '',
      text('a grub.d script must print its GRUB lines: put "exec tail -n +3 $0" on line 2, or grub-mkconfig runs them as shell commands and grub.cfg never gets them',
        'grub.d のスクリプトは GRUB の行を出力する必要があります。2 行目に "exec tail -n +3 $0" を置いてください。ないと grub-mkconfig はそれらをシェルのコマンドとして実行し、grub.cfg に入りません'));
  }

  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || trimmed === '') return;

    const users = /^set\s+superusers\s*=\s*(.*)$/.exec(trimmed);
    if (users !== null) {
      superusers = { users: unquote(users[1] ?? '').split(USER_SEPARATORS).filter((user) => user !== ''), line, raw: trimmed };
      return;
    }

    if (/^menuentry\s/.test(trimmed)) {
      menuEntries++;
      if (/\s--unrestricted(\s|$)/.test(trimmed)) unrestrictedEntries++;
      return;
    }

    const words = trimmed.split(/\s+/);
    if (words[0] === 'password') {
      add(findings, path, line, 'grub.clear-text-password', 'error', words[1] ?? '',
        text('the password command stores the password in clear text; use password_pbkdf2 with a hash from generate grub-password', 'password コマンドはパスワードを平文で保存します。generate grub-password で作ったハッシュと password_pbkdf2 を使ってください'));
      if (words[1] !== undefined) passwords.set(words[1], line);
      return;
    }
    if (words[0] !== 'password_pbkdf2') return;

    const [, user, hash, extra] = words;
    const parsed = hash === undefined ? undefined : parseGrubPbkdf2(hash);
    if (user === undefined || parsed === undefined || extra !== undefined || parsed.iterations < 1 || parsed.hash.length === 0) {
      add(findings, path, line, 'grub.malformed-pbkdf2', 'error', trimmed,
        text('expected "password_pbkdf2 USER grub.pbkdf2.sha512.ITERATIONS.SALT.HASH"; GRUB rejects this line, so the user has no password', '"password_pbkdf2 ユーザー grub.pbkdf2.sha512.回数.ソルト.ハッシュ" の形式ではありません。GRUB はこの行を拒否するため、ユーザーにパスワードがありません'));
      return;
    }
    passwords.set(user, line);
    if (parsed.iterations < GRUB_DEFAULT_ITERATIONS) {
      add(findings, path, line, 'grub.low-iterations', 'warning', String(parsed.iterations),
        text(`${parsed.iterations} PBKDF2 iterations is below grub-mkpasswd-pbkdf2's default of ${GRUB_DEFAULT_ITERATIONS}, which makes guessing the password from the hash cheaper`,
          `PBKDF2 の反復回数 ${parsed.iterations} は grub-mkpasswd-pbkdf2 の既定値 ${GRUB_DEFAULT_ITERATIONS} より少なく、ハッシュからパスワードを推測しやすくなります`));
    }
  });

  if (superusers === undefined) {
    if (passwords.size > 0) {
      const line = Math.min(...passwords.values());
      add(findings, path, line, 'grub.no-superusers', 'warning', '',
        text('passwords are set but no superusers: GRUB asks for no password unless "set superusers=" names a user', 'パスワードはありますが superusers がありません。"set superusers=" でユーザーを指定しない限り、GRUB はパスワードを求めません'));
    }
    return findings;
  }

  const assignment: Assignment = superusers;
  if (assignment.users.length === 0) {
    add(findings, path, assignment.line, 'grub.empty-superusers', 'warning', assignment.raw,
      text('superusers is empty, so anyone can edit menu entries and use the GRUB shell', 'superusers が空のため、誰でもメニュー項目の編集や GRUB シェルの利用ができます'));
  }
  for (const user of assignment.users) {
    if (passwords.has(user)) continue;
    add(findings, path, assignment.line, 'grub.superuser-without-password', 'error', user,
      text(`superuser ${user} has no password_pbkdf2 line in this file`, `superuser ${user} の password_pbkdf2 行がこのファイルにありません`));
  }
  if (menuEntries > 0 && unrestrictedEntries === 0) {
    add(findings, path, assignment.line, 'grub.every-boot-asks', 'info', String(menuEntries),
      text('no menu entry has --unrestricted, so every boot waits for the password; this is intended only when the site wants that', 'どのメニュー項目にも --unrestricted がないため、起動のたびにパスワード入力を待ちます。それを意図する場合だけの設定です'));
  }
  return findings;
}

function detectGrub(content: string): number {
  if (/^### BEGIN \/etc\/grub\.d\//m.test(content)) return 0.95;
  if (/^\s*(password_pbkdf2|set\s+superusers\s*=)/m.test(content)) return 0.9;
  if (/^\s*menuentry\s/m.test(content)) return 0.8;
  return 0;
}

export const grubLinter: Linter = {
  type: 'grub',
  description: text('GRUB configuration (grub.cfg, /etc/grub.d/40_custom)', 'GRUB の設定(grub.cfg、/etc/grub.d/40_custom)'),
  detect: (content) => detectGrub(content),
  lint: (input: LintInput) => lintGrub(input.content, input.path),
};
