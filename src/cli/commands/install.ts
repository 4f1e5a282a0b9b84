import * as fs from 'node:fs';
import { text } from '../../core/text.js';
import type { Lang, Text } from '../../core/text.js';
import { localize } from '../../core/text.js';
import { UsageError } from '../../target/target.js';
import { applyFileChanges } from '../../txn/index.js';
import type { FileChange } from '../../txn/index.js';

/** Check that `--root` names a directory before anything is planned against it. */
export function checkRoot(root: string): void {
  let isDirectory = false;
  try {
    isDirectory = fs.statSync(root).isDirectory();
  } catch {
    // Reported below as missing.
  }
  if (!isDirectory) {
    throw new UsageError(text(`--root ${root}: no such directory; give the root file system to install into`, `--root ${root}: そのディレクトリはありません。インストール先のルートファイルシステムを指定してください`));
  }
}

/** Write the changes as one transaction and describe the result: the transaction id, the files, and the notes. */
export function installChanges(root: string, changes: FileChange[], description: string, notes: Text[], lang: Lang): string {
  const result = applyFileChanges(root, changes, description);
  const lines: string[] = [];
  if (result.id === undefined) {
    lines.push(localize(text('already installed: nothing to change', 'インストール済みです。変更はありません'), lang));
  } else {
    lines.push(localize(text(`transaction ${result.id}: changed ${result.changed.length} file(s); undo with "kimigayo-harden rollback ${result.id}"`, `トランザクション ${result.id}: ${result.changed.length} 個のファイルを変更しました。"kimigayo-harden rollback ${result.id}" で元に戻せます`), lang));
    for (const path of result.changed) lines.push(`  ${path}`);
  }
  for (const note of notes) lines.push(localize(text(`note: ${note.en}`, `注意: ${note.ja}`), lang));
  return lines.join('\n') + '\n';
}
