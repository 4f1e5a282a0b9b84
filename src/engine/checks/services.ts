import { text } from '../../core/text.js';
import { inetdEntries, serviceState } from '../../model/services.js';
import type { AuditContext, Evaluator } from '../context.js';
import { problemsOutcome } from '../context.js';
import type { Evidence } from '../types.js';
import { fail, notApplicable, pass } from '../types.js';

/** Report whether a service is started on the live host, or `undefined` offline. */
export function serviceRunning(context: AuditContext, names: string[]): { running: boolean; how: string } | undefined {
  const runtime = context.target.runtime;
  if (runtime === undefined) return undefined;
  if (context.target.init === 'openrc') {
    const started = runtime.openrcStarted();
    if (started !== undefined) {
      const name = names.find((candidate) => started.has(candidate));
      return { running: name !== undefined, how: `/run/openrc/started${name === undefined ? '' : `/${name}`}` };
    }
  }
  if (context.target.init === 'systemd') {
    for (const name of names) {
      const active = runtime.systemdActive(name);
      if (active === true) return { running: true, how: `systemctl is-active ${name}` };
    }
  }
  const processes = runtime.processNames();
  const name = names.find((candidate) => processes.has(candidate));
  return { running: name !== undefined, how: name === undefined ? '/proc/*/comm' : `/proc/*/comm: ${name}` };
}

const NOT_ENABLED_NOT_RUNNING = text('not enabled, not running', '無効かつ停止');

export const evaluateServiceDisabled: Evaluator<'service-disabled'> = (check, _control, context) => {
  const { fs, init } = context.target;
  const evidence: Evidence[] = [];

  for (const name of check.names) {
    const state = serviceState(fs, init, name);
    for (const enablement of state.enabled) evidence.push({ path: enablement.path, detail: `${name} enabled in ${enablement.where}` });
  }

  const inetd = context.readText('/etc/inetd.conf');
  if (inetd.problem !== undefined) return problemsOutcome([inetd.problem]);
  if (inetd.text !== undefined) {
    for (const entry of inetdEntries(inetd.text, '/etc/inetd.conf')) {
      const program = entry.program.split(/[\s/]/).filter((part) => part !== '');
      if (check.inetd.includes(entry.service) || program.some((part) => check.names.includes(part))) {
        evidence.push({ path: entry.path, line: entry.line, detail: `inetd: ${entry.service} ${entry.program}` });
      }
    }
  }

  const running = serviceRunning(context, check.names);
  if (running?.running === true) evidence.push({ path: running.how, detail: 'running' });

  if (evidence.length > 0) {
    return fail(
      text(
        `${check.service} is enabled or running (${evidence.map((item) => item.detail).join('; ')}); remove it from every runlevel and stop it`,
        `${check.service} が有効または動作中です(${evidence.map((item) => item.detail).join('; ')})。すべてのランレベルから外して停止してください`,
      ),
      evidence,
      { expected: NOT_ENABLED_NOT_RUNNING, actual: text('enabled', '有効') },
    );
  }
  return pass([], {
    expected: NOT_ENABLED_NOT_RUNNING,
    actual: running === undefined ? text('not enabled', '無効') : NOT_ENABLED_NOT_RUNNING,
  });
};

export const evaluateServiceEnabled: Evaluator<'service-enabled'> = (check, _control, context) => {
  const { fs, init } = context.target;
  const states = check.names.map((name) => ({ name, state: serviceState(fs, init, name) }));
  const installed = states.filter(({ state }) => state.installed);

  if (installed.length === 0) {
    const program = check.subject === 'iptables' ? ['/sbin/iptables', '/usr/sbin/iptables'] : ['/sbin/auditd', '/usr/sbin/auditd'];
    if (!program.some((path) => fs.exists(path))) {
      return notApplicable(
        text(`${check.service} is not installed on this target`, `${check.service} はこのターゲットにインストールされていません`),
      );
    }
    return fail(
      text(
        `${check.service} is installed but has no init script or unit (${check.names.map((name) => `/etc/init.d/${name}`).join(', ')})`,
        `${check.service} はインストールされていますが、init スクリプトやユニットがありません(${check.names.map((name) => `/etc/init.d/${name}`).join(', ')})`,
      ),
      [],
      { expected: text(`enabled in ${check.runlevel}`, `${check.runlevel} で有効`), actual: text('no service', 'サービスなし') },
    );
  }

  const wanted = init === 'systemd' ? ['multi-user.target', 'default.target', 'graphical.target', 'sysinit.target', 'basic.target'] : [check.runlevel];
  const evidence: Evidence[] = [];
  let enabledWhere: string | undefined;
  for (const { name, state } of installed) {
    for (const enablement of state.enabled) {
      evidence.push({ path: enablement.path, detail: `${name} in ${enablement.where}` });
      if (wanted.includes(enablement.where)) enabledWhere ??= enablement.where;
    }
  }
  const expected =
    init === 'systemd'
      ? text('enabled and active', '有効かつ稼働中')
      : text(`in runlevel ${check.runlevel}, started`, `ランレベル ${check.runlevel} に登録、起動済み`);

  if (enabledWhere === undefined) {
    const first = installed[0]?.name ?? check.service;
    const fix = init === 'systemd' ? `systemctl enable --now ${first}` : `rc-update add ${first} ${check.runlevel}`;
    return fail(
      text(`${check.service} is not enabled at boot; run: ${fix}`, `${check.service} が起動時に有効になっていません。実行してください: ${fix}`),
      evidence,
      { expected, actual: evidence.length === 0 ? text('not enabled', '無効') : evidence.map((item) => item.detail).join(', ') },
    );
  }

  let running = serviceRunning(context, installed.map(({ name }) => name));
  // The iptables service runs no process: loaded rules are the sign that it was started.
  if (check.subject === 'iptables' && running !== undefined && !running.running && context.target.init !== 'openrc') {
    const saved = context.target.runtime?.firewallSave(4);
    if (saved?.ok === true && /^-A /m.test(saved.stdout)) running = { running: true, how: 'iptables-save' };
  }
  if (running !== undefined && !running.running) {
    const first = installed[0]?.name ?? check.service;
    const fix = init === 'systemd' ? `systemctl start ${first}` : `rc-service ${first} start`;
    return fail(
      text(
        `${check.service} is enabled but not started now (persisted, not live); run: ${fix}`,
        `${check.service} は有効化されていますが、現在起動していません(永続設定のみで稼働中ではない)。実行してください: ${fix}`,
      ),
      evidence,
      { expected, actual: text('enabled, not started', '有効、未起動') },
    );
  }
  const actual =
    running === undefined
      ? text(`enabled in ${enabledWhere}`, `${enabledWhere} で有効`)
      : text(`enabled in ${enabledWhere}, started`, `${enabledWhere} で有効、起動済み`);
  return pass(evidence, { expected, actual });
};
