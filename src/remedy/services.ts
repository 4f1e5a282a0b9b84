import type { Control } from '../catalog/types.js';
import { text } from '../core/text.js';
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
