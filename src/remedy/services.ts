import type { Control } from '../catalog/types.js';
import { text } from '../core/text.js';
import { firewallFiles } from '../model/firewall.js';
import { inetdEntries, serviceState } from '../model/services.js';
import type { RemedyContext } from './types.js';

/** Remove every runlevel or .wants link that enables the service, and comment out its inetd lines. */
export function remedyServicesDisabled(controls: Control[], context: RemedyContext): void {
  const { init } = context.target;
  for (const control of controls) {
    if (control.check.kind !== 'service-disabled') continue;
    const check = control.check;
    for (const name of check.names) {
      const state = serviceState(context.overlay, init, name);
      for (const enablement of state.enabled) context.overlay.remove(enablement.path, control.id, true);
      if (context.live && state.enabled.length > 0) context.runtime.push({ kind: 'service-stop', service: name, controlId: control.id });
    }

    const inetd = context.overlay.currentText('/etc/inetd.conf');
    if (inetd === undefined) continue;
    const lines = inetd.split('\n');
    let changed = false;
    for (const entry of inetdEntries(inetd, '/etc/inetd.conf')) {
      const program = entry.program.split(/[\s/]/).filter((part) => part !== '');
      if (!check.inetd.includes(entry.service) && !program.some((part) => check.names.includes(part))) continue;
      const index = entry.line - 1;
      lines[index] = `#${lines[index] as string}`;
      changed = true;
    }
    if (changed) {
      context.overlay.writeFile('/etc/inetd.conf', lines.join('\n'), control.id);
      context.notes.push({ controlId: control.id, severity: 'info', message: text(`${check.service}: its /etc/inetd.conf lines are commented out`, `${check.service}: /etc/inetd.conf の該当行をコメントアウトします`) });
    }
  }
}

/** Unit directory where `systemctl enable` puts the link for multi-user.target. */
const SYSTEMD_WANTS = '/etc/systemd/system/multi-user.target.wants';

/**
 * Enable a service at boot the way `rc-update add NAME RUNLEVEL` or `systemctl enable NAME` does,
 * by making the link those commands make. The firewall service is enabled only when its rule file
 * exists (an earlier remedy may have written it), because OpenRC's iptables service refuses to
 * start without one. On a live host the service is started by the runtime steps.
 */
export function remedyServicesEnabled(controls: Control[], context: RemedyContext): void {
  const { init } = context.target;
  for (const control of controls) {
    if (control.check.kind !== 'service-enabled') continue;
    const check = control.check;
    const name = check.names.find((candidate) => serviceState(context.overlay, init, candidate).installed);
    if (name === undefined) continue;
    const state = serviceState(context.overlay, init, name);
    if (check.subject === 'iptables' && !firewallRulesPresent(context)) {
      context.notes.push({
        controlId: control.id,
        severity: 'info',
        message: text(`${name} is not enabled: it has no rule file to load yet (generate firewall --install writes one)`, `${name} は有効にしません: 読み込むルールファイルがまだありません(generate firewall --install で作成できます)`),
      });
      continue;
    }
    if (init === 'systemd') {
      const unit = state.installedPath ?? `/lib/systemd/system/${name}.service`;
      context.overlay.symlink(`${SYSTEMD_WANTS}/${unit.split('/').at(-1) as string}`, unit, control.id);
    } else if (init === 'openrc') {
      context.overlay.symlink(`/etc/runlevels/${check.runlevel}/${name}`, `/etc/init.d/${name}`, control.id);
    } else {
      context.notes.push({ controlId: control.id, severity: 'warning', message: text(`enable ${name} at boot by hand: this init system is not handled`, `${name} の起動時の有効化は手で行ってください: この init システムには対応していません`) });
      continue;
    }
    if (context.live) context.runtime.push({ kind: 'service-start', service: name, controlId: control.id });
  }
}

function firewallRulesPresent(context: RemedyContext): boolean {
  const files = firewallFiles(context.overlay);
  return files.ipv4.loaded !== undefined && context.overlay.exists(files.ipv4.loaded.path);
}
