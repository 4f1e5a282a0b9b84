import type { CheckSpec } from '../catalog/types.js';
import type { Evaluator } from './context.js';
import { evaluateGrubPassword } from './checks/boot.js';
import { evaluateCompose } from './checks/compose.js';
import { evaluateDockerDaemon, evaluateDockerDaemonFile } from './checks/docker.js';
import { evaluateFileMode } from './checks/filemode.js';
import { evaluateFileScan } from './checks/filescan.js';
import { makeOsSupportEvaluator } from './checks/ossupport.js';
import type { SupportTable } from './checks/ossupport.js';
import { evaluateSeccomp } from './checks/seccomp.js';
import { evaluateServiceDisabled, evaluateServiceEnabled } from './checks/services.js';
import { evaluateSysctl } from './checks/sysctl.js';
import { evaluateSshd } from './checks/sshd.js';
import { evaluateMount, evaluateRemovableMounts } from './checks/mounts.js';
import { evaluateModule } from './checks/modules.js';
import { evaluateFirewall, evaluateListeningPorts } from './checks/firewall.js';
import { evaluateAuditSyscall, evaluateAuditWatch } from './checks/audit.js';

export type EvaluatorTable = { [K in CheckSpec['kind']]: Evaluator<K> };

/** Map each check kind to its evaluator; the catalog decides which controls use each kind. */
export function makeEvaluators(supportTable: SupportTable): EvaluatorTable {
  return {
    'os-support': makeOsSupportEvaluator(supportTable),
    'service-disabled': evaluateServiceDisabled,
    'service-enabled': evaluateServiceEnabled,
    sshd: evaluateSshd,
    'file-mode': evaluateFileMode,
    'file-scan': evaluateFileScan,
    sysctl: evaluateSysctl,
    mount: evaluateMount,
    'mount-removable': evaluateRemovableMounts,
    module: evaluateModule,
    firewall: evaluateFirewall,
    'listening-ports': evaluateListeningPorts,
    'audit-watch': evaluateAuditWatch,
    'audit-syscall': evaluateAuditSyscall,
    'docker-daemon': evaluateDockerDaemon,
    'docker-daemon-file': evaluateDockerDaemonFile,
    'grub-password': evaluateGrubPassword,
    'seccomp-profiles': evaluateSeccomp,
    compose: evaluateCompose,
  };
}
