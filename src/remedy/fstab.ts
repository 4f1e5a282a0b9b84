import type { Control } from '../catalog/types.js';
import { text } from '../core/text.js';
import { FSTAB_PATH, loadFstab } from '../model/fstab.js';
import { mangle, parseFstab, serializeFstab, unmangle, withFstabField } from '../parse/fstab.js';
import type { FstabEntry } from '../parse/fstab.js';
import type { RemedyContext } from './types.js';
import { appendLines } from './types.js';

const NEGATION: Record<string, string> = { nodev: 'dev', nosuid: 'suid', noexec: 'exec' };

/** Options with the wanted flags in effect: negations dropped, missing flags added at the end. */
function withOptions(options: string[], wanted: string[]): string[] {
  const negations = new Set(wanted.map((option) => NEGATION[option]).filter((value): value is string => value !== undefined));
  const kept = options.filter((option) => !negations.has(option));
  const lastDefaults = kept.lastIndexOf('defaults');
  for (const option of wanted) {
    const at = kept.lastIndexOf(option);
    // `defaults` after a flag turns it off again (mount applies options left to right).
    if (at < 0 || at < lastDefaults) kept.push(option);
  }
  return kept;
}

/** Line number of an invalid fstab line whose second word is the mount point, if there is one. */
function unreadableLineFor(source: string, mountpoint: string): number | undefined {
  const doc = parseFstab(source, FSTAB_PATH);
  const line = doc.lines.find((item) => item.kind === 'invalid' && unmangle(item.raw.trim().split(/[ \t]+/)[1] ?? '') === mountpoint);
  return line?.line;
}

/**
 * Give each mount point its flags in /etc/fstab. The existing line (the last one for the mount
 * point, which is the one mount uses) gets the options in place with its columns kept. A required
 * mount that has no line gets a tmpfs line.
 */
export function remedyMounts(controls: Control[], context: RemedyContext): void {
  const byMountpoint = new Map<string, { options: string[]; fstype?: string; requireEntry: boolean; ids: string[] }>();
  for (const control of controls) {
    if (control.check.kind !== 'mount') continue;
    const item = byMountpoint.get(control.check.mountpoint) ?? { options: [], requireEntry: false, ids: [] };
    for (const option of control.check.options) if (!item.options.includes(option)) item.options.push(option);
    if (control.check.fstype !== undefined) item.fstype = control.check.fstype;
    item.requireEntry ||= control.check.requireEntry;
    item.ids.push(control.id);
    byMountpoint.set(control.check.mountpoint, item);
  }
  if (byMountpoint.size === 0) return;

  for (const [mountpoint, wanted] of byMountpoint) {
    const model = loadFstab(context.overlay);
    const source = context.overlay.currentText(FSTAB_PATH) ?? '';
    const entry = model.entriesFor(mountpoint).at(-1);
    const reason = wanted.ids;

    if (entry === undefined) {
      if (!wanted.requireEntry) continue;
      const unreadable = unreadableLineFor(source, mountpoint);
      if (unreadable !== undefined) {
        // A second line for the mount point would stack a tmpfs over what the operator meant to mount there.
        context.notes.push({
          controlId: wanted.ids[0] as string,
          severity: 'warning',
          message: text(
            `${FSTAB_PATH}:${unreadable} names ${mountpoint} but cannot be read, so no line is added for it; fix that line by hand`,
            `${FSTAB_PATH}:${unreadable} は ${mountpoint} を指していますが読み取れないため、行を追加しません。その行を手で直してください`,
          ),
        });
        continue;
      }
      const line = `tmpfs ${mangle(mountpoint)} ${wanted.fstype ?? 'tmpfs'} ${wanted.options.join(',')} 0 0`;
      context.overlay.writeFile(FSTAB_PATH, appendLines(source, [line]), reason);
    } else {
      const doc = parseFstab(source, FSTAB_PATH);
      const index = doc.lines.findIndex((line) => line.kind === 'entry' && line.line === entry.line);
      const current = doc.lines[index] as FstabEntry;
      const options = withOptions(current.options, wanted.options);
      if (options.join(',') !== current.options.join(',')) {
        doc.lines[index] = withFstabField(current, 3, options.join(','));
        context.overlay.writeFile(FSTAB_PATH, serializeFstab(doc), reason);
      }
      if (current.options.includes('bind')) {
        context.notes.push({
          severity: 'info',
          message: text(
            `${mountpoint} is a bind mount of ${current.spec}: the flags are set on its own line, because a bind mount does not take them from its source`,
            `${mountpoint} は ${current.spec} のバインドマウントです。バインドマウントは元のフラグを引き継がないため、その行にもフラグを設定します`,
          ),
        });
      }
    }
    if (context.live) context.runtime.push({ kind: 'remount', mountpoint, options: wanted.options, controlId: wanted.ids[0] as string });
  }
}
