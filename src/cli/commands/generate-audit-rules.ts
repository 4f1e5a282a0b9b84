import { Option } from 'commander';
import { hostMachine, targetMachine } from '../../auditd/arch.js';
import type { Machine } from '../../auditd/arch.js';
import { generateAuditRules, planAuditRulesInstall } from '../../auditd/generate.js';
import { langOption, rootOptionText } from '../common.js';
import type { RegisterCommand } from '../common.js';
import { EXIT_OK } from '../exit.js';
import { checkRoot, installChanges } from './install.js';

interface AuditRulesFlags {
  arch?: Machine;
  install?: boolean;
  root?: string;
}

export const registerGenerateAuditRules: RegisterCommand = (generate, context) => {
  const ja = context.lang === 'ja';
  generate
    .command('audit-rules')
    .description(
      ja
        ? 'ガイドの監査ルール(x86_64 では各 syscall ルールに arch=b32 の対を追加)を出力します。--install で rules.d に書き込み、auditd を有効にします'
        : "print the guide's audit rules (on x86_64 each syscall rule gets an arch=b32 twin); --install writes them to rules.d and enables auditd",
    )
    .addOption(new Option('--arch <machine>', ja ? 'ルールを作るマシン(既定: ターゲットのシェルの ELF ヘッダー、なければこのホスト)' : "machine the rules are for (default: from the ELF header of the target's shell, else this host)").choices(['x86_64', 'aarch64', 'i386', 'arm']))
    .option('--install', ja ? 'トランザクションで /etc/audit/rules.d に書き込み、auditd を default ランレベルに追加します' : 'write the rules to /etc/audit/rules.d and add auditd to the default runlevel, as one transaction')
    .option('--root <dir>', rootOptionText(context.lang))
    .addOption(langOption(context.lang))
    .action((flags: AuditRulesFlags) => {
      if (flags.root !== undefined) checkRoot(flags.root);
      const machine = flags.arch ?? (flags.root === undefined ? undefined : targetMachine(flags.root)) ?? hostMachine();
      const rules = generateAuditRules(machine);
      if (flags.install !== true) {
        context.io.stdout(rules);
        context.setExitCode(EXIT_OK);
        return;
      }
      const root = flags.root ?? '/';
      const plan = planAuditRulesInstall(root, rules);
      context.io.stdout(installChanges(root, plan.changes, 'generate audit-rules --install', plan.notes, context.lang));
      context.setExitCode(EXIT_OK);
    });
};
