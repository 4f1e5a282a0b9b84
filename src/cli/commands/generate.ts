import type { RegisterCommand } from '../common.js';
import { registerGenerateFirewall } from './generate-firewall.js';

/**
 * Generators of the guide's artefacts. Each adds one subcommand under `generate`
 * (`generate firewall`, `generate seccomp`, ...) with its own options.
 */
export const GENERATORS: RegisterCommand[] = [registerGenerateFirewall];

export const registerGenerate: RegisterCommand = (program, context) => {
  const generate = program
    .command('generate')
    .description(context.lang === 'ja' ? 'ガイドの設定ファイル(ファイアウォール、seccomp、監査ルールなど)を生成します' : "generate the guide's artefacts (firewall rules, seccomp profiles, audit rules, ...)");
  for (const register of GENERATORS) register(generate, context);
};
