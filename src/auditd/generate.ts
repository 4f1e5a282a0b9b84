import { text } from '../core/text.js';
import type { Text } from '../core/text.js';
import { AUDIT_RULES, loadAuditRules } from '../model/auditrules.js';
import { serviceState } from '../model/services.js';
import { RootFs } from '../target/rootfs.js';
import { detectInit } from '../target/target.js';
import type { FileChange } from '../txn/index.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { compatMachine } from './arch.js';
import type { Machine } from './arch.js';
import { GUIDE_AUDIT_SYSCALL_RULES, GUIDE_AUDIT_WATCHES } from './guide.js';

/** The rules.d file `generate audit-rules --install` writes; augenrules reads it in version order. */
export const RULES_D_FILE = '/etc/audit/rules.d/50-kimigayo-harden.rules';

const BLOCK_BEGIN = `## BEGIN ${TOOL_NAME} audit rules: generated from ${RULES_D_FILE}, edit that file instead`;
const BLOCK_END = `## END ${TOOL_NAME} audit rules`;

/**
 * Write the guide's audit rules for `machine`. On a 64-bit machine with a 32-bit compatibility
 * table (x86_64) every syscall rule gets an arch=b32 twin, because a 32-bit program calls the
 * i386 table, which an arch=b64 rule does not cover. On aarch64 only the b64 rule is written,
 * since arm64 kernels are often built without 32-bit support.
 */
export function generateAuditRules(machine: Machine): string {
  const lines: string[] = [
    `## Audit rules of the Kimigayo OS hardening guide, written by ${TOOL_NAME} ${TOOL_VERSION} for ${machine}.`,
    '## auditctl -R reads one command per line; see auditctl(8).',
  ];
  let group = '';
  for (const watch of GUIDE_AUDIT_WATCHES) {
    if (watch.group !== group) {
      lines.push('', `## ${watch.group}`);
      group = watch.group;
    }
    lines.push(`-w ${watch.path}${watch.perms === '' ? '' : ` -p ${watch.perms}`} -k ${watch.key}`);
  }

  const is64 = machine === 'x86_64' || machine === 'aarch64';
  const arches = is64 ? ['b64'] : ['b32'];
  if (machine === 'x86_64' && compatMachine(machine) !== undefined) arches.push('b32');
  for (const rule of GUIDE_AUDIT_SYSCALL_RULES) {
    lines.push('', `## ${rule.group}`);
    if (arches.length > 1) lines.push('## The arch=b32 rule records 32-bit programs, which call the i386 syscall table.');
    for (const arch of arches) {
      lines.push(`-a always,exit -F arch=${arch} -S ${rule.syscall} ${rule.fields.map((field) => `-F ${field}`).join(' ')} -k ${rule.key}`);
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * Put `rules` between the block markers in an existing rules file: replace an earlier block,
 * or insert a new one before the first `-e` line (rules after `-e 2` would be rejected), or
 * append it.
 */
export function mergeRulesBlock(existing: string, rules: string): string {
  const body = rules.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
  const block = [BLOCK_BEGIN, ...body, BLOCK_END];
  const lines = existing === '' ? [] : existing.replace(/\n$/, '').split('\n');
  const begin = lines.indexOf(BLOCK_BEGIN);
  const end = lines.indexOf(BLOCK_END);
  if (begin !== -1 && end > begin) {
    lines.splice(begin, end - begin + 1, ...block);
  } else {
    const enable = lines.findIndex((line) => /^\s*-e\s/.test(line));
    if (enable === -1) lines.push(...block);
    else lines.splice(enable, 0, ...block);
  }
  return lines.join('\n') + '\n';
}

export interface AuditInstallPlan {
  changes: FileChange[];
  /** Steps the install leaves to the user, such as installing auditd itself. */
  notes: Text[];
}

const SYSTEMD_UNITS = ['/lib/systemd/system/auditd.service', '/usr/lib/systemd/system/auditd.service'];

function serviceChanges(rootFs: RootFs, notes: Text[]): FileChange[] {
  const init = detectInit(rootFs);
  const state = serviceState(rootFs, init, 'auditd');
  if (init === 'openrc') {
    if (!rootFs.exists('/etc/init.d/auditd')) {
      notes.push(text('auditd is not installed (no /etc/init.d/auditd), so it was not added to the default runlevel; add auditd to the image, then run this again', 'auditd がインストールされていない(/etc/init.d/auditd がない)ため、default ランレベルに追加していません。イメージに auditd を追加してから再実行してください'));
      return [];
    }
    if (state.enabled.some((item) => item.where === 'default')) return [];
    return [{ path: '/etc/runlevels/default/auditd', symlink: '/etc/init.d/auditd', reason: text('start auditd in the default runlevel', 'default ランレベルで auditd を起動する') }];
  }
  if (init === 'systemd') {
    const unit = SYSTEMD_UNITS.find((path) => rootFs.exists(path));
    if (unit === undefined) {
      notes.push(text('auditd is not installed (no auditd.service), so it was not enabled', 'auditd がインストールされていない(auditd.service がない)ため、有効にしていません'));
      return [];
    }
    if (state.enabled.length > 0) return [];
    return [{ path: '/etc/systemd/system/multi-user.target.wants/auditd.service', symlink: unit, reason: text('start auditd at boot', '起動時に auditd を起動する') }];
  }
  notes.push(text(`the init system (${init}) is not OpenRC or systemd, so auditd was not enabled; enable it at boot by hand`, `init システム(${init})が OpenRC でも systemd でもないため、auditd を有効にしていません。起動時に動くよう手動で設定してください`));
  return [];
}

/**
 * Plan the install of `rules` into the target. It writes the rules.d file and enables auditd
 * in the default runlevel or systemd's multi-user target. When the auditd service does not
 * run augenrules (Alpine's OpenRC service loads RULEFILE_STARTUP), the file it loads at boot
 * gets the rules too.
 */
export function planAuditRulesInstall(root: string, rules: string): AuditInstallPlan {
  const rootFs = new RootFs(root);
  const notes: Text[] = [];
  const changes: FileChange[] = [
    { path: RULES_D_FILE, content: rules, mode: 0o640, reason: text("the guide's audit rules", 'ガイドの監査ルール') },
  ];

  const model = loadAuditRules(rootFs);
  const startup = model.startup;
  if (startup.loader === 'rulefile' && startup.path === undefined) {
    notes.push(text('the auditd service loads RULEFILE_STARTUP, which /etc/conf.d/auditd does not set, so no rules load at boot; set RULEFILE_STARTUP=/etc/audit/audit.rules and run this again', 'auditd のサービスは RULEFILE_STARTUP を読み込みますが、/etc/conf.d/auditd で設定されていないため起動時にルールが読み込まれません。RULEFILE_STARTUP=/etc/audit/audit.rules を設定して再実行してください'));
  } else if (startup.loader !== 'augenrules' && model.present) {
    const bootFile = startup.path ?? AUDIT_RULES;
    const existing = rootFs.readTextIfExists(bootFile)?.text ?? '';
    changes.push({
      path: bootFile,
      content: mergeRulesBlock(existing, rules),
      mode: 0o640,
      reason: text(`the auditd service loads ${bootFile} at boot without running augenrules`, `auditd のサービスは augenrules を使わずに起動時に ${bootFile} を読み込む`),
    });
  }
  if (!model.present) {
    notes.push(text('auditd is not installed on this target: the rules take effect once auditd is added to the image', 'このターゲットには auditd がインストールされていません。auditd をイメージに追加するとルールが有効になります'));
  }

  changes.push(...serviceChanges(rootFs, notes));
  return { changes, notes };
}
