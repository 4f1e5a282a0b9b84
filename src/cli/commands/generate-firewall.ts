import { Option } from 'commander';
import { text } from '../../core/text.js';
import { firewallChoices, generateFirewall } from '../../firewall/generate.js';
import { planIptablesInstall, planNftablesInstall, targetSshPorts } from '../../firewall/install.js';
import { loadProfile } from '../../profile/load.js';
import type { Profile } from '../../profile/profile.js';
import { openTarget } from '../../target/target.js';
import type { Target } from '../../target/target.js';
import { applyFileChanges } from '../../txn/index.js';
import { langOption, profileOptionText, rootOptionText } from '../common.js';
import type { RegisterCommand } from '../common.js';
import { EXIT_OK } from '../exit.js';

interface GenerateFirewallFlags {
  profile?: string;
  format: 'iptables' | 'ip6tables' | 'nftables';
  install?: boolean;
  root?: string;
}

export const registerGenerateFirewall: RegisterCommand = (generate, context) => {
  const ja = context.lang === 'ja';
  generate
    .command('firewall')
    .description(
      ja
        ? 'ガイドのホストファイアウォール(iptables-restore 形式の IPv4/IPv6、または nftables)を生成します'
        : "generate the guide's host firewall (iptables-restore files for IPv4 and IPv6, or an nftables ruleset)",
    )
    .option('--profile <file>', profileOptionText(context.lang))
    .addOption(
      new Option('--format <format>', ja ? '標準出力に書く形式(--install では iptables が IPv4 と IPv6 の両方を書きます)' : 'format printed to stdout (with --install, iptables writes both IPv4 and IPv6)')
        .choices(['iptables', 'ip6tables', 'nftables'])
        .default('iptables'),
    )
    .option(
      '--install',
      ja
        ? '起動時に読み込まれる場所(/etc/conf.d/iptables の IPTABLES_SAVE など)にトランザクションとして書き込みます。rollback で戻せます'
        : 'write the rules where the init system loads them at boot (IPTABLES_SAVE in /etc/conf.d/iptables, ...) as a transaction that rollback undoes',
    )
    .option('--root <dir>', rootOptionText(context.lang))
    .addOption(langOption(context.lang))
    .action((flags: GenerateFirewallFlags) => {
      const profile: Profile = flags.profile === undefined ? {} : loadProfile(flags.profile);
      // A target is read only to install into it or to find its SSH ports.
      let target: Target | undefined;
      if (flags.root !== undefined) target = openTarget({ root: flags.root });
      else if (flags.install === true) target = openTarget({});

      // Without a profile setting, the ports sshd of the target listens on stay open.
      let sshPorts = profile.sshPorts;
      if (sshPorts === undefined && target !== undefined) sshPorts = targetSshPorts(target.fs);
      const generated = generateFirewall(firewallChoices(profile, sshPorts));

      if (flags.install !== true || target === undefined) {
        const output = { iptables: generated.ipv4, ip6tables: generated.ipv6, nftables: generated.nftables }[flags.format];
        context.io.stdout(output);
        context.setExitCode(EXIT_OK);
        return;
      }

      const root = flags.root ?? '/';
      const plan = flags.format === 'nftables' ? planNftablesInstall(target.fs, generated) : planIptablesInstall(target.fs, generated);
      for (const warning of plan.warnings) context.io.stderr(`kimigayo-harden: ${ja ? '警告' : 'warning'}: ${warning[context.lang]}\n`);
      const result = applyFileChanges(root, plan.changes, 'generate firewall --install');
      if (result.id === undefined) {
        context.io.stdout(ja ? '変更はありません。ルールはすでに書き込まれています。\n' : 'nothing to change: the rules are already installed\n');
      } else {
        const files = result.changed.join(', ');
        context.io.stdout(
          text(`wrote ${files} (transaction ${result.id}; undo with: kimigayo-harden rollback ${result.id})\n`, `${files} を書き込みました(トランザクション ${result.id}。元に戻すには kimigayo-harden rollback ${result.id})\n`)[context.lang],
        );
      }
      context.setExitCode(EXIT_OK);
    });
};
