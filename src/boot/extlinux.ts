import { randomBytes } from 'node:crypto';
import { encrypt, verify } from 'unixcrypt';
import { text } from '../core/text.js';
import type { Text } from '../core/text.js';
import { RootFs } from '../target/rootfs.js';
import type { FileChange } from '../txn/index.js';

/**
 * The extlinux equivalent of the GRUB password, as Alpine's syslinux package does it:
 * `password='<crypt hash>'` in /etc/update-extlinux.conf makes update-extlinux write
 * `NOESCAPE 1` and `MENU MASTER PASSWD <hash>` into /boot/extlinux.conf. Entries then boot
 * without the password, but cannot be edited at the boot prompt without it.
 */

export const UPDATE_EXTLINUX_CONF = '/etc/update-extlinux.conf';
export const EXTLINUX_CONF_PATHS = ['/boot/extlinux.conf', '/boot/extlinux/extlinux.conf'];

const CRYPT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Hash a password with SHA-512 crypt (`$6$`), which Syslinux's menu accepts for MENU MASTER PASSWD. */
export function sha512Crypt(password: string): string {
  const salt = [...randomBytes(16)].map((byte) => CRYPT_ALPHABET[byte % 64]).join('');
  return encrypt(password, `$6$${salt}`);
}

/** Find the `password=` value of update-extlinux.conf, without its quotes; undefined when unset or empty. */
export function extlinuxPassword(conf: string): { value: string; line: number } | undefined {
  let found: { value: string; line: number } | undefined;
  conf.split('\n').forEach((raw, index) => {
    const match = /^\s*password=(['"]?)(.*)\1\s*$/.exec(raw);
    if (match !== null) found = { value: match[2] ?? '', line: index + 1 };
  });
  return found === undefined || found.value === '' ? undefined : found;
}

/** Find the hash of `MENU MASTER PASSWD` in extlinux.conf; undefined when there is none. */
export function extlinuxMasterPassword(conf: string): { value: string; line: number } | undefined {
  let found: { value: string; line: number } | undefined;
  conf.split('\n').forEach((raw, index) => {
    const match = /^\s*MENU\s+MASTER\s+PASSWD\s+(\S+)\s*$/i.exec(raw);
    if (match !== null) found = { value: match[1] ?? '', line: index + 1 };
  });
  return found;
}

/** Set `password='hash'` in update-extlinux.conf, replacing the last assignment or appending one. */
export function setUpdateExtlinuxPassword(conf: string, hash: string): string {
  const lines = conf.replace(/\n$/, '').split('\n');
  let last = -1;
  lines.forEach((line, index) => {
    if (/^\s*password=/.test(line)) last = index;
  });
  const assignment = `password='${hash}'`;
  if (last === -1) lines.push(assignment);
  else lines[last] = assignment;
  return lines.join('\n') + '\n';
}

/**
 * Put `NOESCAPE 1` and `MENU MASTER PASSWD` into extlinux.conf as update-extlinux would:
 * replace an existing master password line in place, or insert both before MENU SEPARATOR.
 */
export function setExtlinuxMasterPassword(conf: string, hash: string): string {
  const lines = conf.replace(/\n$/, '').split('\n');
  const master = `MENU MASTER PASSWD ${hash}`;
  const hasNoEscape = lines.some((line) => /^\s*NOESCAPE\s+1\s*$/i.test(line));
  const existing = lines.findIndex((line) => /^\s*MENU\s+MASTER\s+PASSWD\b/i.test(line));
  if (existing !== -1) {
    lines.splice(existing, 1, ...(hasNoEscape ? [master] : ['NOESCAPE 1', master]));
    return lines.join('\n') + '\n';
  }
  const directives = hasNoEscape ? [master, ''] : ['NOESCAPE 1', master, ''];
  const separator = lines.findIndex((line) => /^\s*MENU\s+SEPARATOR\b/i.test(line));
  if (separator === -1) lines.push(...directives.slice(0, -1));
  else lines.splice(separator, 0, ...directives);
  return lines.join('\n') + '\n';
}

export interface ExtlinuxInstallPlan {
  changes: FileChange[];
  notes: Text[];
}

/**
 * Plan the extlinux password: update-extlinux.conf (mode 0600, since the hash can be attacked
 * offline) and, when it exists, extlinux.conf itself, so the password takes effect before the next
 * update-extlinux run. A hash that already matches the password is kept.
 */
export function planExtlinuxInstall(root: string, password: string): ExtlinuxInstallPlan {
  const rootFs = new RootFs(root);
  const notes: Text[] = [];
  const conf = rootFs.readTextIfExists(UPDATE_EXTLINUX_CONF)?.text ?? '';
  const current = extlinuxPassword(conf)?.value;
  const hash = current !== undefined && current.startsWith('$') && verify(password, current) ? current : sha512Crypt(password);

  const changes: FileChange[] = [
    { path: UPDATE_EXTLINUX_CONF, content: setUpdateExtlinuxPassword(conf, hash), mode: 0o600, reason: text('extlinux boot menu password', 'extlinux のブートメニューのパスワード') },
  ];
  const extlinuxConf = EXTLINUX_CONF_PATHS.find((candidate) => rootFs.exists(candidate));
  if (extlinuxConf === undefined) {
    notes.push(text('no /boot/extlinux.conf yet: update-extlinux writes the password into it when it next runs', '/boot/extlinux.conf がまだありません。次に update-extlinux を実行したときにパスワードが書き込まれます'));
    return { changes, notes };
  }
  const existing = rootFs.readText(extlinuxConf).text;
  changes.push({ path: extlinuxConf, content: setExtlinuxMasterPassword(existing, hash), mode: 0o600, reason: text('MENU MASTER PASSWD, as update-extlinux writes it', 'update-extlinux が書くのと同じ MENU MASTER PASSWD') });
  return { changes, notes };
}
