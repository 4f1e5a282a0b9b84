import * as path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import type { Control, Level } from '../catalog/types.js';
import type { Text } from '../core/text.js';
import { text } from '../core/text.js';
import { runAudit } from '../engine/audit.js';
import type { AuditReport } from '../engine/audit.js';
import type { SupportTable } from '../engine/checks/ossupport.js';
import type { ControlResult } from '../engine/types.js';
import type { Profile } from '../profile/profile.js';
import { EMPTY_PROFILE } from '../profile/profile.js';
import { REMEDIES } from '../remedy/index.js';
import type { PlanNote, RemedyContext, RuntimeStep } from '../remedy/types.js';
import { OverlayRootFs } from '../target/overlay.js';
import { TargetError } from '../target/rootfs.js';
import type { Target } from '../target/target.js';
import { interruptedTransactions, prepareChanges } from '../txn/index.js';
import type { Manifest, PreparedChange } from '../txn/index.js';
import { checkLockout } from './lockout.js';
import type { GuardFinding } from './lockout.js';

export interface PlanOptions {
  level: Level;
  profile?: Profile;
  supportTable?: SupportTable;
  only?: string[];
  today?: Date;
}

export interface FilePlan extends PreparedChange {
  /** Unified diff of the content; empty for a mode, owner or link change alone. */
  diff: string;
  /** Ids of the controls that need the change. */
  reasons: string[];
}

/** Settings that the kernel keeps until reboot once set: rollback cannot take them back. */
export const ONE_WAY_SYSCTLS: ReadonlyMap<string, string> = new Map([
  ['kernel.kexec_load_disabled', '1'],
  ['kernel.unprivileged_bpf_disabled', '1'],
]);

export interface Plan {
  target: Target;
  level: Level;
  /** Audit of the target as it is. */
  before: AuditReport;
  /** Audit of the target as it would be after the file changes (offline view of the files). */
  after: AuditReport;
  files: FilePlan[];
  runtime: RuntimeStep[];
  notes: PlanNote[];
  /** Failing controls that need the operator: no remedy exists for their kind, or it cannot act on this target. */
  manual: ControlResult[];
  /** Controls with a remedy that would still fail after the changes. */
  unresolved: ControlResult[];
  /** Reasons the plan would lock the operator out; apply refuses unless overridden. */
  guards: GuardFinding[];
  /** Transactions a killed apply or rollback left behind. */
  interrupted: Manifest[];
}

function diffOf(change: PreparedChange): string {
  const before = change.before?.symlink !== undefined ? null : change.beforeBytes;
  const after = change.after?.symlink !== undefined ? null : change.afterBytes;
  const beforeText = before === null ? '' : before.toString('utf8');
  const afterText = after === null ? '' : after.toString('utf8');
  if (beforeText === afterText) return '';
  const oldName = change.before === null ? '/dev/null' : `a${change.change.path}`;
  const newName = change.after === null ? '/dev/null' : `b${change.change.path}`;
  return createTwoFilesPatch(oldName, newName, beforeText, afterText, undefined, undefined, { context: 3 }).replace(/^=+\n/, '');
}

function failing(result: ControlResult): boolean {
  return result.status === 'fail' || result.status === 'error';
}

/**
 * Work out every change that brings the target to the level, writing nothing. The target is
 * audited, each remedy edits an overlay of the files, and the overlay is audited again to prove
 * that the changes fix what they claim. Last, the lockout guard checks the result.
 */
export function makePlan(target: Target, options: PlanOptions): Plan {
  const profile = options.profile ?? EMPTY_PROFILE;
  const shared = new Map<string, unknown>();
  const auditOptions = {
    level: options.level,
    shared,
    profile,
    ...(options.supportTable === undefined ? {} : { supportTable: options.supportTable }),
    ...(options.only === undefined ? {} : { only: options.only }),
    ...(options.today === undefined ? {} : { today: options.today }),
  };
  const before = runAudit(target, auditOptions);

  const overlay = new OverlayRootFs(target.fs.root);
  // The overlay is read as an offline tree: runtime values come from the runtime steps, not the files.
  const overlayTarget: Target = { fs: overlay, mode: 'offline', os: target.os, container: target.container, init: target.init };
  const context: RemedyContext = { overlay, target: overlayTarget, profile, live: target.mode === 'live' && !target.container.container, notes: [], runtime: [], shared };

  const toFix = before.results.filter(failing);
  const manual: ControlResult[] = [];
  for (const [kind, remedy] of REMEDIES) {
    const controls: Control[] = toFix.filter((result) => result.control.check.kind === kind).map((result) => result.control);
    if (controls.length === 0) continue;
    try {
      remedy(controls, context);
    } catch (error) {
      // A file the remedy must edit cannot be read (binary, too large, a link loop). Its controls
      // stay failing with a note that gives the reason, and the other remedies go on.
      if (!(error instanceof TargetError)) throw error;
      context.notes.push({
        severity: 'warning',
        message: text(`cannot change ${error.path}: ${error.detail.en}`, `${error.path} を変更できません: ${error.detail.ja}`),
      });
    }
  }
  dropUnwritableChanges(overlay, context);
  for (const result of toFix) {
    if (!REMEDIES.some(([kind]) => kind === result.control.check.kind)) manual.push(result);
  }

  // A remedy that found nothing it could change (the service is not installed, the rule file is
  // missing, the profile keeps the module, the file's directory is a file) leaves its control to
  // the operator.
  const changes = overlay.changes();
  const touched = new Set([...changes.flatMap((change) => change.reasons), ...context.runtime.map((step) => step.controlId)]);
  for (const result of toFix) {
    if (!manual.includes(result) && !touched.has(result.control.id)) manual.push(result);
  }

  const after = runAudit(overlayTarget, auditOptions);
  const remediable = new Set(toFix.filter((result) => !manual.includes(result)).map((result) => result.control.id));
  const unresolved = after.results.filter((result) => remediable.has(result.control.id) && failing(result));

  const prepared = prepareChanges(target.fs.root, changes);
  const files: FilePlan[] = prepared.map((item) => {
    const reasons = changes.find((change) => change.path === item.change.path)?.reasons ?? [];
    return { ...item, diff: diffOf(item), reasons };
  });

  for (const step of context.runtime) {
    if (step.kind !== 'sysctl' || ONE_WAY_SYSCTLS.get(step.key) !== step.value) continue;
    context.notes.push({
      controlId: step.controlId,
      severity: 'warning',
      message: oneWayWarning(step.key, step.value),
    });
  }

  const guards = checkLockout(target, overlayTarget);
  return { target, level: options.level, before, after, files, runtime: context.runtime, notes: context.notes, manual, unresolved, guards, interrupted: interruptedTransactions(target.fs.root) };
}

/**
 * Drop changes whose parent directory is a file on disk (an /etc/sysctl.d that is a file), because
 * they could never be written. Their controls then stay failing in the after-audit, with a note.
 */
function dropUnwritableChanges(overlay: OverlayRootFs, context: RemedyContext): void {
  for (const change of overlay.changes()) {
    let dir = path.posix.dirname(change.path);
    while (dir !== '/' && overlay.lstat(dir) === undefined) dir = path.posix.dirname(dir);
    const parent = overlay.stat(dir);
    if (parent === undefined || parent.isDirectory()) continue;
    overlay.discard(change.path, change.symlink === undefined && change.noFollow !== true);
    context.notes.push({
      severity: 'warning',
      message: text(
        `cannot write ${change.path}: ${dir} is not a directory; move that file away, create the directory and plan again`,
        `${change.path} を書き込めません: ${dir} がディレクトリではありません。そのファイルを移動してディレクトリを作り、もう一度 plan を実行してください`,
      ),
    });
  }
}

function oneWayWarning(key: string, value: string): Text {
  return text(
    `${key}=${value} cannot be undone on the running kernel: it stays until reboot, even after rollback`,
    `${key}=${value} は稼働中のカーネルでは元に戻せません。rollback 後も再起動まで有効なままです`,
  );
}

/** True when applying would change something. */
export function hasChanges(plan: Plan): boolean {
  return plan.files.length > 0 || plan.runtime.length > 0;
}
