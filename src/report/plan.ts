import type { Lang } from '../core/text.js';
import { displayWidth, localize } from '../core/text.js';
import type { FilePlan, Plan } from '../plan/plan.js';
import { describeStep } from '../plan/runtime.js';
import type { Validation } from '../plan/validate.js';
import { rollbackCommand } from '../txn/index.js';
import type { FileState } from '../txn/index.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';

/** Bumped on any incompatible change to the JSON output of `plan` and `apply`. */
export const PLAN_SCHEMA_VERSION = '1.0';

export type FileAction = 'create' | 'modify' | 'delete' | 'mode' | 'link';

export function fileAction(file: FilePlan): FileAction {
  if (file.after === null) return 'delete';
  if (file.after.symlink !== undefined) return 'link';
  if (file.before === null) return 'create';
  if (file.before.sha256 === file.after.sha256) return 'mode';
  return 'modify';
}

const ACTION_JA: Record<FileAction, string> = { create: '作成', modify: '変更', delete: '削除', mode: '権限', link: 'リンク' };

function modeText(state: FileState | null, lang: Lang): string {
  if (state === null) return '-';
  if (state.symlink !== undefined) return lang === 'ja' ? `${state.symlink} へのリンク` : `link to ${state.symlink}`;
  return `${state.mode.toString(8).padStart(4, '0')} ${state.uid}:${state.gid}`;
}

function visible(value: string): string {
  return value.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function renderPlan(plan: Plan, lang: Lang, validations: Validation[] = []): string {
  const ja = lang === 'ja';
  const lines: string[] = [];
  lines.push(ja ? `kimigayo-harden 計画: ${plan.target.fs.root}、レベル ${plan.level}` : `kimigayo-harden plan: ${plan.target.fs.root}, level ${plan.level}`);

  for (const manifest of plan.interrupted) {
    lines.push(
      ja
        ? `! トランザクション ${manifest.id}(${manifest.description})は中断されています。${rollbackCommand(plan.target.fs.root, manifest.id)} で元に戻してください`
        : `! transaction ${manifest.id} (${manifest.description}) was interrupted; run ${rollbackCommand(plan.target.fs.root, manifest.id)} to restore its files`,
    );
  }

  lines.push('', ja ? `ファイルの変更 (${plan.files.length})` : `File changes (${plan.files.length})`);
  for (const file of plan.files) {
    const action = fileAction(file);
    const label = ja ? ACTION_JA[action] : action;
    const shown = file.reasons.length > 4 ? [...file.reasons.slice(0, 3), ja ? `他 ${file.reasons.length - 3} 件` : `${file.reasons.length - 3} more`] : file.reasons;
    lines.push(`  ${label}${' '.repeat(Math.max(1, 8 - displayWidth(label)))}${visible(file.change.path)}  [${shown.join(', ')}]`);
    if (action === 'mode' || action === 'link' || (file.before !== null && file.after !== null && (file.before.mode !== file.after.mode || file.before.uid !== file.after.uid))) {
      lines.push(`          ${modeText(file.before, lang)} -> ${modeText(file.after, lang)}`);
    }
    // Only the final newline goes: trimEnd() would also drop the CR of a CRLF file's last line.
    if (file.diff !== '') lines.push(...file.diff.replace(/\n+$/, '').split('\n').map((line) => `    ${visible(line)}`));
  }

  if (plan.runtime.length > 0) {
    lines.push('', ja ? `稼働中のシステムへの操作 (${plan.runtime.length})` : `Runtime steps (${plan.runtime.length})`);
    for (const step of plan.runtime) lines.push(`  ${describeStep(step)[lang]}`);
  }

  for (const validation of validations) {
    if (validation.skipped !== undefined) continue;
    let status = ja ? '検証 OK' : 'checked OK';
    if (validation.alreadyFailing === true) status = ja ? '検証エラー(変更前のファイルでも発生)' : 'check FAILED (the current files fail too)';
    else if (!validation.ok) status = ja ? '検証エラー' : 'check FAILED';
    lines.push(`${status}: ${validation.program}${validation.output === '' ? '' : `\n    ${validation.output.split('\n').join('\n    ')}`}`);
  }

  if (plan.notes.length > 0) {
    lines.push('', ja ? '注記' : 'Notes');
    for (const note of plan.notes) lines.push(`  ${note.severity === 'warning' ? '!' : '-'} ${visible(localize(note.message, lang))}`);
  }

  if (plan.guards.length > 0) {
    lines.push('', ja ? 'ロックアウト防止により拒否' : 'Refused by the lockout guard');
    for (const guard of plan.guards) lines.push(`  ! ${guard.message[lang]}`);
  }

  if (plan.unresolved.length > 0) {
    lines.push('', ja ? '変更後もまだ不合格' : 'Still failing after the changes');
    for (const result of plan.unresolved) lines.push(`  ${result.control.id}  ${result.reason === undefined ? '' : visible(result.reason[lang])}`);
  }

  if (plan.manual.length > 0) {
    lines.push('', ja ? `手作業が必要 (${plan.manual.length}): 自動では直しません` : `Needs the operator (${plan.manual.length}): not changed automatically`);
    for (const result of plan.manual) lines.push(`  ${result.control.id}  ${visible(result.control.title[lang])}`);
  }

  const after = plan.after.summary;
  lines.push(
    '',
    ja
      ? `変更後の監査(ファイル): 合格 ${after.pass}、不合格 ${after.fail}、該当なし ${after.notApplicable}、エラー ${after.error}(現在: 合格 ${plan.before.summary.pass}、不合格 ${plan.before.summary.fail})`
      : `Audit after the changes (files): ${after.pass} passed, ${after.fail} failed, ${after.notApplicable} not applicable, ${after.error} errors (now: ${plan.before.summary.pass} passed, ${plan.before.summary.fail} failed)`,
  );
  return lines.join('\n') + '\n';
}

export function planToJson(plan: Plan, lang: Lang, validations: Validation[] = []): object {
  const state = (value: FileState | null): object | null =>
    value === null ? null : { sha256: value.sha256, mode: value.mode.toString(8).padStart(4, '0'), uid: value.uid, gid: value.gid, symlink: value.symlink ?? null };
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    lang,
    root: plan.target.fs.root,
    level: plan.level,
    files: plan.files.map((file) => ({ path: file.change.path, action: fileAction(file), before: state(file.before), after: state(file.after), diff: file.diff, controls: file.reasons })),
    runtime: plan.runtime.map((step) => ({ ...step, description: describeStep(step)[lang] })),
    validations: validations.map((item) => ({ program: item.program, ok: item.ok, alreadyFailing: item.alreadyFailing === true, skipped: item.skipped?.[lang] ?? null, output: item.output })),
    notes: plan.notes.map((note) => ({ controlId: note.controlId ?? null, severity: note.severity, message: note.message[lang] })),
    guards: plan.guards.map((guard) => ({ code: guard.code, override: guard.override, message: guard.message[lang] })),
    unresolved: plan.unresolved.map((result) => result.control.id),
    manual: plan.manual.map((result) => result.control.id),
    interrupted: plan.interrupted.map((manifest) => manifest.id),
    before: plan.before.summary,
    after: plan.after.summary,
  };
}
