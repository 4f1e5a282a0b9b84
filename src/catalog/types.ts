import type { Text } from '../core/text.js';

export type Level = 1 | 2 | 3;

export const CATEGORIES = [
  'system',
  'services',
  'ssh',
  'files',
  'sysctl',
  'mounts',
  'modules',
  'firewall',
  'network',
  'audit',
  'docker',
  'boot',
  'seccomp',
  'containers',
] as const;

export type Category = (typeof CATEGORIES)[number];

/** Origin of the advice: a heading of the Kimigayo hardening guide, plus a note when the level is our proposal. */
export interface Source {
  /** Heading of the guide's section, as written in the guide (Japanese). */
  guide: string;
  /** Reason for the level when the guide gives the setting without one. */
  levelNote?: string;
}

/** An exception that makes a stricter-than-needed value acceptable, e.g. Debian's shadow 640 root:shadow. */
export interface ModeAllowance {
  osFamily: 'debian' | 'alpine';
  maxMode: number;
  group: string;
  note: Text;
}

/** Check performed by a control. The engine has one evaluator per kind and no facts of its own. */
export type CheckSpec =
  | { kind: 'os-support' }
  | { kind: 'service-disabled'; service: string; names: string[]; inetd: string[] }
  | { kind: 'service-enabled'; service: string; names: string[]; runlevel: string; subject: 'iptables' | 'auditd' }
  | {
      kind: 'sshd';
      /** Lower-case, as the model looks keywords up. */
      keyword: string;
      /** Spelling for messages, as sshd_config(5) writes it. */
      name: string;
      expected: string[];
    }
  | { kind: 'file-mode'; path: string; maxMode: number; owner: string; group?: string; allow?: ModeAllowance[] }
  /** One list of the file system scan must be empty; set-id files on the OS family's allow-list do not count. */
  | { kind: 'file-scan'; list: FileScanList }
  | {
      kind: 'sysctl';
      key: string;
      expected: string;
      /** Accept this key and value instead where `key` does not exist on the kernel (mainline vs Debian patches). */
      alternative?: { key: string; expected: string };
      /** Checked only when the site profile sets `ipv6: false`. */
      requiresProfile?: 'ipv6-unused';
    }
  | { kind: 'mount'; mountpoint: string; options: string[]; fstype?: string; requireEntry: boolean }
  | { kind: 'mount-removable'; options: string[] }
  | { kind: 'module'; module: string }
  | { kind: 'firewall'; family: 4 | 6; fact: FirewallFact }
  | { kind: 'listening-ports' }
  | { kind: 'audit-watch'; path: string; perms: string }
  | { kind: 'audit-syscall'; arch: 'b64' | 'b32'; syscall: string; fields: string[] }
  | { kind: 'docker-daemon'; key: string; expected: DockerExpectation }
  /** `startable`: dockerd accepts daemon.json and its flags; `tcp-tls`: no TCP listener without client certificates. */
  | { kind: 'docker-daemon-file'; rule: 'startable' | 'tcp-tls' }
  | { kind: 'grub-password'; file: 'custom' | 'cfg' }
  | { kind: 'seccomp-profiles'; rule: 'parse' | 'default-deny' | 'startable' | 'dangerous' | 'arch-names' }
  | { kind: 'compose'; rule: ComposeRule };

export type FileScanList = 'setid' | 'world-writable' | 'world-writable-dirs' | 'orphans';

export type FirewallFact =
  | 'persisted'
  | 'input-policy'
  | 'forward-policy'
  | 'loopback'
  | 'established'
  | 'invalid'
  | 'ssh'
  | 'icmp-rate-limit'
  | 'log-before-drop'
  | 'anti-scan'
  | 'unreachable'
  | 'conntrack'
  | 'ipv6-ruleset';

export type DockerExpectation =
  | { equals: boolean | string }
  | { nonEmpty: true }
  | { seccompFile: true }
  | { logOpts: string[] };

export type ComposeRule =
  | 'read-only'
  | 'tmpfs-tmp'
  | 'no-new-privileges'
  | 'cap-drop-all'
  | 'pids-limit'
  | 'resource-limits'
  | 'non-root'
  | 'no-privileged'
  | 'pinned-image';

export interface Control {
  /** Stable, lower-case, dotted, naming the thing checked, e.g. `sysctl.kernel.kptr_restrict`. */
  id: string;
  level: Level;
  category: Category;
  title: Text;
  rationale: Text;
  source: Source;
  check: CheckSpec;
  /** Decided outside a container (by the host kernel or the container runtime): not applicable inside one. */
  hostOnly?: boolean;
}
