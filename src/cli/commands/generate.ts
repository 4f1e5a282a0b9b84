import type { RegisterCommand } from '../common.js';
import { registerGenerateSeccomp } from './generate-seccomp.js';
import { registerGenerateDaemonJson, registerGenerateDockerRun } from './generateDocker.js';
import { registerGenerateAuditRules } from './generate-audit-rules.js';
import { registerGenerateGrubPassword } from './generate-grub-password.js';
import { registerGenerateFirewall } from './generate-firewall.js';

/**
 * Generators of the guide's artefacts. Each adds one subcommand under `generate`
 * (`generate firewall`, `generate seccomp`, ...) with its own options.
 */
export const GENERATORS: RegisterCommand[] = [
  registerGenerateDockerRun,
  registerGenerateDaemonJson,
  registerGenerateAuditRules,
  registerGenerateGrubPassword,
  registerGenerateSeccomp,
  registerGenerateFirewall,
];

export const registerGenerate: RegisterCommand = (program, context) => {
  const generate = program
    .command('generate')
    .description(context.lang === 'ja' ? 'ガイドの設定ファイル(ファイアウォール、seccomp、監査ルールなど)を生成します' : "generate the guide's artefacts (firewall rules, seccomp profiles, audit rules, ...)")
    // commander's own `help [command]` entry has no Japanese text; `generate X --help` does the same.
    .helpCommand(false);
  for (const register of GENERATORS) register(generate, context);
};
