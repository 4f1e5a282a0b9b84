import { text } from '../../core/text.js';
import type { Text } from '../../core/text.js';
import { loadAuditRules, parseAuditctlList } from '../../model/auditrules.js';
import type { AuditRuleSet, AuditRulesModel } from '../../model/auditrules.js';
import type { AuditContext, Evaluator } from '../context.js';
import { problemsOutcome } from '../context.js';
import type { Evidence, Outcome } from '../types.js';
import { fail, notApplicable, pass } from '../types.js';

export function auditModel(context: AuditContext): AuditRulesModel {
  return context.model('audit-rules', () => loadAuditRules(context.target.fs));
}

/** Rules loaded in the running kernel, or `undefined` when auditctl is missing or cannot list them. */
function loadedRules(context: AuditContext): AuditRuleSet | undefined {
  const runtime = context.target.runtime;
  if (runtime === undefined) return undefined;
  return context.model('audit-loaded', () => {
    const output = runtime.auditctlList();
    if (output === undefined || !output.ok) return undefined;
    return parseAuditctlList(output.stdout).rules;
  });
}

/** Shared by watches and syscall rules: configured in the files, and loaded when live. */
function judge(context: AuditContext, describe: Text, find: (rules: AuditRuleSet) => Evidence | undefined, expected: string): Outcome {
  const model = auditModel(context);
  if (!model.present) return notApplicable(text('auditd is not installed on this target', 'このターゲットには auditd がインストールされていません'));
  if (model.problems.length > 0) return problemsOutcome(model.problems, text('audit rules could not be understood', '監査ルールを解釈できません'));

  const configured = find(model.configured);
  const evidence: Evidence[] = configured === undefined ? [] : [configured];
  const source = model.configuredSource === 'rules.d' ? '/etc/audit/rules.d/*.rules' : '/etc/audit/audit.rules';
  const loaded = loadedRules(context);
  const live = loaded === undefined ? undefined : find(loaded);
  if (live !== undefined) evidence.push({ path: '(auditctl -l)', detail: 'loaded' });

  if (configured === undefined) {
    if (live !== undefined) {
      return fail(text(`live but not persisted: ${describe.en} is loaded but not in ${source}, so it is lost at reboot`, `稼働中だが永続化されていません: ${describe.ja} は読み込まれていますが ${source} になく、再起動で失われます`), evidence, { expected, actual: text('loaded only', '読み込み済みのみ') });
    }
    return fail(text(`${describe.en} is missing from ${source}; add: ${expected}`, `${describe.ja} が ${source} にありません。追加してください: ${expected}`), evidence, { expected, actual: text('missing', 'なし') });
  }
  const skipped = model.notLoadedAtBoot.some((item) => item.path === configured.path && item.line === configured.line);
  if (skipped) {
    const bootFile = model.startup.path ?? '/etc/audit/audit.rules';
    return fail(
      text(
        `${describe.en} is in ${configured.path}:${configured.line}, but the auditd service loads ${bootFile} at boot, which lacks it; add it there or make the service run augenrules`,
        `${describe.ja} は ${configured.path}:${configured.line} にありますが、auditd のサービスは起動時に ${bootFile} を読み込み、そこにはありません。そのファイルに追加するか、サービスで augenrules を使うようにしてください`,
      ),
      evidence,
      { expected, actual: text('not loaded at boot', '起動時に読み込まれない') },
    );
  }
  if (loaded !== undefined && live === undefined) {
    return fail(text(`persisted but not live: ${describe.en} is in ${configured.path} but not loaded; run augenrules --load`, `永続設定はあるが稼働中ではありません: ${describe.ja} は ${configured.path} にありますが読み込まれていません。augenrules --load を実行してください`), evidence, { expected, actual: text('not loaded', '未読み込み') });
  }
  return pass(evidence, { expected, actual: `${configured.path}:${configured.line}` });
}

export const evaluateAuditWatch: Evaluator<'audit-watch'> = (check, _control, context) =>
  judge(
    context,
    text(`a watch on ${check.path}`, `${check.path} の監査ウォッチ`),
    (rules) => rules.hasWatch(check.path, check.perms),
    `-w ${check.path}${check.perms === '' ? '' : ` -p ${check.perms}`}`,
  );

export const evaluateAuditSyscall: Evaluator<'audit-syscall'> = (check, _control, context) =>
  judge(
    context,
    text(`the ${check.syscall} rule for arch=${check.arch}`, `arch=${check.arch} の ${check.syscall} ルール`),
    (rules) => {
      const found = rules.findSyscallRule({ arch: check.arch, syscalls: [check.syscall], fields: check.fields });
      return found[0]?.evidence;
    },
    `-a always,exit -F arch=${check.arch} -S ${check.syscall} ${check.fields.map((field) => `-F ${field}`).join(' ')}`,
  );
