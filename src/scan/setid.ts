import { text } from '../core/text.js';
import type { FileChange } from '../txn/types.js';
import type { ScanEntry } from './types.js';

export type SetIdBit = 'suid' | 'sgid';

/**
 * Turn "remove the SUID and/or SGID bit of these files" into mode-only file changes (content
 * absent) for the transaction layer, whose rollback restores the old modes. Files that do not
 * have the bit are left out. Paths that are not valid UTF-8 are left out too, because
 * transaction paths are strings.
 */
export function removeSetIdBits(entries: readonly ScanEntry[], bits: readonly SetIdBit[]): FileChange[] {
  let mask = 0;
  if (bits.includes('suid')) mask |= 0o4000;
  if (bits.includes('sgid')) mask |= 0o2000;
  const changes: FileChange[] = [];
  for (const entry of entries) {
    const permissions = entry.mode & 0o7777;
    if ((permissions & mask) === 0 || entry.pathBase64 !== undefined) continue;
    const mode = permissions & ~mask;
    const removed = [(permissions & mask & 0o4000) !== 0 ? 'SUID' : '', (permissions & mask & 0o2000) !== 0 ? 'SGID' : ''].filter((bit) => bit !== '').join('/');
    changes.push({
      path: entry.path,
      mode,
      reason: text(`remove the ${removed} bit (mode ${permissions.toString(8).padStart(4, '0')} -> ${mode.toString(8).padStart(4, '0')})`, `${removed} ビットを外します(モード ${permissions.toString(8).padStart(4, '0')} -> ${mode.toString(8).padStart(4, '0')})`),
    });
  }
  return changes;
}
