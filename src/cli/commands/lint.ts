import * as fs from 'node:fs';
import { Option } from 'commander';
import { text } from '../../core/text.js';
import { detectLinter, linterByType, LINTERS } from '../../lint/registry.js';
import type { LintOptions } from '../../lint/types.js';
import { loadProfile } from '../../profile/load.js';
import { findingsToJson, renderFindings } from '../../report/findings.js';
import type { LintedFile } from '../../report/findings.js';
import { UsageError } from '../../target/target.js';
import { formatOption, langOption, profileOptionText } from '../common.js';
import type { RegisterCommand } from '../common.js';
import { EXIT_FAIL, EXIT_OK } from '../exit.js';

interface LintFlags {
  type?: string;
  format: 'text' | 'json';
  profile?: string;
  root?: string;
}

/** Files larger than this are not configuration files; reading them whole would only waste memory. */
const MAX_LINT_BYTES = 10 * 1024 * 1024;

export const registerLint: RegisterCommand = (program, context) => {
  const ja = context.lang === 'ja';
  program
    .command('lint')
    .description(
      ja
        ? '設定ファイルを検査します。種類は内容から判定します(--type で指定も可)'
        : 'check configuration files; the type is detected from the content, or given with --type',
    )
    .argument('<file...>', ja ? '検査するファイル' : 'files to check')
    .addOption(new Option('-t, --type <type>', ja ? 'ファイルの種類' : 'file type').choices(LINTERS.map((linter) => linter.type)))
    .addOption(formatOption(context.lang))
    .addOption(langOption(context.lang))
    .option('--profile <file>', profileOptionText(context.lang))
    .option('--root <dir>', ja ? 'ファイルが属するルートファイルシステム(監視対象パスの存在確認などに使います)' : 'root file system the files belong to (used e.g. to check that watched paths exist)')
    .action((files: string[], flags: LintFlags) => {
      const options: LintOptions = {};
      if (flags.profile !== undefined) options.profile = loadProfile(flags.profile);
      if (flags.root !== undefined) options.root = flags.root;

      const results: LintedFile[] = files.map((path) => lintFile(path, flags.type, options));
      if (flags.format === 'json') context.io.stdout(JSON.stringify(findingsToJson(results, context.lang), null, 2) + '\n');
      else context.io.stdout(renderFindings(results, context.lang));

      const serious = results.some((file) => file.findings.some((finding) => finding.severity !== 'info'));
      context.setExitCode(serious ? EXIT_FAIL : EXIT_OK);
    });
};

function lintFile(path: string, type: string | undefined, options: LintOptions): LintedFile {
  let content: string;
  try {
    const stat = fs.statSync(path);
    if (!stat.isFile()) throw new UsageError(text(`${path}: not a regular file`, `${path}: 通常のファイルではありません`));
    if (stat.size > MAX_LINT_BYTES) {
      throw new UsageError(text(`${path}: ${stat.size} bytes is too large for a configuration file (limit ${MAX_LINT_BYTES})`, `${path}: ${stat.size} バイトは設定ファイルとして大きすぎます(上限 ${MAX_LINT_BYTES})`));
    }
    content = fs.readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(text(`${path}: cannot read the file (${reason})`, `${path}: ファイルを読めません(${reason})`));
  }

  const linter = type === undefined ? undefined : linterByType(type);
  if (linter !== undefined) return { path, type: linter.type, findings: linter.lint({ path, content, options }) };

  const detection = detectLinter(content, path);
  if (detection.linter === undefined) {
    const known = LINTERS.map((item) => item.type).join(', ');
    if (detection.ambiguous.length > 0) {
      const types = detection.ambiguous.join(', ');
      throw new UsageError(text(`${path}: the content fits several types (${types}); give one with --type`, `${path}: 内容が複数の種類(${types})に当てはまります。--type で指定してください`));
    }
    throw new UsageError(text(`${path}: cannot tell the file type from its content; give one with --type (${known})`, `${path}: 内容からファイルの種類を判定できません。--type で指定してください(${known})`));
  }
  return { path, type: detection.linter.type, findings: detection.linter.lint({ path, content, options }) };
}
