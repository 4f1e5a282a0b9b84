import type { Control } from '../catalog/types.js';
import { text } from '../core/text.js';
import { firewallChoices, generateFirewall } from '../firewall/generate.js';
import { planIptablesInstall, targetSshPorts } from '../firewall/install.js';
import { firewallFiles } from '../model/firewall.js';
import { TargetError } from '../target/rootfs.js';
import { UsageError } from '../target/target.js';
import type { RemedyContext } from './types.js';

/**
 * Install the guide's host firewall where the target's firewall service loads it at boot, as
 * `generate firewall --install` does. An existing rule file is replaced only when the profile
 * names the ports to allow (allowTcp or allowUdp). The generated rules drop every port the
 * profile does not list, so they would cut off the services the old rules let through.
 */
export function remedyFirewall(controls: Control[], context: RemedyContext): void {
  const ids = controls.filter((control) => control.check.kind === 'firewall').map((control) => control.id);
  if (ids.length === 0) return;

  const files = firewallFiles(context.overlay);
  const existing = [files.ipv4.loaded, files.ipv6.loaded].filter((file) => file !== undefined && context.overlay.exists(file.path));
  const portsChosen = context.profile.allowTcp !== undefined || context.profile.allowUdp !== undefined;
  if (existing.length > 0 && !portsChosen) {
    context.notes.push({
      severity: 'warning',
      message: text(
        `${existing.map((file) => file?.path).join(', ')} exists and is kept: set allowTcp and allowUdp in the profile (an empty list allows nothing but SSH) to let apply replace it with the guide's rules`,
        `${existing.map((file) => file?.path).join(', ')} があるため残します。プロファイルに allowTcp と allowUdp を設定すると(空のリストなら SSH 以外を許可しません)、apply がガイドのルールに置き換えます`,
      ),
    });
    return;
  }

  const choices = firewallChoices(context.profile, context.profile.sshPorts ?? targetSshPorts(context.overlay));
  let install;
  try {
    install = planIptablesInstall(context.overlay, generateFirewall(choices));
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TargetError)) throw error;
    const { detail } = error;
    context.notes.push({ severity: 'warning', message: text(`the firewall is not installed: ${detail.en}`, `ファイアウォールは導入しません: ${detail.ja}`) });
    return;
  }
  const ipv6Path = firewallFiles(context.overlay).ipv6.loaded?.path ?? '/etc/iptables/rules6-save';
  for (const change of install.changes) {
    if (typeof change.content !== 'string' && !Buffer.isBuffer(change.content)) continue;
    const family = change.path === ipv6Path ? 'ipv6' : 'ipv4';
    const reasons = ids.filter((id) => id.includes(`.${family}.`) || !/\.ipv[46]\./.test(id));
    context.overlay.writeFile(change.path, change.content, reasons.length > 0 ? reasons : ids, { mode: 0o600 });
  }
  for (const warning of install.warnings) context.notes.push({ severity: 'warning', message: warning });
  if (context.live) {
    const paths = install.changes.map((change) => change.path).join(' ');
    context.notes.push({
      severity: 'warning',
      message: text(
        `the new rules are not loaded now; load them with "kimigayo-harden firewall load FILE" (${paths}), which restores the old rules unless you confirm within 30 s`,
        `新しいルールはまだ読み込みません。"kimigayo-harden firewall load FILE"(${paths})で読み込んでください。30 秒以内に確認しなければ元のルールに戻ります`,
      ),
    });
  }
}
