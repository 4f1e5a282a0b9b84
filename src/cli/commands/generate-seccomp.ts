import { Option } from 'commander';
import { text } from '../../core/text.js';
import { localize } from '../../core/text.js';
import { ARCHES, NATIVE_ARCHES } from '../../seccomp/arch.js';
import { BASES, GenerateError, generateProfile } from '../../seccomp/generate.js';
import { lintSeccomp } from '../../seccomp/lint.js';
import { UsageError } from '../../target/target.js';
import { applyFileChanges } from '../../txn/index.js';
import { collect, langOption, rootOptionText } from '../common.js';
import type { RegisterCommand } from '../common.js';
import { EXIT_OK } from '../exit.js';

interface SeccompFlags {
  base: string;
  allow?: string[];
  deny?: string[];
  arch?: string[];
  install?: string;
  root: string;
}

const PROFILE_DIR = '/etc/seccomp';

/** Splits repeated and comma-separated option values: `--allow a,b --allow c`. */
function splitList(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(',')).map((value) => value.trim()).filter((value) => value !== '');
}

/** Accepts `x86_64`, `aarch64`, `x86`, `x32`, `arm` or the profile names `SCMP_ARCH_*`. */
function archName(value: string): string {
  const upper = value.toUpperCase();
  const name = upper.startsWith('SCMP_ARCH_') ? upper : `SCMP_ARCH_${upper}`;
  if (ARCHES[name] === undefined) {
    throw new UsageError(text(`--arch ${value}: no system call table; use one of ${Object.keys(ARCHES).join(', ')}`, `--arch ${value}: システムコール表がありません。${Object.keys(ARCHES).join(', ')} のいずれかを使ってください`));
  }
  return name;
}

export const registerGenerateSeccomp: RegisterCommand = (generate, context) => {
  const ja = context.lang === 'ja';
  const bases = Object.entries(BASES).map(([name, base]) => `${name} (${base.description})`).join('; ');
  generate
    .command('seccomp')
    .description(ja ? '既定で拒否する seccomp プロファイルを、基本セットと追加・削除するシステムコールから作ります' : 'write a default-deny seccomp profile from a base set plus added and removed system calls')
    .addOption(new Option('--base <name>', ja ? `基本セット: ${Object.keys(BASES).join('、')}` : `base set: ${bases}`).choices(Object.keys(BASES)).default('minimal'))
    .option('--allow <names>', ja ? '追加で許可するシステムコール(カンマ区切り、複数指定可)' : 'system calls to allow in addition (comma-separated, repeatable)', collect)
    .option('--deny <names>', ja ? '基本セットから外すシステムコール(カンマ区切り、複数指定可)' : 'system calls to remove from the base (comma-separated, repeatable)', collect)
    .option('--arch <names>', ja ? 'アーキテクチャ(既定: x86_64,aarch64)' : 'architectures (default: x86_64,aarch64)', collect)
    .option('--install <name>', ja ? `プロファイルを ${PROFILE_DIR}/NAME.json としてトランザクションで書き込みます(rollback で戻せます)` : `write the profile to ${PROFILE_DIR}/NAME.json in a transaction that rollback can undo`)
    .option('--root <dir>', rootOptionText(context.lang), '/')
    .addOption(langOption(context.lang))
    .action((flags: SeccompFlags) => {
      const arches = splitList(flags.arch);
      const request = {
        base: flags.base,
        allow: splitList(flags.allow),
        deny: splitList(flags.deny),
        arches: (arches.length > 0 ? arches : Object.values(NATIVE_ARCHES).map((entry) => entry.native)).map(archName),
      };
      let profile: object;
      try {
        profile = generateProfile(request);
      } catch (error) {
        if (!(error instanceof GenerateError)) throw error;
        throw new UsageError(text(error.message, error.message));
      }
      const content = JSON.stringify(profile, null, 2) + '\n';

      // Report what the linter still finds, e.g. a dangerous call that --allow added.
      for (const finding of lintSeccomp({ path: 'generated profile', content, options: {} })) {
        if (finding.severity !== 'info') context.io.stderr(`${finding.severity}: ${localize(finding.message, context.lang)} [${finding.code}]\n`);
      }

      if (flags.install === undefined) {
        context.io.stdout(content);
        context.setExitCode(EXIT_OK);
        return;
      }
      if (!/^[A-Za-z0-9._-]+$/.test(flags.install) || flags.install.startsWith('.')) {
        throw new UsageError(text(`--install ${flags.install}: use a plain file name such as httpd`, `--install ${flags.install}: httpd のような単純なファイル名を使ってください`));
      }
      const target = `${PROFILE_DIR}/${flags.install}.json`;
      const result = applyFileChanges(flags.root, [{ path: target, content, mode: 0o644, reason: text('seccomp profile from generate seccomp', 'generate seccomp で作った seccomp プロファイル') }], `generate seccomp ${flags.install}`);
      const message =
        result.id === undefined
          ? text(`${target} is already up to date`, `${target} はすでに最新です`)
          : text(`wrote ${target} (transaction ${result.id}; undo with kimigayo-harden rollback ${result.id})`, `${target} を書き込みました(トランザクション ${result.id}。kimigayo-harden rollback ${result.id} で戻せます)`);
      context.io.stdout(localize(message, context.lang) + '\n');
      context.setExitCode(EXIT_OK);
    });
};
