import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { Writable } from 'node:stream';
import { InvalidArgumentError, Option } from 'commander';
import { planExtlinuxInstall, sha512Crypt, EXTLINUX_CONF_PATHS, UPDATE_EXTLINUX_CONF } from '../../boot/extlinux.js';
import { GRUB_CFG_PATHS, GRUB_USER, grubPasswordLines, planGrubInstall } from '../../boot/grub.js';
import { GRUB_DEFAULT_ITERATIONS, grubPbkdf2 } from '../../boot/pbkdf2.js';
import { localize, text } from '../../core/text.js';
import type { Lang } from '../../core/text.js';
import { loadProfile } from '../../profile/load.js';
import { RootFs } from '../../target/rootfs.js';
import { UsageError } from '../../target/target.js';
import { langOption, profileOptionText, rootOptionText } from '../common.js';
import type { Io, RegisterCommand } from '../common.js';
import { EXIT_FAIL, EXIT_OK } from '../exit.js';
import { checkRoot, installChanges } from './install.js';

type BootLoader = 'grub' | 'extlinux';

interface GrubPasswordFlags {
  user: string;
  iterations: number;
  passwordFile?: string;
  bootloader?: BootLoader;
  install?: boolean;
  root?: string;
  profile?: string;
}

/** GRUB reads at most 1024 bytes of a password at the prompt (GRUB_AUTH_MAX_PASSLEN in GRUB's include/grub/auth.h). */
const MAX_PASSWORD_BYTES = 1024;

function parseIterations(lang: Lang) {
  return (value: string): number => {
    const iterations = Number(value);
    if (!/^\d+$/.test(value) || iterations < 1000 || iterations > 10_000_000) {
      throw new InvalidArgumentError(lang === 'ja' ? `反復回数は 1000〜10000000 の整数です(指定値: ${value})` : `iterations must be a whole number from 1000 to 10000000 (got ${value})`);
    }
    return iterations;
  };
}

/** Ask for a line on the terminal without echoing it. */
async function promptHidden(prompt: string, io: Io): Promise<string> {
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const reader = readline.createInterface({ input: process.stdin, output: muted, terminal: true });
  io.stderr(prompt);
  try {
    return await new Promise<string>((resolve) => reader.question('', resolve));
  } finally {
    reader.close();
    io.stderr('\n');
  }
}

/** Read the password from --password-file (`-` for standard input), else from two prompts on the terminal. */
async function readPassword(flags: GrubPasswordFlags, io: Io, lang: Lang): Promise<string> {
  let password: string;
  if (flags.passwordFile === undefined && process.stdin.isTTY === true) {
    password = await promptHidden(lang === 'ja' ? 'パスワードを入力: ' : 'Enter password: ', io);
    const again = await promptHidden(lang === 'ja' ? 'もう一度入力: ' : 'Reenter password: ', io);
    if (again !== password) throw new UsageError(text('the two passwords differ; nothing was written', '2 回入力したパスワードが一致しません。何も書き込んでいません'));
  } else {
    const source = flags.passwordFile ?? '-';
    try {
      const content = fs.readFileSync(source === '-' ? 0 : source, 'utf8');
      password = content.split(/\r?\n/)[0] ?? '';
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new UsageError(text(`--password-file ${source}: cannot read the file (${reason})`, `--password-file ${source}: ファイルを読めません(${reason})`));
    }
  }
  if (password === '') {
    throw new UsageError(text('the password is empty: give it on the first line of --password-file, or type it at the prompt', 'パスワードが空です。--password-file の 1 行目に書くか、プロンプトで入力してください'));
  }
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw new UsageError(text(`the password is longer than GRUB accepts at the prompt (${MAX_PASSWORD_BYTES} bytes)`, `パスワードが GRUB のプロンプトで入力できる長さ(${MAX_PASSWORD_BYTES} バイト)を超えています`));
  }
  return password;
}

/** Detect the boot loader of the target: GRUB when it has /etc/grub.d or grub.cfg, extlinux when it has its configuration. */
function detectBootLoader(root: string): BootLoader | undefined {
  const rootFs = new RootFs(root);
  if (rootFs.isDirectory('/etc/grub.d') || GRUB_CFG_PATHS.some((candidate) => rootFs.exists(candidate))) return 'grub';
  if ([UPDATE_EXTLINUX_CONF, ...EXTLINUX_CONF_PATHS].some((candidate) => rootFs.exists(candidate))) return 'extlinux';
  return undefined;
}

export const registerGenerateGrubPassword: RegisterCommand = (generate, context) => {
  const ja = context.lang === 'ja';
  generate
    .command('grub-password')
    .description(
      ja
        ? 'ブートローダーのパスワードを作ります(GRUB は grub.pbkdf2.sha512、extlinux は SHA-512 crypt)。--install で 40_custom と grub.cfg(extlinux では update-extlinux.conf)に書き込みます'
        : 'make the boot loader password (grub.pbkdf2.sha512 for GRUB, SHA-512 crypt for extlinux); --install writes it to 40_custom and grub.cfg (update-extlinux.conf for extlinux)',
    )
    .option('--user <name>', ja ? 'GRUB の superuser 名' : 'GRUB superuser name', 'admin')
    .addOption(new Option('--iterations <n>', ja ? 'PBKDF2 の反復回数' : 'PBKDF2 iterations').argParser(parseIterations(context.lang)).default(GRUB_DEFAULT_ITERATIONS))
    .option('--password-file <file>', ja ? 'パスワードを 1 行目から読むファイル(- は標準入力)。省略すると端末で 2 回尋ねます' : 'read the password from the first line of this file (- for standard input); default: ask twice on the terminal')
    .addOption(new Option('--bootloader <name>', ja ? 'ブートローダー(既定: ターゲットから判定)' : 'boot loader (default: detected from the target)').choices(['grub', 'extlinux']))
    .option('--install', ja ? 'トランザクションでターゲットに書き込みます' : 'write the password into the target as one transaction')
    .option('--root <dir>', rootOptionText(context.lang))
    .option('--profile <file>', profileOptionText(context.lang))
    .addOption(langOption(context.lang))
    .action(async (flags: GrubPasswordFlags) => {
      if (!GRUB_USER.test(flags.user)) {
        throw new UsageError(text(`--user ${flags.user}: use letters, digits, "_", "." and "-", starting with a letter or "_"`, `--user ${flags.user}: 英字、数字、"_"、"."、"-" を使い、英字か "_" で始めてください`));
      }
      const root = flags.root ?? '/';
      if (flags.root !== undefined) checkRoot(flags.root);
      const profile = flags.profile === undefined ? {} : loadProfile(flags.profile);
      const bootloader = flags.bootloader ?? detectBootLoader(root);
      if (flags.install === true && bootloader === undefined) {
        throw new UsageError(
          text(
            `${root} has no boot loader configuration (no /etc/grub.d, grub.cfg or update-extlinux.conf), so there is nothing to protect; give --bootloader to write one anyway`,
            `${root} にブートローダーの設定(/etc/grub.d、grub.cfg、update-extlinux.conf)がないため、保護する対象がありません。それでも書き込む場合は --bootloader を指定してください`,
          ),
        );
      }
      const password = await readPassword(flags, context.io, context.lang);

      if (bootloader === 'extlinux') {
        if (flags.install !== true) {
          context.io.stdout(`password='${sha512Crypt(password)}'\n`);
          return;
        }
        const plan = planExtlinuxInstall(root, password);
        context.io.stdout(installChanges(root, plan.changes, 'generate grub-password --install (extlinux)', plan.notes, context.lang));
        context.setExitCode(EXIT_OK);
        return;
      }

      const hash = grubPbkdf2(password, flags.iterations);
      if (flags.install !== true) {
        context.io.stdout(grubPasswordLines(flags.user, hash).join('\n') + '\n');
        return;
      }
      const plan = planGrubInstall(root, { user: flags.user, password, hash, unrestricted: profile.grubUnrestricted ?? true });
      context.io.stdout(installChanges(root, plan.changes, 'generate grub-password --install', plan.notes, context.lang));
      if (plan.mkconfigError !== undefined) {
        context.io.stderr(`kimigayo-harden: ${localize(plan.mkconfigError, context.lang)}\n`);
        context.setExitCode(EXIT_FAIL);
        return;
      }
      context.setExitCode(EXIT_OK);
    });
};
