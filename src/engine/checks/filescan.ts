import { text } from '../../core/text.js';
import type { Text } from '../../core/text.js';
import { displayPath, entryLine } from '../../scan/render.js';
import { scanTreeSync } from '../../scan/scan.js';
import type { ScanEntry, ScanResult } from '../../scan/types.js';
import type { AuditContext, Evaluator } from '../context.js';
import type { Evidence } from '../types.js';
import { fail, notApplicable, pass } from '../types.js';

/** Evidence lines per control; `kimigayo-harden scan` lists every entry. */
const MAX_EVIDENCE = 20;

/** Scan the target once per audit, in the audit's thread; the four file-scan controls share the result. */
function scanResult(context: AuditContext): ScanResult {
  return context.model('file-scan', () => scanTreeSync({ root: context.target.fs.root }));
}

function evidenceOf(entries: ScanEntry[]): Evidence[] {
  return entries.slice(0, MAX_EVIDENCE).map((entry) => ({ path: displayPath(entry), detail: entryLine(entry) }));
}

function failWith(entries: ScanEntry[], what: Text, expected: Text): ReturnType<typeof fail> {
  const shown = entries.slice(0, 5).map(displayPath).join(', ');
  const more = entries.length > 5 ? ` …` : '';
  return fail(
    text(`${entries.length} ${what.en}: ${shown}${more} (kimigayo-harden scan lists them all)`, `${what.ja} ${entries.length} 件: ${shown}${more}(kimigayo-harden scan ですべて表示できます)`),
    evidenceOf(entries),
    { expected, actual: String(entries.length) },
  );
}

export const evaluateFileScan: Evaluator<'file-scan'> = (check, _control, context) => {
  const result = scanResult(context);
  const none = text('none', 'なし');
  switch (check.list) {
    case 'setid': {
      const unexpected = new Map<string, ScanEntry>();
      for (const entry of [...result.suid, ...result.sgid]) {
        if (entry.expected !== true || entry.shellEscape === true) unexpected.set(entry.pathBase64 ?? entry.path, entry);
      }
      // The scan reads the disk; the plan's overlay may already have taken the bits away.
      for (const [key, entry] of unexpected) {
        if (entry.pathBase64 !== undefined) continue;
        const mode = context.target.fs.lstat(entry.path)?.mode;
        if (mode !== undefined && (mode & 0o6000) === 0) unexpected.delete(key);
      }
      const entries = [...unexpected.values()];
      const expected = text('only the set-id programs on the allow-list of this OS family', 'この OS ファミリーの許可リストにある set-id プログラムだけ');
      if (entries.length === 0) return pass(evidenceOf([...result.suid, ...result.sgid]), { expected, actual: String(result.suid.length + result.sgid.length) });
      return failWith(entries, text('SUID/SGID files not on the allow-list or able to start a shell', '許可リストにない、またはシェルを起動できる SUID/SGID ファイル'), expected);
    }
    case 'world-writable':
      return result.worldWritable.length === 0 ? pass([], { expected: none, actual: '0' }) : failWith(result.worldWritable, text('world-writable files', '誰でも書き込めるファイル'), none);
    case 'world-writable-dirs':
      return result.worldWritableDirs.length === 0
        ? pass([], { expected: none, actual: '0' })
        : failWith(result.worldWritableDirs, text('world-writable directories without the sticky bit', 'スティッキービットのない誰でも書き込めるディレクトリ'), none);
    case 'orphans':
      if (!result.orphanCheck) return notApplicable(text('the target has no /etc/passwd or /etc/group to check owners against', '対象に所有者を照合する /etc/passwd または /etc/group がありません'));
      return result.orphans.length === 0 ? pass([], { expected: none, actual: '0' }) : failWith(result.orphans, text('files whose owner or group has no account', '所有者またはグループのアカウントがないファイル'), none);
  }
};
