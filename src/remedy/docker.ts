import type { Control } from '../catalog/types.js';
import { text } from '../core/text.js';
import { DAEMON_JSON_PATH } from '../docker/daemonJson.js';
import { planDaemonJson } from '../docker/daemonMerge.js';
import type { RemedyContext } from './types.js';

/**
 * Merge the guide's keys into daemon.json as `generate daemon-json --install` does, with the
 * subordinate ID ranges userns-remap needs. Keys that would stop dockerd (set as flags, a missing
 * seccomp profile) are left out with a note. dockerd is not restarted, because that stops the
 * containers of a daemon without live-restore, so a note tells the operator to restart it.
 */
export function remedyDockerDaemon(controls: Control[], context: RemedyContext): void {
  const ids = controls.map((control) => control.id);
  const plan = planDaemonJson(context.overlay);
  if ('blocking' in plan) {
    const where = `${DAEMON_JSON_PATH}:${plan.blocking.line ?? 1}:${plan.blocking.column ?? 1}`;
    context.notes.push({ severity: 'warning', message: text(`${where}: ${plan.blocking.message.en}; daemon.json is left as it is`, `${where}: ${plan.blocking.message.ja}。daemon.json は変更しません`) });
    return;
  }

  for (const decision of plan.decisions) {
    if (decision.action !== 'skipped' || decision.reason === undefined) continue;
    const controlId = `docker.daemon.${decision.key}`;
    context.notes.push({ controlId, severity: 'warning', message: text(`"${decision.key}" is left out of daemon.json: ${decision.reason.en}`, `"${decision.key}" は daemon.json に設定しません: ${decision.reason.ja}`) });
  }
  if (plan.source !== plan.content) context.overlay.writeFile(DAEMON_JSON_PATH, plan.content, ids);
  // The ranges serve userns-remap alone, so the plan names that control as their reason.
  const usernsIds = ids.includes('docker.daemon.userns-remap') ? ['docker.daemon.userns-remap'] : ids;
  for (const addition of plan.subid) context.overlay.writeFile(addition.path, addition.content, usernsIds);

  if (plan.source !== plan.content || plan.subid.length > 0) {
    context.notes.push({
      severity: 'info',
      message: text('restart dockerd to use the new daemon.json (OpenRC: rc-service docker restart); containers stop unless live-restore was already on', '新しい daemon.json を使うには dockerd を再起動してください(OpenRC: rc-service docker restart)。live-restore が有効でなかった場合、コンテナは停止します'),
    });
  }
}
