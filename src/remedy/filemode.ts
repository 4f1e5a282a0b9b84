import type { Control } from '../catalog/types.js';
import { text } from '../core/text.js';
import { loadAccounts } from '../model/accounts.js';
import type { RemedyContext } from './types.js';

/** Take away the permission bits the control does not allow, and set the owner (and group) it names. */
export function remedyFileModes(controls: Control[], context: RemedyContext): void {
  const accounts = loadAccounts(context.overlay);
  for (const control of controls) {
    if (control.check.kind !== 'file-mode') continue;
    const check = control.check;
    const stat = context.overlay.stat(check.path);
    if (stat === undefined || !stat.isFile()) continue;
    const mode = stat.mode & 0o7777;
    // An allowance (Debian's /etc/shadow 0640 root:shadow) is kept when the file already uses its group.
    const allowance = check.allow?.find((item) => accounts.gid(item.group) === stat.gid);
    const maxMode = allowance?.maxMode ?? check.maxMode;
    const newMode = mode & maxMode;
    const uid = accounts.uid(check.owner);
    const wantedGroup = allowance === undefined ? check.group : allowance.group;
    const gid = wantedGroup === undefined ? undefined : accounts.gid(wantedGroup);
    if (uid === undefined) {
      context.notes.push({ controlId: control.id, severity: 'warning', message: text(`user ${check.owner} is not in the target's /etc/passwd; the owner of ${check.path} is left as it is`, `ユーザー ${check.owner} が対象の /etc/passwd にありません。${check.path} の所有者は変更しません`) });
    }
    const owner: { uid?: number; gid?: number } = {};
    if (uid !== undefined) owner.uid = uid;
    if (gid !== undefined) owner.gid = gid;
    context.overlay.setMode(check.path, newMode, control.id, owner);
  }
}
