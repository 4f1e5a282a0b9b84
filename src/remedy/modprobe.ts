import type { Control } from '../catalog/types.js';
import { text } from '../core/text.js';
import { parseModprobe, serializeModprobe } from '../parse/modprobe.js';
import type { RemedyContext } from './types.js';
import { appendLines } from './types.js';

export const MODPROBE_FILE = '/etc/modprobe.d/kimigayo-harden.conf';
const HEADER = '# Kernel modules the Kimigayo OS hardening guide disables, kept by kimigayo-harden.\n# "install <module> /bin/true" stops every load, including "modprobe <module>".\n';

/** Disable each module with an install line (and a blacklist line against alias loading), unless the profile keeps it. */
export function remedyModules(controls: Control[], context: RemedyContext): void {
  const keep = new Set((context.profile.keepModules ?? []).map((name) => name.replace(/-/g, '_')));
  let source = context.overlay.currentText(MODPROBE_FILE) ?? HEADER;
  const ids: string[] = [];
  for (const control of controls) {
    if (control.check.kind !== 'module') continue;
    const name = control.check.module;
    if (keep.has(name.replace(/-/g, '_'))) {
      context.notes.push({ controlId: control.id, severity: 'info', message: text(`${name} is kept: the profile lists it in keepModules`, `${name} はプロファイルの keepModules にあるため残します`) });
      continue;
    }
    const doc = parseModprobe(source, MODPROBE_FILE);
    const has = (command: string): boolean => doc.lines.some((line) => line.kind === 'command' && line.command === command && line.module === name.replace(/-/g, '_'));
    const added: string[] = [];
    if (!has('install')) added.push(`install ${name} /bin/true`);
    if (!has('blacklist')) added.push(`blacklist ${name}`);
    if (added.length === 0) continue;
    source = appendLines(serializeModprobe(doc), added);
    ids.push(control.id);
  }
  if (ids.length > 0) context.overlay.writeFile(MODPROBE_FILE, source, ids);
}
