import { text } from '../../core/text.js';
import type { Text } from '../../core/text.js';
import { normalizeSysctlValue } from '../../parse/sysctl.js';
import { detectSysctlLoader, loadSysctl } from '../../model/sysctl.js';
import type { SysctlEffective, SysctlModel } from '../../model/sysctl.js';
import type { AuditContext, Evaluator } from '../context.js';
import { problemsOutcome } from '../context.js';
import type { Evidence } from '../types.js';
import { fail, notApplicable, pass } from '../types.js';

export function sysctlModel(context: AuditContext): SysctlModel {
  return context.model('sysctl', () => loadSysctl(context.target.fs, detectSysctlLoader(context.target.fs).loader));
}

function evidenceOf(effective: SysctlEffective | undefined): Evidence[] {
  if (effective === undefined) return [];
  return [
    { path: effective.path, line: effective.line, detail: `${effective.key} = ${effective.value}` },
    ...effective.others.map((other) => ({
      path: other.path,
      line: other.line,
      detail: `${effective.key} = ${other.value}${other.applied ? '' : ' (not applied)'}`,
    })),
  ];
}

/** Describe where a persisted value comes from, naming the losing lines that set something else. */
function describePersisted(key: string, effective: SysctlEffective | undefined, loaderName: string): Text {
  if (effective === undefined) {
    return text(`${key} is not set in any file that ${loaderName} reads at boot`, `${key} は起動時に ${loaderName} が読むどのファイルにも設定されていません`);
  }
  const where = `${effective.path}:${effective.line}`;
  const overridden = effective.others.filter((other) => other.applied && normalizeSysctlValue(other.value) !== normalizeSysctlValue(effective.value));
  const also = overridden.map((other) => `${other.path}:${other.line} (${other.value})`).join(', ');
  return text(
    `${key} = ${effective.value} at ${where}, which ${loaderName} reads last${also === '' ? '' : `; also set by ${also}, which loses`}`,
    `${key} = ${effective.value}(${where}、${loaderName} が最後に読む設定)${also === '' ? '' : `。${also} の設定は上書きされます`}`,
  );
}

const LOADER_NAMES = { 'openrc-busybox': 'OpenRC sysctl (BusyBox)', procps: 'sysctl --system (procps)', systemd: 'systemd-sysctl' } as const;

export const evaluateSysctl: Evaluator<'sysctl'> = (check, _control, context) => {
  if (check.requiresProfile === 'ipv6-unused' && context.profile.ipv6 !== false) {
    return notApplicable(
      text('only when the site does not use IPv6: set "ipv6: false" in the profile (--profile) to check it', 'IPv6 を使わないサイトだけが対象です。確認するにはプロファイル(--profile)に "ipv6: false" を設定してください'),
    );
  }

  const model = sysctlModel(context);
  const loaderName = LOADER_NAMES[model.loader];
  const keys = check.alternative === undefined ? [check.key] : [check.key, check.alternative.key];
  const problems = keys.flatMap((key) => model.problemsFor(key)).filter((problem) => problem.severity === 'error');
  if (problems.length > 0) return problemsOutcome(problems);

  // A kernel without the Debian patch has no unprivileged_userns_clone; its mainline equivalent then decides.
  const runtime = context.target.runtime;
  let key = check.key;
  let expected = check.expected;
  if (check.alternative !== undefined) {
    // Offline, only a Debian-family tree is expected to run a kernel with the patched key.
    const useAlternative =
      runtime !== undefined
        ? runtime.sysctl(check.key) === undefined
        : model.get(check.key) === undefined && (model.get(check.alternative.key) !== undefined || context.target.os.family !== 'debian');
    if (useAlternative) ({ key, expected } = check.alternative);
  }

  const effective = model.get(key);
  const persistedOk = effective !== undefined && normalizeSysctlValue(effective.value) === normalizeSysctlValue(expected);
  const evidence = evidenceOf(effective);
  const persisted = describePersisted(key, effective, loaderName);
  const expectedText = `${key} = ${expected}`;

  if (runtime === undefined) {
    const actual = effective === undefined ? text('unset', '未設定') : effective.value;
    if (persistedOk) return pass(evidence, { expected: expectedText, actual, reason: persisted });
    return fail(
      text(`${persisted.en}; set ${key} = ${expected} in /etc/sysctl.d/99-security.conf`, `${persisted.ja}。/etc/sysctl.d/99-security.conf に ${key} = ${expected} を設定してください`),
      evidence,
      { expected: expectedText, actual },
    );
  }

  const live = runtime.sysctl(key);
  const liveOk = live !== undefined && live === normalizeSysctlValue(expected);
  const procPath = `/proc/sys/${key.replace(/\./g, '/')}`;
  const allEvidence: Evidence[] = [{ path: procPath, detail: live === undefined ? 'missing' : `live ${live}` }, ...evidence];
  const actual = text(
    `live ${live ?? 'missing'}, persisted ${effective?.value ?? 'unset'}`,
    `稼働中 ${live ?? 'なし'}、永続設定 ${effective?.value ?? '未設定'}`,
  );

  if (persistedOk && liveOk) return pass(allEvidence, { expected: expectedText, actual });
  if (live === undefined) {
    return fail(
      text(`the running kernel has no ${key} (${procPath} is missing): the feature is not built in`, `稼働中のカーネルに ${key} がありません(${procPath} が存在しません)。その機能が組み込まれていません`),
      allEvidence,
      { expected: expectedText, actual },
    );
  }
  if (persistedOk) {
    return fail(
      text(`persisted but not live: the kernel has ${live}; run sysctl -p ${effective?.path ?? ''} or reboot`, `永続設定はあるが稼働中の値が違います: カーネルの値は ${live} です。sysctl -p ${effective?.path ?? ''} を実行するか再起動してください`),
      allEvidence,
      { expected: expectedText, actual },
    );
  }
  if (liveOk) {
    return fail(
      text(`live but not persisted: ${persisted.en}; the value is lost at reboot`, `稼働中の値は正しいが永続化されていません: ${persisted.ja}。再起動すると失われます`),
      allEvidence,
      { expected: expectedText, actual },
    );
  }
  return fail(
    text(`neither live nor persisted: the kernel has ${live}; ${persisted.en}`, `稼働中の値も永続設定も違います: カーネルの値は ${live} です。${persisted.ja}`),
    allEvidence,
    { expected: expectedText, actual },
  );
};
