import { Option } from 'commander';
import type { Level } from '../../catalog/types.js';
import type { Lang } from '../../core/text.js';
import { text } from '../../core/text.js';
import { runAudit } from '../../engine/audit.js';
import { loadSupportTable } from '../../engine/checks/ossupport.js';
import type { SupportTable } from '../../engine/checks/ossupport.js';
import { loadProfile } from '../../profile/load.js';
import type { Profile } from '../../profile/profile.js';
import { reportToJson } from '../../report/json.js';
import { renderTerminal } from '../../report/terminal.js';
import { openTarget, UsageError } from '../../target/target.js';
import type { ContainerOverride } from '../../target/target.js';
import { collect, formatOption, langOption, levelOption, profileOptionText, rootOptionText } from '../common.js';
import type { Io, RegisterCommand } from '../common.js';
import { EXIT_FAIL, EXIT_OK } from '../exit.js';
import type { ExitCode } from '../exit.js';

interface AuditFlags {
  root?: string;
  level: Level;
  format: 'text' | 'json';
  container: ContainerOverride;
  profile?: string;
  osSupport?: string;
  only?: string[];
  verbose?: boolean;
}

export function containerOption(lang: Lang): Option {
  return new Option(
    '--container <mode>',
    lang === 'ja' ? 'コンテナとして扱うか: auto は /.dockerenv、cgroup、読み取り専用の /proc/sys から判定' : 'treat the target as a container: auto detects /.dockerenv, cgroup, read-only /proc/sys',
  )
    .choices(['auto', 'yes', 'no'])
    .default('auto');
}

export const registerAudit: RegisterCommand = (program, context) => {
  const ja = context.lang === 'ja';
  program
    .command('audit')
    .description(ja ? 'ホストまたはルートファイルシステムをコントロールごとに監査します' : 'audit the host or a root file system, control by control')
    .option('--root <dir>', rootOptionText(context.lang))
    .addOption(levelOption(context.lang, 1))
    .addOption(formatOption(context.lang))
    .addOption(langOption(context.lang))
    .addOption(containerOption(context.lang))
    .option('--profile <file>', profileOptionText(context.lang))
    .option('--os-support <file>', ja ? 'OS リリースのサポート表(JSON)。同梱の data/os-support.json を置き換えます' : 'OS release support table (JSON) replacing the bundled data/os-support.json')
    .option('--only <prefix>', ja ? 'ID がこの接頭辞で始まるコントロールだけを評価します(複数指定可)' : 'evaluate only controls whose id starts with this prefix (repeatable)', collect)
    .option('-v, --verbose', ja ? '該当なしの理由や合格時の注記も表示します' : 'also show reasons of not-applicable controls and notes on passes')
    .action((flags: AuditFlags) => context.setExitCode(audit(flags, context.lang, context.io)));
};

function audit(flags: AuditFlags, lang: Lang, io: Io): ExitCode {
  let profile: Profile | undefined;
  if (flags.profile !== undefined) profile = loadProfile(flags.profile);

  let supportTable: SupportTable | undefined;
  if (flags.osSupport !== undefined) {
    try {
      supportTable = loadSupportTable(flags.osSupport);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new UsageError(text(`--os-support: ${message}`, `--os-support: ${message}`));
    }
  }

  const target = openTarget({ ...(flags.root === undefined ? {} : { root: flags.root }), container: flags.container });
  const report = runAudit(target, {
    level: flags.level,
    ...(profile === undefined ? {} : { profile }),
    ...(supportTable === undefined ? {} : { supportTable }),
    ...(flags.only === undefined ? {} : { only: flags.only }),
  });

  if (flags.format === 'json') {
    io.stdout(JSON.stringify(reportToJson(report, lang), null, 2) + '\n');
  } else {
    const color = io.stdoutIsTty && io.env.NO_COLOR === undefined;
    io.stdout(renderTerminal(report, { lang, color, verbose: flags.verbose === true }));
  }
  return report.summary.fail > 0 || report.summary.error > 0 ? EXIT_FAIL : EXIT_OK;
}
