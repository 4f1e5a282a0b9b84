import { text } from '../../core/text.js';
import { loadModprobe } from '../../model/modprobe.js';
import type { ModprobeModel } from '../../model/modprobe.js';
import type { AuditContext, Evaluator } from '../context.js';
import { problemsOutcome } from '../context.js';
import type { Evidence } from '../types.js';
import { fail, notApplicable, pass } from '../types.js';

const MODULE_DIRS = ['/lib/modules', '/usr/lib/modules'];

export function modprobeModel(context: AuditContext): ModprobeModel {
  return context.model('modprobe', () => loadModprobe(context.target.fs));
}

/** `install <module> /bin/true` in the effective modprobe.d configuration, and not loaded when live. */
export const evaluateModule: Evaluator<'module'> = (check, _control, context) => {
  const fs = context.target.fs;
  if (context.target.runtime === undefined && !MODULE_DIRS.some((dir) => fs.isDirectory(dir))) {
    return notApplicable(
      text(
        'this tree has no kernel modules (/lib/modules is missing): the kernel that runs it, usually the host’s, decides what can be loaded',
        'このツリーにはカーネルモジュールがありません(/lib/modules がありません)。読み込めるモジュールは、これを動かすカーネル(通常はホスト側)が決めます',
      ),
    );
  }
  const model = modprobeModel(context);
  const problems = model.problemsFor(check.module).filter((problem) => problem.severity === 'error');
  if (problems.length > 0) return problemsOutcome(problems);

  const decision = model.isDisabled(check.module);
  const install = decision.install;
  const evidence: Evidence[] = [];
  if (install !== undefined) evidence.push({ path: install.path, line: install.line, detail: `install ${install.module} ${install.command}` });
  for (const line of model.blacklisted(check.module) ?? []) evidence.push({ path: line.path, line: line.line, detail: `blacklist ${line.module}` });
  const expected = `install ${check.module} /bin/true`;
  const actual = install === undefined ? text('no install line', 'install 行なし') : text(`install ${install.module} ${install.command}`, `install ${install.module} ${install.command}`);

  if (!decision.disabled) {
    const blacklistOnly = (model.blacklisted(check.module) ?? []).length > 0 && install === undefined;
    return fail(
      blacklistOnly
        ? text(
            `${check.module} is only blacklisted, which stops automatic loading by alias but not "modprobe ${check.module}"; add "install ${check.module} /bin/true" to a file in /etc/modprobe.d`,
            `${check.module} は blacklist のみで、別名による自動読み込みは防げますが "modprobe ${check.module}" は防げません。/etc/modprobe.d のファイルに "install ${check.module} /bin/true" を追加してください`,
          )
        : text(
            `${check.module} can be loaded (${actual.en}); add "install ${check.module} /bin/true" to a file in /etc/modprobe.d`,
            `${check.module} を読み込めます(${actual.ja})。/etc/modprobe.d のファイルに "install ${check.module} /bin/true" を追加してください`,
          ),
      evidence,
      { expected, actual },
    );
  }

  const runtime = context.target.runtime;
  if (runtime !== undefined) {
    const loadedName = check.module.replace(/-/g, '_');
    if (runtime.loadedModules().has(loadedName)) {
      return fail(
        text(`persisted but not live: ${check.module} is loaded now (/proc/modules); unload it with modprobe -r ${check.module} or reboot`, `永続設定はあるが稼働中に ${check.module} が読み込まれています(/proc/modules)。modprobe -r ${check.module} で外すか再起動してください`),
        [...evidence, { path: '/proc/modules', detail: `${loadedName} loaded` }],
        { expected, actual: text(`${actual.en}; loaded`, `${actual.ja}、読み込み済み`) },
      );
    }
  }
  return pass(evidence, { expected, actual });
};
