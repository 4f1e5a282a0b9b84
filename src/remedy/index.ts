import type { CheckSpec } from '../catalog/types.js';
import { remedyAuditRules } from './audit.js';
import { remedyDockerDaemon } from './docker.js';
import { remedyFileModes } from './filemode.js';
import { remedyFileScan } from './filescan.js';
import { remedyMounts } from './fstab.js';
import { remedyModules } from './modprobe.js';
import { remedyServicesDisabled, remedyServicesEnabled } from './services.js';
import { remedySshd } from './sshd.js';
import { remedySysctl } from './sysctl.js';
import type { Remedy } from './types.js';

/**
 * Check kinds that `apply` can fix by itself, in the order it fixes them. Kinds not listed need
 * a decision only the operator can make (a GRUB password, the firewall's allowed ports, which
 * containers to change) and are reported as manual.
 */
export const REMEDIES: ReadonlyArray<[CheckSpec['kind'], Remedy]> = [
  ['file-mode', remedyFileModes],
  ['file-scan', remedyFileScan],
  ['service-disabled', remedyServicesDisabled],
  ['sysctl', remedySysctl],
  ['module', remedyModules],
  ['mount', remedyMounts],
  ['sshd', remedySshd],
  ['docker-daemon', remedyDockerDaemon],
  ['audit-watch', remedyAuditRules],
  ['audit-syscall', remedyAuditRules],
  // After the remedies that write rule files, because the firewall service needs one to start.
  ['service-enabled', remedyServicesEnabled],
];

export function hasRemedy(kind: CheckSpec['kind']): boolean {
  return REMEDIES.some(([candidate]) => candidate === kind);
}
