import type { Control } from '../catalog/types.js';
import { text } from '../core/text.js';
import { scanTreeSync } from '../scan/scan.js';
import { removeSetIdBits } from '../scan/setid.js';
import type { RemedyContext } from './types.js';

/**
 * Remove the SUID and SGID bits from programs that give a shell or file access when set-id
 * (shells, interpreters, editors, find). Other unexpected set-id files, world-writable files and
 * orphans need the operator's judgement, so the plan lists them instead.
 */
export function remedyFileScan(controls: Control[], context: RemedyContext): void {
  const setid = controls.find((control) => control.check.kind === 'file-scan' && control.check.list === 'setid');
  if (setid === undefined) return;
  const result = scanTreeSync({ root: context.overlay.root });
  const escapes = [...result.suid, ...result.sgid].filter((entry) => entry.shellEscape === true);
  const unique = [...new Map(escapes.map((entry) => [entry.path, entry])).values()];
  for (const change of removeSetIdBits(unique, ['suid', 'sgid'])) {
    context.overlay.setMode(change.path, change.mode as number, setid.id);
    context.notes.push({
      controlId: setid.id,
      severity: 'info',
      message: text(`${change.path}: ${change.reason?.en ?? ''}; it can start a shell when set-id`, `${change.path}: ${change.reason?.ja ?? ''}。set-id ではシェルを起動できます`),
    });
  }
}
