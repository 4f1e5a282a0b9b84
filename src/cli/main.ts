import { Command, CommanderError, Help, InvalidArgumentError, Option } from 'commander';
import type { Level } from '../catalog/types.js';
import type { Lang } from '../core/text.js';
import { displayWidth, langFromEnv, text } from '../core/text.js';
import { runAudit } from '../engine/audit.js';
import { loadSupportTable } from '../engine/checks/ossupport.js';
import type { SupportTable } from '../engine/checks/ossupport.js';
import { loadProfile } from '../profile/load.js';
import type { Profile } from '../profile/profile.js';
import { reportToJson } from '../report/json.js';
import { renderTerminal } from '../report/terminal.js';
import { openTarget, UsageError } from '../target/target.js';
import type { ContainerOverride } from '../target/target.js';
import { TOOL_VERSION } from '../version.js';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE } from './exit.js';
import type { ExitCode } from './exit.js';

export interface Io {
  stdout: (chunk: string) => void;
  stderr: (chunk: string) => void;
  env: NodeJS.ProcessEnv;
  stdoutIsTty: boolean;
}

interface AuditFlags {
  root?: string;
  level: Level;
  format: 'text' | 'json';
  lang?: Lang;
  container: ContainerOverride;
  profile?: string;
  osSupport?: string;
  only?: string[];
  verbose?: boolean;
}

/** Find --lang before commander parses, so that help and errors are already in that language. */
function langFromArgs(argv: string[], env: NodeJS.ProcessEnv): Lang {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    let value: string | undefined;
    if (arg.startsWith('--lang=')) value = arg.slice('--lang='.length);
    else if (arg === '--lang') value = argv[i + 1];
    if (value === 'ja' || value === 'en') return value;
  }
  return langFromEnv(env);
}

function parseLevel(lang: Lang) {
  return (value: string): Level => {
    if (value === '1' || value === '2' || value === '3') return Number(value) as Level;
    throw new InvalidArgumentError(lang === 'ja' ? `レベルは 1、2、3 のいずれかです(指定値: ${value})` : `level must be 1, 2 or 3 (got ${value})`);
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

const JA_TITLES: Record<string, string> = {
  'Usage:': '使い方:',
  'Options:': 'オプション:',
  'Commands:': 'コマンド:',
  'Arguments:': '引数:',
  'Global Options:': '共通オプション:',
};

/** Japanese headings for commander's help, and column counts that know CJK characters are wide. */
function helpConfiguration(lang: Lang): Partial<Help> {
  const ansi = /\u001b\[[0-9;]*m/g;
  const configuration: Partial<Help> = { displayWidth: (value: string) => displayWidth(value.replace(ansi, '')) };
  if (lang !== 'ja') return configuration;
  configuration.styleTitle = (title: string) => JA_TITLES[title] ?? title;
  configuration.optionDescription = function (this: Help, option: Option): string {
    return Help.prototype.optionDescription.call(this, option).replace('(default: ', '(既定値: ').replace('choices: ', '選択肢: ').replace(', default: ', '、既定値: ');
  };
  return configuration;
}

/** Translate commander's own error line ("error: unknown option '--x'") and add where to look. */
function commanderError(message: string, lang: Lang): string {
  if (lang !== 'ja') return message;
  const translated = message
    .replace(/^error: unknown option '([^']*)'/, "エラー: 不明なオプション '$1' です")
    .replace(/^error: unknown command '([^']*)'/, "エラー: 不明なコマンド '$1' です")
    .replace(/^error: option '([^']*)' argument '([^']*)' is invalid\./, "エラー: オプション '$1' の値 '$2' が正しくありません。")
    .replace(/^error: option '([^']*)' argument missing/, "エラー: オプション '$1' に値がありません")
    .replace(/^error: /, 'エラー: ')
    .replace(/Allowed choices are /, '使える値: ');
  return `${translated.trimEnd()}\n使い方は kimigayo-harden audit --help で確認してください。\n`;
}

function buildProgram(lang: Lang, io: Io, onAudit: (flags: AuditFlags) => void): Command {
  const ja = lang === 'ja';
  const program = new Command('kimigayo-harden')
    .description(ja ? 'Kimigayo OS のセキュリティ強化ガイドに沿って Linux システムを監査・強化します' : 'Audit and harden Linux systems to the Kimigayo OS security hardening guide')
    .version(TOOL_VERSION, '-V, --version', ja ? 'バージョンを表示します' : 'print the version')
    .helpOption('-h, --help', ja ? 'ヘルプを表示します' : 'show help')
    .addHelpCommand(false)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: (message, write) => write(commanderError(message, lang)) })
    .configureHelp(helpConfiguration(lang));

  program
    .command('audit')
    .description(ja ? 'ホストまたはルートファイルシステムをコントロールごとに監査します' : 'audit the host or a root file system, control by control')
    .option('--root <dir>', ja ? 'オフラインのルートファイルシステム(コンテナの rootfs やマウントしたイメージ)を監査します。省略すると稼働中のホスト(/)を監査します' : 'audit an offline root file system (container rootfs, mounted image) instead of the live host /')
    .addOption(new Option('-l, --level <n>', ja ? '強化レベル 1、2、3(下のレベルを含む)' : 'hardening level 1, 2 or 3 (includes the levels below)').argParser(parseLevel(lang)).default(1 as Level))
    .addOption(new Option('-f, --format <format>', ja ? '出力形式' : 'output format').choices(['text', 'json']).default('text'))
    .addOption(new Option('--lang <lang>', ja ? 'メッセージの言語(既定は LC_ALL、LC_MESSAGES、LANG に従う)' : 'language of messages (default: from LC_ALL, LC_MESSAGES, LANG)').choices(['ja', 'en']))
    .addOption(new Option('--container <mode>', ja ? 'コンテナとして扱うか: auto は /.dockerenv、cgroup、読み取り専用の /proc/sys から判定' : 'treat the target as a container: auto detects /.dockerenv, cgroup, read-only /proc/sys').choices(['auto', 'yes', 'no']).default('auto'))
    .option('--profile <file>', ja ? 'サイトのプロファイル(YAML): IPv6 を使うか、SSH ポート、許可するポート' : 'site profile (YAML): whether IPv6 is used, SSH ports, ports to allow')
    .option('--os-support <file>', ja ? 'OS リリースのサポート表(JSON)。同梱の data/os-support.json を置き換えます' : 'OS release support table (JSON) replacing the bundled data/os-support.json')
    .option('--only <prefix>', ja ? 'ID がこの接頭辞で始まるコントロールだけを評価します(複数指定可)' : 'evaluate only controls whose id starts with this prefix (repeatable)', collect)
    .option('-v, --verbose', ja ? '該当なしの理由や合格時の注記も表示します' : 'also show reasons of not-applicable controls and notes on passes')
    .action((flags: AuditFlags) => onAudit(flags));
  return program;
}

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

/** Run the command line and return the exit code. Usage and target errors become exit code 2 with a message. */
export function main(argv: string[], io: Io): ExitCode {
  let lang = langFromArgs(argv, io.env);
  let code: ExitCode = EXIT_OK;
  const program = buildProgram(lang, io, (flags) => {
    if (flags.lang !== undefined) lang = flags.lang;
    code = audit(flags, lang, io);
  });

  try {
    program.parse(argv, { from: 'user' });
    if (argv.length === 0) {
      io.stderr(program.helpInformation());
      return EXIT_USAGE;
    }
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      io.stderr(`kimigayo-harden: ${error.detail[lang]}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  return code;
}
