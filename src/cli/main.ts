import { Command, CommanderError } from 'commander';
import type { Lang } from '../core/text.js';
import { UsageError } from '../target/target.js';
import { TOOL_VERSION } from '../version.js';
import { commandsFor } from './commands/index.js';
import type { RegisterCommand } from './common.js';
import { commanderError, helpConfiguration, langFromArgs } from './common.js';
import type { CommandContext, Io } from './common.js';
import { escalate, EXIT_OK, EXIT_USAGE } from './exit.js';
import type { ExitCode } from './exit.js';

export type { Io } from './common.js';

/** Commands whose first argument names a subcommand (`generate firewall`, `firewall load`). */
const GROUPS = new Set(['generate', 'firewall']);

/** Return the subcommand named on the command line, so that only its module is loaded. */
function commandName(argv: string[]): string {
  const first = argv.find((arg) => !arg.startsWith('-'));
  return first === undefined ? '' : first;
}

/** Return the command and, for a group, its subcommand (`generate firewall`) for the "see --help" hint of an error. */
function commandPath(argv: string[]): string {
  const words = argv.filter((arg) => !arg.startsWith('-'));
  const first = words[0];
  if (first === undefined) return '';
  return GROUPS.has(first) && words[1] !== undefined ? `${first} ${words[1]}` : first;
}

function buildProgram(context: CommandContext, argv: string[], commands: RegisterCommand[]): Command {
  const { lang, io } = context;
  const ja = lang === 'ja';
  const program = new Command('kimigayo-harden')
    .description(ja ? 'Kimigayo OS のセキュリティ強化ガイドに沿って Linux システムを監査・強化します' : 'Audit and harden Linux systems to the Kimigayo OS security hardening guide')
    .version(TOOL_VERSION, '-V, --version', ja ? 'バージョンを表示します' : 'print the version')
    .helpOption('-h, --help', ja ? 'ヘルプを表示します' : 'show help')
    .addHelpCommand(false)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: (message, write) => write(commanderError(message, lang, commandPath(argv))) })
    .configureHelp(helpConfiguration(lang));
  for (const register of commands) register(program, context);
  return program;
}

/** Run the command line and return the exit code. Usage and target errors become exit code 2 with a message. */
export async function main(argv: string[], io: Io): Promise<ExitCode> {
  const lang: Lang = langFromArgs(argv, io.env);
  let code: ExitCode = EXIT_OK;
  const context: CommandContext = { lang, io, setExitCode: (next) => (code = escalate(code, next)) };
  const program = buildProgram(context, argv, await commandsFor(commandName(argv)));

  try {
    await program.parseAsync(argv, { from: 'user' });
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
