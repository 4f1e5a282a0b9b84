import { text } from '../../core/text.js';
import { loadSshd } from '../../model/sshd.js';
import type { SshdModel } from '../../model/sshd.js';
import type { AuditContext, Evaluator } from '../context.js';
import { problemsOutcome } from '../context.js';
import type { Evidence } from '../types.js';
import { fail, notApplicable, pass } from '../types.js';

export function sshdModel(context: AuditContext): SshdModel {
  return context.model('sshd', () => loadSshd(context.target.fs));
}

/**
 * Check the keyword's value in the global section (first value wins, Include expanded in place,
 * service-file `-o` options first), and every Match block that sets something else.
 */
export const evaluateSshd: Evaluator<'sshd'> = (check, _control, context) => {
  const model = sshdModel(context);
  if (!model.present) {
    return notApplicable(model.reasonAbsent ?? text('sshd is not installed on this target', 'このターゲットには sshd がインストールされていません'));
  }

  const effective = model.global(check.keyword);
  if (!effective.known) return problemsOutcome(effective.problem === undefined ? model.problems : [effective.problem]);

  const value = effective.value.join(' ');
  const keywordName = check.name;
  const expected = `${keywordName} ${check.expected.join(' or ')}`;
  const where =
    effective.source === 'default'
      ? text(`not set anywhere, so the OpenSSH default ${value} applies`, `どこにも設定されていないため OpenSSH の既定値 ${value} が使われます`)
      : effective.source === 'command-line'
        ? text(`set to ${value} on the sshd command line by ${effective.path}:${effective.line}`, `${effective.path}:${effective.line} で sshd のコマンドラインに ${value} が指定されています`)
        : text(`set to ${value} at ${effective.path}:${effective.line}, the first value sshd reads`, `${effective.path}:${effective.line} で ${value} に設定されています(sshd が最初に読む値)`);

  const evidence: Evidence[] = [];
  if (effective.path !== undefined) evidence.push({ path: effective.path, ...(effective.line === undefined ? {} : { line: effective.line }), detail: `${keywordName} ${value}` });
  for (const other of effective.others) {
    const note = effective.accumulates ? '' : ' (ignored: an earlier value wins)';
    evidence.push({ path: other.path, line: other.line, detail: `${keywordName} ${other.value.join(' ')}${note}` });
  }

  const globalOk = check.expected.includes((effective.value[0] ?? '').toLowerCase());
  if (!globalOk) {
    const ignored = effective.others.find((other) => check.expected.includes((other.value[0] ?? '').toLowerCase()));
    const hint = ignored === undefined ? text('', '') : text(` (${ignored.path}:${ignored.line} says ${ignored.value.join(' ')} but is read later and ignored)`, `(${ignored.path}:${ignored.line} の ${ignored.value.join(' ')} は後から読まれるため無視されます)`);
    return fail(text(`${keywordName} is ${where.en}${hint.en}`, `${keywordName} は${where.ja}${hint.ja}`), evidence, { expected, actual: value });
  }

  const overrides = model.matchOverrides(check.keyword);
  const unknown = overrides.find((override) => !override.known);
  if (unknown !== undefined) return problemsOutcome(unknown.block.problem === undefined ? model.problems : [unknown.block.problem]);
  const loosened = overrides.filter((override) => !check.expected.includes((override.value[0] ?? '').toLowerCase()));
  if (loosened.length > 0) {
    for (const override of loosened) evidence.push({ path: override.path, line: override.line, detail: `Match ${override.block.criteria}: ${keywordName} ${override.value.join(' ')}` });
    const list = loosened.map((override) => `Match ${override.block.criteria} (${override.path}:${override.line}) sets ${override.value.join(' ')}`).join('; ');
    const listJa = loosened.map((override) => `Match ${override.block.criteria}(${override.path}:${override.line})が ${override.value.join(' ')} を設定`).join('、');
    return fail(
      text(`the global value is right, but ${list}, which applies to matching connections`, `全体の値は正しいですが、${listJa}しており、一致する接続に適用されます`),
      evidence,
      { expected, actual: `${value}; ${loosened.map((override) => `Match ${override.block.criteria}: ${override.value.join(' ')}`).join('; ')}` },
    );
  }
  return pass(evidence, { expected, actual: value, reason: where });
};
