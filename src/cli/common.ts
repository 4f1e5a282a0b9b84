import { Help, InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import type { Level } from '../catalog/types.js';
import type { Lang } from '../core/text.js';
import { displayWidth, langFromEnv } from '../core/text.js';
import type { ExitCode } from './exit.js';

export interface Io {
  stdout: (chunk: string) => void;
  stderr: (chunk: string) => void;
  env: NodeJS.ProcessEnv;
  stdoutIsTty: boolean;
  /** True when stderr is a terminal, so progress lines may be drawn there. */
  stderrIsTty?: boolean;
}

/** Context of every subcommand: the language chosen before parsing, the streams, and a setter for its exit code. */
export interface CommandContext {
  lang: Lang;
  io: Io;
  setExitCode: (code: ExitCode) => void;
}

/** A subcommand module adds itself, with its options and action, to the program. */
export type RegisterCommand = (program: Command, context: CommandContext) => void;

/** Find --lang before commander parses, so that help and errors are already in that language. */
export function langFromArgs(argv: string[], env: NodeJS.ProcessEnv): Lang {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    let value: string | undefined;
    if (arg.startsWith('--lang=')) value = arg.slice('--lang='.length);
    else if (arg === '--lang') value = argv[i + 1];
    if (value === 'ja' || value === 'en') return value;
  }
  return langFromEnv(env);
}

export function parseLevel(lang: Lang) {
  return (value: string): Level => {
    if (value === '1' || value === '2' || value === '3') return Number(value) as Level;
    throw new InvalidArgumentError(lang === 'ja' ? `レベルは 1、2、3 のいずれかです(指定値: ${value})` : `level must be 1, 2 or 3 (got ${value})`);
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Make the --lang option. langFromArgs has already read its value, so commander only validates it. */
export function langOption(lang: Lang): Option {
  return new Option('--lang <lang>', lang === 'ja' ? 'メッセージの言語(既定は LC_ALL、LC_MESSAGES、LANG に従う)' : 'language of messages (default: from LC_ALL, LC_MESSAGES, LANG)').choices(['ja', 'en']);
}

export function levelOption(lang: Lang, defaultLevel?: Level): Option {
  const option = new Option('-l, --level <n>', lang === 'ja' ? '強化レベル 1、2、3(下のレベルを含む)' : 'hardening level 1, 2 or 3 (includes the levels below)').argParser(parseLevel(lang));
  return defaultLevel === undefined ? option : option.default(defaultLevel);
}

export function formatOption(lang: Lang): Option {
  return new Option('-f, --format <format>', lang === 'ja' ? '出力形式' : 'output format').choices(['text', 'json']).default('text');
}

export function rootOptionText(lang: Lang): string {
  return lang === 'ja'
    ? 'オフラインのルートファイルシステム(コンテナの rootfs やマウントしたイメージ)を対象にします。省略すると稼働中のホスト(/)が対象です'
    : 'work on an offline root file system (container rootfs, mounted image) instead of the live host /';
}

export function profileOptionText(lang: Lang): string {
  return lang === 'ja' ? 'サイトのプロファイル(YAML): IPv6 を使うか、SSH ポート、許可するポート、例外' : 'site profile (YAML): whether IPv6 is used, SSH ports, ports to allow, waivers';
}

const JA_TITLES: Record<string, string> = {
  'Usage:': '使い方:',
  'Options:': 'オプション:',
  'Commands:': 'コマンド:',
  'Arguments:': '引数:',
  'Global Options:': '共通オプション:',
};

/**
 * One unit that a line may not be broken inside: a space-led run of non-CJK characters, or one
 * CJK character with the closing marks that must stay on its line (、。)」).
 */
const JA_CHUNK = /\s*(?:[^\s\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]+|[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef][、。)」』:]*)/g;

/**
 * Wrap text to `width` columns the way commander does, but also between Japanese characters,
 * which have no spaces to break at. Commander breaks only at spaces, so its Japanese lines ran
 * past the terminal's width.
 */
export function wrapJapanese(value: string, width: number, measure: (part: string) => number = displayWidth): string {
  const wrapped: string[] = [];
  for (const line of value.split(/\r\n|\n/)) {
    const chunks = line.match(JA_CHUNK);
    if (chunks === null) {
      wrapped.push('');
      continue;
    }
    let current = chunks.shift() as string;
    for (const chunk of chunks) {
      if (measure(current) + measure(chunk) <= width) {
        current += chunk;
        continue;
      }
      wrapped.push(current);
      current = chunk.trimStart();
    }
    wrapped.push(current);
  }
  return wrapped.join('\n');
}

/** Japanese headings for commander's help, and column counts that know CJK characters are wide. */
export function helpConfiguration(lang: Lang): Partial<Help> {
  const ansi = /\u001b\[[0-9;]*m/g;
  const configuration: Partial<Help> = { displayWidth: (value: string) => displayWidth(value.replace(ansi, '')) };
  if (lang !== 'ja') return configuration;
  configuration.styleTitle = (title: string) => JA_TITLES[title] ?? title;
  configuration.boxWrap = function (this: Help, value: string, width: number): string {
    return width < this.minWidthToWrap ? value : wrapJapanese(value, width, (part) => this.displayWidth(part));
  };
  configuration.optionDescription = function (this: Help, option: Option): string {
    return Help.prototype.optionDescription.call(this, option).replace('(default: ', '(既定値: ').replace('choices: ', '選択肢: ').replace(', default: ', '、既定値: ');
  };
  return configuration;
}

/** Translate commander's own error line ("error: unknown option '--x'") and add where to look. */
export function commanderError(message: string, lang: Lang, command: string): string {
  const where = command === '' ? 'kimigayo-harden --help' : `kimigayo-harden ${command} --help`;
  if (lang !== 'ja') return `${message.trimEnd()}\nSee ${where} for usage.\n`;
  const translated = message
    .replace(/^error: unknown option '([^']*)'/, "エラー: 不明なオプション '$1' です")
    .replace(/^error: unknown command '([^']*)'/, "エラー: 不明なコマンド '$1' です")
    .replace(/^error: option '([^']*)' argument '([^']*)' is invalid\./, "エラー: オプション '$1' の値 '$2' が正しくありません。")
    .replace(/^error: option '([^']*)' argument missing/, "エラー: オプション '$1' に値がありません")
    .replace(/^error: missing required argument '([^']*)'/, "エラー: 引数 '$1' がありません")
    .replace(/^error: too many arguments/, 'エラー: 引数が多すぎます')
    .replace(/^error: /, 'エラー: ')
    .replace(/Allowed choices are /, '使える値: ');
  return `${translated.trimEnd()}\n使い方は ${where} で確認してください。\n`;
}
