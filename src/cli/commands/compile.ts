import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Option } from 'commander';
import type { Lang } from '../../core/text.js';
import { text } from '../../core/text.js';
import { NATIVE_ARCHES } from '../../seccomp/arch.js';
import { disassemble, encodeProgram } from '../../seccomp/bpf.js';
import { CompileError, compileProfile } from '../../seccomp/compile.js';
import { parseProfile } from '../../seccomp/profile.js';
import type { SeccompProfile } from '../../seccomp/profile.js';
import { UsageError } from '../../target/target.js';
import { collect, langOption } from '../common.js';
import type { RegisterCommand } from '../common.js';
import { EXIT_OK } from '../exit.js';

interface CompileFlags {
  output?: string;
  arch?: string;
  cap?: string[];
  kernel?: string;
  format: 'bpf' | 'text';
}

/** Machine names of `--arch` for the architectures Node.js reports. */
const NODE_ARCHES: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64' };

export const registerCompile: RegisterCommand = (program, context) => {
  const ja = context.lang === 'ja';
  program
    .command('compile')
    .description(
      ja
        ? 'seccomp プロファイル(JSON)を seccomp 用の classic BPF プログラムに変換します(bwrap --seccomp などで読み込めます)'
        : 'compile a seccomp profile (JSON) into a classic BPF program for seccomp, as bwrap --seccomp loads it',
    )
    .argument('<profile>', ja ? 'seccomp プロファイル' : 'seccomp profile')
    .option('-o, --output <file>', ja ? 'BPF プログラム(struct sock_filter の配列、リトルエンディアン)を書き出すファイル' : 'file to write the BPF program to (array of struct sock_filter, little-endian)')
    .addOption(new Option('--arch <machine>', ja ? 'プログラムを読み込むマシン(既定はこのマシン)' : 'machine that loads the program (default: this machine)').choices(Object.keys(NATIVE_ARCHES)))
    .option('--cap <capability>', ja ? 'コンテナが持つケーパビリティ(例: CAP_SYS_ADMIN)。includes.caps のルールに使います(複数指定可)' : 'capability the process holds, e.g. CAP_SYS_ADMIN, for rules with includes.caps (repeatable)', collect)
    .option('--kernel <version>', ja ? 'カーネルのバージョン(例: 6.1)。includes.minKernel のルールに使います(省略時はすべて満たすとみなします)' : 'kernel version such as 6.1, for rules with includes.minKernel (default: every minimum is met)')
    .addOption(new Option('-f, --format <format>', ja ? '出力形式: bpf はバイナリ、text は逆アセンブル' : 'output format: bpf is the binary program, text a disassembly').choices(['bpf', 'text']).default('bpf'))
    .addOption(langOption(context.lang))
    .action((file: string, flags: CompileFlags) => {
      const profile = readProfile(file, context.lang);
      const machine = flags.arch ?? hostMachine();
      const environment = { caps: new Set(flags.cap ?? []), ...(flags.kernel === undefined ? {} : { kernel: parseKernel(flags.kernel) }) };

      let compiled;
      try {
        compiled = compileProfile(profile, { machine, environment });
      } catch (error) {
        if (!(error instanceof CompileError)) throw error;
        throw new UsageError(text(`${file}: cannot compile: ${error.message}`, `${file}: 変換できません: ${error.message}`));
      }

      if (flags.format === 'text') {
        const listing = `# ${file} for ${machine}: ${compiled.program.length} instructions, architectures ${compiled.arches.join(', ')}\n${disassemble(compiled.program)}`;
        if (flags.output === undefined) context.io.stdout(listing);
        else writeAtomically(flags.output, listing);
      } else {
        if (flags.output === undefined) {
          throw new UsageError(text('give the file for the binary program with --output FILE, or use --format text to print a disassembly', 'バイナリのプログラムを書き出すファイルを --output FILE で指定するか、--format text で逆アセンブルを表示してください'));
        }
        writeAtomically(flags.output, encodeProgram(compiled.program));
        context.io.stderr(
          context.lang === 'ja'
            ? `${flags.output}: ${compiled.program.length} 命令(${machine}、${compiled.arches.join(', ')})\n`
            : `${flags.output}: ${compiled.program.length} instructions (${machine}, ${compiled.arches.join(', ')})\n`,
        );
      }
      context.setExitCode(EXIT_OK);
    });
};

function hostMachine(): string {
  const machine = NODE_ARCHES[os.arch()];
  if (machine === undefined) {
    throw new UsageError(text(`no syscall table for this machine (${os.arch()}); give --arch x86_64 or --arch aarch64`, `このマシン(${os.arch()})のシステムコール表がありません。--arch x86_64 か --arch aarch64 を指定してください`));
  }
  return machine;
}

function parseKernel(value: string): [number, number] {
  const match = /^(\d+)\.(\d+)/.exec(value);
  if (match === null) throw new UsageError(text(`--kernel ${value}: give a version such as 6.1`, `--kernel ${value}: 6.1 のようなバージョンを指定してください`));
  return [Number(match[1]), Number(match[2])];
}

/** Reads a profile and rejects it with every error the linter finds; warnings do not stop compilation. */
function readProfile(file: string, lang: Lang): SeccompProfile {
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(text(`${file}: cannot read the profile (${reason})`, `${file}: プロファイルを読めません(${reason})`));
  }
  const parsed = parseProfile(content, file);
  const errors = parsed.findings.filter((finding) => finding.severity === 'error');
  if (parsed.profile === undefined || errors.length > 0) {
    const lines = errors.map((finding) => `${finding.path}:${finding.line ?? 1}: ${finding.message[lang]}`).join('\n');
    throw new UsageError(text(`the profile is not valid; fix these errors first:\n${lines}`, `プロファイルが正しくありません。先に次のエラーを直してください:\n${lines}`));
  }
  return parsed.profile;
}

/** Writes through a temporary file in the same directory, so a reader never sees half a program. */
function writeAtomically(file: string, content: Buffer | string): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(temporary, content);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(text(`${file}: cannot write the output (${reason})`, `${file}: 出力を書き込めません(${reason})`));
  }
}
