import { controlsForLevel } from '../catalog/index.js';
import type { Control, Level } from '../catalog/types.js';
import { text } from '../core/text.js';
import type { Profile } from '../profile/profile.js';
import { EMPTY_PROFILE } from '../profile/profile.js';
import type { Target } from '../target/target.js';
import { UsageError } from '../target/target.js';
import { AuditContext } from './context.js';
import { loadSupportTable } from './checks/ossupport.js';
import type { SupportTable } from './checks/ossupport.js';
import { makeEvaluators } from './evaluators.js';
import type { EvaluatorTable } from './evaluators.js';
import type { ControlResult, Outcome } from './types.js';
import { errorOutcome, notApplicable } from './types.js';

export interface AuditOptions {
  level: Level;
  profile?: Profile;
  /** The date support status is judged on; today by default. */
  today?: Date;
  supportTable?: SupportTable;
  /** Only controls whose id starts with one of these. */
  only?: string[];
  /**
   * Models shared with other audits of the same plan. Only the file scan uses it: the plan's
   * audits before and after its changes would otherwise walk the whole tree twice.
   */
  shared?: Map<string, unknown>;
}

export interface Summary {
  pass: number;
  fail: number;
  notApplicable: number;
  error: number;
  /** Failing controls the site profile accepts, with a reason and an end date. */
  waived: number;
  /** Share of evaluated controls that pass, 0-100; errors and waived controls count against it, not-applicable does not. */
  score: number;
}

export interface AuditReport {
  target: Target;
  level: Level;
  results: ControlResult[];
  summary: Summary;
}

const MANAGED_BY_HOST = text(
  'not applicable: managed by the host (this target is a container)',
  '該当なし: ホスト側で管理されています(このターゲットはコンテナです)',
);

const SET_BY_RUNTIME = text(
  'not applicable: a container runtime sets the mounts of a container and ignores /etc/fstab (use docker run --tmpfs /tmp:noexec,nosuid,nodev)',
  '該当なし: コンテナのマウントはコンテナランタイムが設定し、/etc/fstab は使われません(docker run --tmpfs /tmp:noexec,nosuid,nodev を使ってください)',
);

function evaluateControl(control: Control, context: AuditContext, evaluators: EvaluatorTable): Outcome {
  if (control.hostOnly === true && context.target.container.container) {
    return notApplicable(control.category === 'mounts' ? SET_BY_RUNTIME : MANAGED_BY_HOST);
  }
  const evaluate = evaluators[control.check.kind] as (check: Control['check'], control: Control, context: AuditContext) => Outcome;
  try {
    return evaluate(control.check, control, context);
  } catch (error) {
    // A bug in an evaluator must not end the audit; the control reports it instead.
    const message = error instanceof Error ? error.message : String(error);
    return errorOutcome(
      text(`internal error while evaluating: ${message}; please report it with this control id`, `評価中に内部エラーが発生しました: ${message}。このコントロール ID を添えて報告してください`),
      [],
    );
  }
}

/**
 * Report a failing control that the profile waives as `waived`, with the waiver's reason. After
 * the waiver's last day the control fails again, and its reason states that the waiver expired.
 * Passing controls stay passes.
 */
export function applyWaiver(control: Control, outcome: Outcome, profile: Profile | undefined, today: Date): Outcome {
  if (outcome.status === 'fail' && control.check.kind === 'module') {
    const name = control.check.module.replace(/-/g, '_');
    if ((profile?.keepModules ?? []).some((kept) => kept.replace(/-/g, '_') === name)) {
      return { ...outcome, status: 'waived', reason: text(`kept: the profile lists ${control.check.module} in keepModules`, `残す設定: プロファイルの keepModules に ${control.check.module} があります`), notice: true };
    }
  }
  const waiver = profile?.waivers?.find((candidate) => candidate.id === control.id);
  if (waiver === undefined || outcome.status !== 'fail') return outcome;
  const day = today.toISOString().slice(0, 10);
  if (waiver.expires !== undefined && waiver.expires < day) {
    const why = outcome.reason ?? text('', '');
    return {
      ...outcome,
      reason: text(`the waiver expired on ${waiver.expires} ("${waiver.reason}"); ${why.en}`, `例外の期限 ${waiver.expires} が過ぎています(「${waiver.reason}」)。${why.ja}`),
    };
  }
  const until = waiver.expires === undefined ? '' : waiver.expires;
  return {
    ...outcome,
    status: 'waived',
    reason: text(`waived${until === '' ? '' : ` until ${until}`}: ${waiver.reason}`, `例外${until === '' ? '' : `(${until} まで)`}: ${waiver.reason}`),
    notice: true,
  };
}

export function summarize(results: ControlResult[]): Summary {
  const count = (status: ControlResult['status']): number => results.filter((result) => result.status === status).length;
  const summary = { pass: count('pass'), fail: count('fail'), notApplicable: count('not-applicable'), error: count('error'), waived: count('waived'), score: 100 };
  const evaluated = summary.pass + summary.fail + summary.error + summary.waived;
  if (evaluated > 0) summary.score = Math.round((100 * summary.pass) / evaluated);
  return summary;
}

/** Evaluate every control of the level (and the levels below) against the target. */
export function runAudit(target: Target, options: AuditOptions): AuditReport {
  const context = new AuditContext(target, options.profile ?? EMPTY_PROFILE, options.today ?? new Date(), options.shared);
  const evaluators = makeEvaluators(options.supportTable ?? loadSupportTable());

  let controls = controlsForLevel(options.level);
  if (options.only !== undefined && options.only.length > 0) {
    const prefixes = options.only;
    controls = controls.filter((control) => prefixes.some((prefix) => control.id.startsWith(prefix)));
    if (controls.length === 0) {
      throw new UsageError(
        text(
          `--only ${prefixes.join(', ')}: no control of level ${options.level} or below has an id that starts with this; see the ids in a full report`,
          `--only ${prefixes.join(', ')}: レベル ${options.level} 以下にこの接頭辞で始まる ID のコントロールはありません。完全なレポートで ID を確認してください`,
        ),
      );
    }
  }

  const today = options.today ?? new Date();
  const results = controls.map((control): ControlResult => ({ control, ...applyWaiver(control, evaluateControl(control, context, evaluators), options.profile, today) }));
  return { target, level: options.level, results, summary: summarize(results) };
}
