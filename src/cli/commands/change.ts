import type { Command } from 'commander';
import type { Level } from '../../catalog/types.js';
import type { Lang } from '../../core/text.js';
import { displayWidth, text } from '../../core/text.js';
import { runAudit } from '../../engine/audit.js';
import { hasChanges, makePlan } from '../../plan/plan.js';
import type { Plan } from '../../plan/plan.js';
import { LOCKOUT_OVERRIDE } from '../../plan/lockout.js';
import { runStep, undoStep } from '../../plan/runtime.js';
import { validatePlan } from '../../plan/validate.js';
import type { Validation } from '../../plan/validate.js';
import { loadProfile } from '../../profile/load.js';
import type { Profile } from '../../profile/profile.js';
import { planToJson, renderPlan } from '../../report/plan.js';
import { openTarget, UsageError } from '../../target/target.js';
import type { ContainerOverride, Target } from '../../target/target.js';
import { listManifests, refuseWhenInterrupted, rollbackCommand, rollbackTransaction, Transaction, withLock } from '../../txn/index.js';
import type { TransactionState } from '../../txn/index.js';
import { formatOption, langOption, levelOption, profileOptionText, rootOptionText } from '../common.js';
import type { CommandContext, RegisterCommand } from '../common.js';
import { EXIT_FAIL, EXIT_OK } from '../exit.js';
import { containerOption } from './audit.js';

interface ChangeFlags {
  root?: string;
  level: Level;
  format: 'text' | 'json';
  container: ContainerOverride;
  profile?: string;
  allowLockout?: boolean;
}

function openFor(flags: ChangeFlags): { target: Target; profile?: Profile } {
  const profile = flags.profile === undefined ? undefined : loadProfile(flags.profile);
  const target = openTarget({ ...(flags.root === undefined ? {} : { root: flags.root }), container: flags.container });
  return profile === undefined ? { target } : { target, profile };
}

function buildPlan(flags: ChangeFlags): { plan: Plan; validations: Validation[] } {
  const { target, profile } = openFor(flags);
  const plan = makePlan(target, { level: flags.level, ...(profile === undefined ? {} : { profile }) });
  const validations = validatePlan(target.fs.root, plan.files);
  return { plan, validations };
}

function addChangeOptions(command: Command, lang: Lang): Command {
  return command
    .option('--root <dir>', rootOptionText(lang))
    .addOption(levelOption(lang).makeOptionMandatory())
    .addOption(formatOption(lang))
    .addOption(langOption(lang))
    .addOption(containerOption(lang))
    .option('--profile <file>', profileOptionText(lang));
}

function printPlan(context: CommandContext, flags: ChangeFlags, plan: Plan, validations: Validation[]): void {
  if (flags.format === 'json') context.io.stdout(JSON.stringify(planToJson(plan, context.lang, validations), null, 2) + '\n');
  else context.io.stdout(renderPlan(plan, context.lang, validations));
}

function plan(flags: ChangeFlags, context: CommandContext): void {
  const built = buildPlan(flags);
  printPlan(context, flags, built.plan, built.validations);
  // An interrupted transaction is pending work too: apply refuses until it is rolled back.
  context.setExitCode(hasChanges(built.plan) || built.plan.interrupted.length > 0 ? EXIT_FAIL : EXIT_OK);
}

function apply(flags: ChangeFlags, context: CommandContext): void {
  const { lang, io } = context;
  const ja = lang === 'ja';
  const { target, profile } = openFor(flags);
  const root = target.fs.root;

  withLock(root, () => {
    refuseWhenInterrupted(root);
    const built = makePlan(target, { level: flags.level, ...(profile === undefined ? {} : { profile }) });
    const validations = validatePlan(root, built.files);
    if (flags.format !== 'json') io.stdout(renderPlan(built, lang, validations));

    if (built.guards.length > 0 && flags.allowLockout !== true) {
      throw new UsageError(text(`refused: ${built.guards.map((guard) => guard.message.en).join('; ')}`, `拒否しました: ${built.guards.map((guard) => guard.message.ja).join('。')}`));
    }
    const broken = validations.filter((validation) => !validation.ok);
    const preexisting = broken.filter((validation) => validation.alreadyFailing === true);
    if (preexisting.length > 0) {
      throw new UsageError(
        text(
          `refused: ${preexisting.map((item) => `${item.program} already rejects the current files: ${item.output}`).join('; ')}; fix them first, nothing was written`,
          `拒否しました: ${preexisting.map((item) => `${item.program} は現在のファイルをすでに受け付けません: ${item.output}`).join('。')}。先にこれを直してください。何も書き込んでいません`,
        ),
      );
    }
    if (broken.length > 0) {
      throw new UsageError(
        text(
          `refused: ${broken.map((item) => `${item.program} rejects the new files: ${item.output}`).join('; ')}; nothing was written`,
          `拒否しました: ${broken.map((item) => `${item.program} が新しいファイルを受け付けません: ${item.output}`).join('。')}。何も書き込んでいません`,
        ),
      );
    }
    if (!hasChanges(built)) {
      if (flags.format === 'json') io.stdout(JSON.stringify({ ...planToJson(built, lang, validations), transaction: null }, null, 2) + '\n');
      else io.stdout(ja ? '変更はありません: すでにこのレベルの自動修正の対象はすべて満たされています\n' : 'nothing to change: every automatic fix of this level is already in place\n');
      context.setExitCode(built.unresolved.length > 0 ? EXIT_FAIL : EXIT_OK);
      return;
    }

    const transaction = Transaction.begin(root, `apply --level ${flags.level}`, built.files);
    transaction.writeFilesOrRestore();
    const runtimeMessages: string[] = [];
    const sshdOk = validations.every((validation) => validation.program !== 'sshd -t' || validation.ok);
    for (const step of built.runtime) {
      if (step.kind === 'sshd-reload' && !sshdOk) continue;
      const index = transaction.recordRuntime({ kind: step.kind, description: text(JSON.stringify(step), JSON.stringify(step)), done: false });
      const outcome = runStep(step, target.init);
      transaction.markRuntimeDone(index, outcome.undo);
      runtimeMessages.push(`${outcome.ok ? '  ok' : '  !!'} ${outcome.message[lang]}`);
    }
    transaction.commit();

    const after = runAudit(target, { level: flags.level, ...(profile === undefined ? {} : { profile }) });
    const stillFailing = built.unresolved.length + after.results.filter((result) => (result.status === 'fail' || result.status === 'error') && built.files.some((file) => file.reasons.includes(result.control.id))).length;
    if (flags.format === 'json') {
      io.stdout(JSON.stringify({ ...planToJson(built, lang, validations), transaction: transaction.id, auditAfter: after.summary }, null, 2) + '\n');
    } else {
      if (runtimeMessages.length > 0) io.stdout(`${runtimeMessages.join('\n')}\n`);
      io.stdout(
        ja
          ? `適用しました: トランザクション ${transaction.id}(${built.files.length} ファイル)。元に戻すには: ${rollbackCommand(root, transaction.id)}\n監査: 合格 ${after.summary.pass}、不合格 ${after.summary.fail}(手作業が必要 ${built.manual.length})\n`
          : `applied: transaction ${transaction.id} (${built.files.length} files). To undo: ${rollbackCommand(root, transaction.id)}\naudit now: ${after.summary.pass} passed, ${after.summary.fail} failed (${built.manual.length} need the operator)\n`,
      );
    }
    context.setExitCode(stillFailing > 0 ? EXIT_FAIL : EXIT_OK);
  });
}

/** Japanese labels of the transaction states in `rollback --list`, which name an interrupted state as such. */
const STATE_JA: Record<TransactionState, string> = {
  applying: '適用が中断',
  committed: '適用済み',
  'rolling-back': '復元が中断',
  'rolled-back': '復元済み',
};

interface RollbackFlags {
  root?: string;
  force?: boolean;
  list?: boolean;
}

function rollback(id: string | undefined, flags: RollbackFlags, context: CommandContext): void {
  const { lang, io } = context;
  const ja = lang === 'ja';
  const target = openTarget({ ...(flags.root === undefined ? {} : { root: flags.root }), container: 'auto' });
  const root = target.fs.root;
  if (flags.list === true) {
    const manifests = listManifests(root);
    if (manifests.length === 0) io.stdout(ja ? 'トランザクションはありません\n' : 'no transactions\n');
    for (const manifest of manifests) {
      const state = ja ? STATE_JA[manifest.state] : manifest.state;
      const padding = ' '.repeat(Math.max(1, 13 - displayWidth(state)));
      io.stdout(ja ? `${manifest.id}  ${state}${padding}${manifest.description}(${manifest.files.length} ファイル)\n` : `${manifest.id}  ${state}${padding}${manifest.description}  (${manifest.files.length} files)\n`);
    }
    return;
  }
  const result = rollbackTransaction(root, id, { force: flags.force === true, undoRuntime: undoStep });
  io.stdout(
    ja
      ? `元に戻しました: トランザクション ${result.id}(復元 ${result.restored.length}、削除 ${result.removed.length})\n`
      : `rolled back: transaction ${result.id} (${result.restored.length} restored, ${result.removed.length} removed)\n`,
  );
  for (const path of [...result.restored, ...result.removed]) io.stdout(`  ${path}\n`);
  for (const item of result.saved) {
    io.stdout(ja ? `  ! ${item.path} の適用後の変更は ${item.copy} に保存しました\n` : `  ! the later edit of ${item.path} is saved in ${item.copy}\n`);
  }
  for (const kept of result.kept) {
    io.stdout(ja ? `  ! 稼働中のカーネルでは戻せず、再起動まで残ります: ${kept.description.ja}\n` : `  ! stays on the running kernel until reboot: ${kept.description.en}\n`);
  }
  context.setExitCode(EXIT_OK);
}

export const registerChange: RegisterCommand = (program, context) => {
  const ja = context.lang === 'ja';
  addChangeOptions(
    program.command('plan').description(ja ? 'レベルに合わせるための変更を、何も書き込まずに表示します(差分、権限、稼働中の操作)' : 'show every change that would bring the target to the level, writing nothing (diffs, modes, runtime steps)'),
    context.lang,
  ).action((flags: ChangeFlags) => plan(flags, context));

  addChangeOptions(
    program.command('apply').description(ja ? 'レベルに合わせる変更をトランザクションとして適用します(バックアップ付き、rollback で元に戻せます)' : 'apply the changes of the level as one transaction (backed up; rollback undoes it)'),
    context.lang,
  )
    .option(LOCKOUT_OVERRIDE, ja ? 'SSH で管理者がログインできなくなる変更でも適用します(コンソールで操作できる場合だけ使ってください)' : 'apply even when no administrator could log in over SSH afterwards (only with console access)')
    .action((flags: ChangeFlags) => apply(flags, context));

  program
    .command('rollback')
    .description(ja ? 'トランザクションのファイルを元のバイト列・権限・所有者に戻します(ID 省略時は最新)' : 'restore the files of a transaction byte for byte with mode and owner (default: the latest)')
    .argument('[id]', ja ? 'トランザクション ID' : 'transaction id')
    .option('--root <dir>', rootOptionText(context.lang))
    .option('--force', ja ? '適用後に変更されたファイルも元に戻します(その変更は失われます)' : 'restore files that changed after the apply too, losing those changes')
    .option('--list', ja ? 'トランザクションの一覧を表示します' : 'list the transactions')
    .addOption(langOption(context.lang))
    .action((id: string | undefined, flags: RollbackFlags) => rollback(id, flags, context));
};
