/**
 * The audit rules of the hardening guide, as data shared by the catalog (what the audit
 * checks) and the generator (what `generate audit-rules` writes).
 */

export interface GuideWatch {
  path: string;
  /** Letters for `-p`; empty means the guide gives no `-p`, so auditctl watches for rwxa. */
  perms: string;
  key: string;
  /** Comment line written above the watch in the generated file. */
  group: string;
}

export interface GuideSyscallRule {
  syscall: string;
  fields: string[];
  key: string;
  group: string;
}

export const GUIDE_AUDIT_WATCHES: GuideWatch[] = [
  { path: '/var/log/audit/', perms: '', key: 'audit-log', group: 'Removal or change of the audit logs' },
  { path: '/var/log/auth.log', perms: 'wa', key: 'auth', group: 'Authentication events' },
  { path: '/etc/passwd', perms: 'wa', key: 'passwd_changes', group: 'Authentication events' },
  { path: '/etc/shadow', perms: 'wa', key: 'shadow_changes', group: 'Authentication events' },
  { path: '/etc/group', perms: 'wa', key: 'group_changes', group: 'Authentication events' },
  { path: '/etc/network/', perms: 'wa', key: 'network_changes', group: 'Network configuration' },
  { path: '/etc/ssh/sshd_config', perms: 'wa', key: 'sshd_config', group: 'Network configuration' },
  { path: '/sbin/insmod', perms: 'x', key: 'module_insertion', group: 'Kernel module loading' },
  { path: '/sbin/rmmod', perms: 'x', key: 'module_removal', group: 'Kernel module loading' },
  { path: '/sbin/modprobe', perms: 'x', key: 'module_load', group: 'Kernel module loading' },
];

export const GUIDE_AUDIT_SYSCALL_RULES: GuideSyscallRule[] = [
  { syscall: 'execve', fields: ['euid=0', 'uid!=0'], key: 'suid_execution', group: 'Programs run as root on behalf of another user (SUID/SGID)' },
];
