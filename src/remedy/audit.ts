import type { Control } from '../catalog/types.js';
import { text } from '../core/text.js';
import { hostMachine, targetMachine } from '../auditd/arch.js';
import { generateAuditRules, planAuditRulesInstall } from '../auditd/generate.js';
import type { RemedyContext } from './types.js';

/**
 * Install the guide's audit rules (every watch and syscall rule at once, since they live in one
 * file) where the target's auditd loads them at boot, and enable auditd, as
 * `generate audit-rules --install` does.
 */
export function remedyAuditRules(controls: Control[], context: RemedyContext): void {
  const ids = controls.filter((control) => control.check.kind === 'audit-watch' || control.check.kind === 'audit-syscall').map((control) => control.id);
  if (ids.length === 0) return;
  const root = context.overlay.root;
  const machine = targetMachine(root) ?? hostMachine();
  const install = planAuditRulesInstall(root, generateAuditRules(machine));
  for (const change of install.changes) {
    if (change.symlink !== undefined) context.overlay.symlink(change.path, change.symlink, ids[0] as string);
    else if (typeof change.content === 'string' || Buffer.isBuffer(change.content)) {
      context.overlay.writeFile(change.path, change.content, ids, change.mode === undefined ? {} : { mode: change.mode });
    }
  }
  for (const note of install.notes) context.notes.push({ severity: 'warning', message: note });
  if (context.live) {
    context.notes.push({
      severity: 'info',
      message: text('the audit rules load when auditd starts; restart auditd (rc-service auditd restart or augenrules --load) to load them now', '監査ルールは auditd の起動時に読み込まれます。すぐに読み込むには auditd を再起動してください(rc-service auditd restart または augenrules --load)'),
    });
  }
}
