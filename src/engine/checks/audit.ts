import { hostMachine, targetMachine } from '../../auditd/arch.js';
import { lintAuditRules } from '../../auditd/lint.js';
import { text } from '../../core/text.js';
import type { Text } from '../../core/text.js';
import { loadAuditRules, parseAuditctlList } from '../../model/auditrules.js';
import type { AuditRuleSet, AuditRulesModel } from '../../model/auditrules.js';
import type { AuditContext, Evaluator } from '../context.js';
import { problemsOutcome } from '../context.js';
import type { Finding } from '../../lint/types.js';
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

/**
 * Errors the audit-rules linter finds in the configured files, by `path:line`: a rule that
 * auditctl rejects (unknown syscall, rule after -e 2, ...) is in the file but never loaded.
 */
function lintErrors(context: AuditContext, model: AuditRulesModel): Map<string, Finding> {
  return context.model('audit-rules-lint', () => {
    const errors = new Map<string, Finding>();
    const paths = model.configuredSource === 'rules.d' ? model.rulesDFiles : ['/etc/audit/audit.rules'];
    const machine = targetMachine(context.target.fs.root) ?? hostMachine();
    // augenrules (audit 3.0) moves the last -e line to the end of audit.rules, so a rule after
    // -e 2 in a rules.d file still loads when augenrules builds the boot file.
    const movesEnable = model.configuredSource === 'rules.d' && model.startup.loader === 'augenrules';
    for (const path of paths) {
      const read = context.readText(path);
      if (read.text === undefined) continue;
      for (const finding of lintAuditRules(read.text, path, { machine })) {
        const key = `${path}:${finding.line ?? 0}`;
        if (finding.severity !== 'error' || errors.has(key)) continue;
        if (movesEnable && finding.code === 'auditrules.after-lock') continue;
        errors.set(key, finding);
      }
    }
    return errors;
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
  const rejected = lintErrors(context, model).get(`${configured.path}:${configured.line}`);
  if (rejected !== undefined) {
    return fail(
      text(`${describe.en} is in ${configured.path}:${configured.line}, but it is not loaded: ${rejected.message.en}`, `${describe.ja} は ${configured.path}:${configured.line} にありますが、読み込まれません: ${rejected.message.ja}`),
      evidence,
      { expected, actual: text(`rejected (${rejected.code})`, `拒否される(${rejected.code})`) },
    );
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
