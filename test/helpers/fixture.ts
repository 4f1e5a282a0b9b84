import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Profile } from '../../src/profile/profile.js';

/** A file to create in a fixture tree: content, or a symbolic link, with an optional mode. */
export type FixtureEntry = string | { content?: string; mode?: number; symlink?: string; dir?: true; remove?: true; uid?: number; gid?: number };

export type FixtureSpec = Record<string, FixtureEntry>;

/** Write a tree under a fresh temporary directory and return its path. */
export function makeTree(spec: FixtureSpec, prefix = 'kh-fixture-'): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  writeTree(root, spec);
  return root;
}

export function writeTree(root: string, spec: FixtureSpec): void {
  for (const [target, entry] of Object.entries(spec)) {
    const hostPath = path.join(root, target);
    fs.mkdirSync(path.dirname(hostPath), { recursive: true });
    if (typeof entry === 'string') {
      fs.writeFileSync(hostPath, entry);
      continue;
    }
    if (entry.remove === true) {
      fs.rmSync(hostPath, { recursive: true, force: true });
      continue;
    }
    if (entry.symlink !== undefined) {
      fs.rmSync(hostPath, { force: true });
      fs.symlinkSync(entry.symlink, hostPath);
      continue;
    }
    if (entry.dir === true) fs.mkdirSync(hostPath, { recursive: true });
    else fs.writeFileSync(hostPath, entry.content ?? '');
    // chown clears set-id bits, so the owner is set before the mode.
    if (entry.uid !== undefined || entry.gid !== undefined) fs.chownSync(hostPath, entry.uid ?? 0, entry.gid ?? 0);
    if (entry.mode !== undefined) fs.chmodSync(hostPath, entry.mode);
  }
}

export function removeTree(root: string): void {
  fs.rmSync(root, { recursive: true, force: true });
}

const GUIDE_SYSCTL = `# Kernel hardening
kernel.dmesg_restrict = 1
kernel.kptr_restrict = 2
kernel.yama.ptrace_scope = 1
kernel.kexec_load_disabled = 1
kernel.unprivileged_bpf_disabled = 1
kernel.unprivileged_userns_clone = 0
vm.mmap_min_addr = 65536
kernel.randomize_va_space = 2
fs.protected_hardlinks = 1
fs.protected_symlinks = 1
fs.protected_fifos = 2
fs.protected_regular = 2
fs.suid_dumpable = 0
net.ipv4.conf.all.rp_filter = 1
net.ipv4.conf.default.rp_filter = 1
net.ipv4.conf.all.accept_source_route = 0
net.ipv4.conf.default.accept_source_route = 0
net.ipv4.conf.all.accept_redirects = 0
net.ipv4.conf.default.accept_redirects = 0
net.ipv4.conf.all.secure_redirects = 0
net.ipv4.conf.default.secure_redirects = 0
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.default.send_redirects = 0
net.ipv4.icmp_echo_ignore_all = 0
net.ipv4.icmp_echo_ignore_broadcasts = 1
net.ipv4.icmp_ignore_bogus_error_responses = 1
net.ipv4.tcp_syncookies = 1
net.ipv4.tcp_timestamps = 0
net.ipv4.conf.all.log_martians = 1
net.ipv6.conf.all.accept_redirects = 0
net.ipv6.conf.default.accept_redirects = 0
net.ipv6.conf.all.accept_source_route = 0
net.ipv6.conf.default.accept_source_route = 0
net.ipv6.conf.all.accept_ra = 0
net.ipv6.conf.default.accept_ra = 0
net.ipv6.conf.all.disable_ipv6 = 1
net.ipv6.conf.default.disable_ipv6 = 1
net.ipv6.conf.lo.disable_ipv6 = 1
`;

/** The same keys with the opposite value, so every sysctl control fails. */
export const WEAK_SYSCTL = GUIDE_SYSCTL.split('\n')
  .map((line) => {
    const match = /^([a-z0-9_.]+) = (\d+)$/.exec(line);
    if (match === null) return line;
    const value = Number(match[2]);
    return `${match[1]} = ${value === 0 ? 1 : value === 65536 ? 4096 : 0}`;
  })
  .join('\n');

export const HARDENED_RULES_V4 = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:LOG_DROP - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp --tcp-flags ALL NONE -j DROP
-A INPUT -p tcp --tcp-flags FIN,ACK FIN -j DROP
-A INPUT -p tcp --tcp-flags FIN,PSH,URG FIN,PSH,URG -j DROP
-A INPUT -p tcp --tcp-flags SYN,FIN SYN,FIN -j DROP
-A INPUT -p tcp --tcp-flags SYN,RST SYN,RST -j DROP
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -p icmp --icmp-type echo-request -m limit --limit 1/s --limit-burst 2 -j ACCEPT
-A INPUT -p icmp --icmp-type echo-request -j DROP
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name SSH
-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 4 --name SSH -j LOG_DROP
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -j LOG_DROP
-A LOG_DROP -m limit --limit 5/min -j LOG --log-prefix "iptables DROP: " --log-level 7
-A LOG_DROP -j DROP
COMMIT
`;

export const HARDENED_RULES_V6 = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:LOG_DROP - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp --tcp-flags ALL NONE -j DROP
-A INPUT -p tcp --tcp-flags FIN,ACK FIN -j DROP
-A INPUT -p tcp --tcp-flags FIN,PSH,URG FIN,PSH,URG -j DROP
-A INPUT -p tcp --tcp-flags SYN,FIN SYN,FIN -j DROP
-A INPUT -p tcp --tcp-flags SYN,RST SYN,RST -j DROP
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -p ipv6-icmp --icmpv6-type echo-request -m limit --limit 1/s --limit-burst 2 -j ACCEPT
-A INPUT -p ipv6-icmp --icmpv6-type echo-request -j DROP
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A INPUT -p ipv6-icmp --icmpv6-type neighbour-solicitation -j ACCEPT
-A INPUT -p ipv6-icmp --icmpv6-type neighbour-advertisement -j ACCEPT
-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name SSH6
-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 4 --name SSH6 -j LOG_DROP
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -j LOG_DROP
-A LOG_DROP -m limit --limit 5/min -j LOG --log-prefix "ip6tables DROP: " --log-level 7
-A LOG_DROP -j DROP
COMMIT
`;

/**
 * Wide open: loopback and replies dropped, INVALID accepted, everything else accepted, and the
 * guide's anti-scan rules appended after the final accept-all rule, where they never match.
 */
export const WEAK_RULES_V4 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j DROP
-A INPUT -m state --state ESTABLISHED,RELATED -j DROP
-A INPUT -m state --state INVALID -j ACCEPT
-A INPUT -p icmp -j ACCEPT
-A INPUT -j ACCEPT
-A INPUT -p tcp --tcp-flags ALL NONE -j DROP
-A INPUT -p tcp --tcp-flags FIN,ACK FIN -j DROP
-A INPUT -p tcp --tcp-flags FIN,PSH,URG FIN,PSH,URG -j DROP
-A INPUT -p tcp --tcp-flags SYN,FIN SYN,FIN -j DROP
-A INPUT -p tcp --tcp-flags SYN,RST SYN,RST -j DROP
COMMIT
`;

export const WEAK_RULES_V6 = WEAK_RULES_V4.replace('-A INPUT -p icmp -j ACCEPT', '-A INPUT -p ipv6-icmp -j ACCEPT');

const GUIDE_AUDIT_RULES = `-w /var/log/audit/ -k audit-log
-w /var/log/auth.log -p wa -k auth
-w /etc/passwd -p wa -k passwd_changes
-w /etc/shadow -p wa -k shadow_changes
-w /etc/group -p wa -k group_changes
-w /etc/network/ -p wa -k network_changes
-w /etc/ssh/sshd_config -p wa -k sshd_config
-w /sbin/insmod -p x -k module_insertion
-w /sbin/rmmod -p x -k module_removal
-w /sbin/modprobe -p x -k module_load
-a always,exit -F arch=b64 -S execve -F euid=0 -F uid!=0 -k suid_execution
-a always,exit -F arch=b32 -S execve -F euid=0 -F uid!=0 -k suid_execution
`;

const MODPROBE_SECURITY = ['cramfs', 'freevxfs', 'jffs2', 'hfs', 'hfsplus', 'squashfs', 'udf', 'dccp', 'sctp', 'rds', 'tipc', 'bluetooth', 'firewire-core', 'thunderbolt']
  .map((module) => `install ${module} /bin/true`)
  .join('\n');

const GOOD_SECCOMP = JSON.stringify(
  {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      {
        names: ['read', 'write', 'openat', 'close', 'fstat', 'newfstatat', 'pread64', 'execve', 'brk', 'mmap', 'munmap', 'mprotect', 'exit_group', 'arch_prctl', 'rt_sigreturn', 'socket', 'bind', 'listen', 'accept4'],
        action: 'SCMP_ACT_ALLOW',
      },
      // glibc falls back from clone3 to clone only on ENOSYS.
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    ],
  },
  null,
  2,
);

const GUIDE_DAEMON_JSON = `{
  "icc": false,
  "userns-remap": "default",
  "no-new-privileges": true,
  "seccomp-profile": "/etc/docker/seccomp.json",
  "live-restore": true,
  "userland-proxy": false,
  "log-driver": "json-file",
  "log-opts": {
    "max-size": "10m",
    "max-file": "3"
  }
}
`;

const GRUB_PASSWORD = `#!/bin/sh
exec tail -n +3 $0
set superusers="admin"
password_pbkdf2 admin grub.pbkdf2.sha512.10000.9A3B7C0D1E2F.5D4C3B2A19080706
`;

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n';
const GROUP = 'root:x:0:\nshadow:x:42:\nnogroup:x:65534:\n';

/** Everything the level-3 controls check, hardened as the guide requires. Audit it with the profile `{ ipv6: false }`. */
export const HARDENED_TREE: FixtureSpec = {
  '/etc/os-release': 'ID=debian\nVERSION_ID="13"\nPRETTY_NAME="Debian GNU/Linux 13 (trixie)"\n',
  '/etc/passwd': { content: PASSWD, mode: 0o644 },
  '/etc/group': { content: GROUP, mode: 0o644 },
  '/etc/shadow': { content: 'root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n', mode: 0o600 },
  '/etc/gshadow': { content: 'root:*::\n', mode: 0o600 },
  '/sbin/openrc': { content: '#!/bin/sh\n', mode: 0o755 },
  '/etc/init.d/iptables': { content: '#!/sbin/openrc-run\n', mode: 0o755 },
  '/etc/init.d/ip6tables': { content: '#!/sbin/openrc-run\n', mode: 0o755 },
  '/etc/init.d/auditd': { content: '#!/sbin/openrc-run\n', mode: 0o755 },
  '/etc/init.d/sshd': { content: '#!/sbin/openrc-run\n', mode: 0o755 },
  '/etc/runlevels/default/iptables': { symlink: '/etc/init.d/iptables' },
  '/etc/runlevels/default/ip6tables': { symlink: '/etc/init.d/ip6tables' },
  '/etc/runlevels/default/auditd': { symlink: '/etc/init.d/auditd' },
  '/etc/runlevels/default/sshd': { symlink: '/etc/init.d/sshd' },
  '/etc/runlevels/boot/.keep': '',
  '/sbin/iptables': { content: '', mode: 0o755 },
  '/sbin/auditd': { content: '', mode: 0o755 },
  '/usr/sbin/sshd': { content: '', mode: 0o755 },
  '/usr/bin/dockerd': { content: '', mode: 0o755 },
  '/etc/ssh/sshd_config': { content: 'PermitRootLogin no\nPasswordAuthentication no\nSubsystem sftp internal-sftp\n', mode: 0o600 },
  '/var/log/messages': { content: '', mode: 0o640 },
  '/var/log/auth.log': { content: '', mode: 0o640 },
  '/etc/sysctl.d/99-security.conf': GUIDE_SYSCTL,
  '/etc/fstab': [
    '/dev/sda1 / ext4 defaults,noatime 0 1',
    'tmpfs /tmp tmpfs defaults,nodev,nosuid,noexec,size=1G 0 0',
    'tmpfs /var/tmp tmpfs defaults,nodev,nosuid,noexec,size=512M 0 0',
    '/dev/sda2 /home ext4 defaults,nodev,nosuid,noatime 0 2',
    '/dev/sda3 /var ext4 defaults,nodev,noatime 0 2',
    '/dev/sda4 /var/log ext4 defaults,nodev,nosuid,noexec,noatime 0 2',
    '/dev/sdb1 /mnt/usb vfat noauto,nodev,nosuid,noexec,user 0 0',
    '',
  ].join('\n'),
  '/etc/modprobe.d/security.conf': MODPROBE_SECURITY + '\n',
  '/lib/modules/6.1.0-kh/modules.dep': '',
  '/etc/conf.d/iptables': 'IPTABLES_SAVE="/etc/iptables/rules-save"\nSAVE_ON_STOP="no"\n',
  '/etc/conf.d/ip6tables': 'IP6TABLES_SAVE="/etc/iptables/rules6-save"\nSAVE_ON_STOP="no"\n',
  '/etc/iptables/rules-save': HARDENED_RULES_V4,
  '/etc/iptables/rules6-save': HARDENED_RULES_V6,
  '/etc/audit/rules.d/audit.rules': GUIDE_AUDIT_RULES,
  // OpenRC's auditd service loads audit.rules, not rules.d: the rules must be in both.
  '/etc/audit/audit.rules': GUIDE_AUDIT_RULES,
  '/etc/docker/daemon.json': GUIDE_DAEMON_JSON,
  // userns-remap "default" needs ranges for dockremap, or dockerd does not start.
  '/etc/subuid': 'dockremap:165536:65536\n',
  '/etc/subgid': 'dockremap:165536:65536\n',
  '/etc/docker/seccomp.json': GOOD_SECCOMP,
  '/etc/seccomp/httpd.json': GOOD_SECCOMP,
  '/etc/grub.d/40_custom': { content: GRUB_PASSWORD, mode: 0o755 },
  '/boot/grub/grub.cfg': { content: `### BEGIN /etc/grub.d/40_custom ###\n${GRUB_PASSWORD.split('\n').slice(2).join('\n')}### END ###\n`, mode: 0o600 },
  '/opt/app/compose.yml': [
    'services:',
    '  web:',
    '    image: kimigayo/app:1.0',
    '    read_only: true',
    '    tmpfs:',
    '      - /tmp:noexec,nosuid,nodev',
    '    security_opt:',
    '      - no-new-privileges:true',
    '    cap_drop: [ALL]',
    '    cap_add: [NET_BIND_SERVICE]',
    '    pids_limit: 100',
    '    mem_limit: 512m',
    '    cpus: 0.5',
    '    user: "1000:1000"',
    '',
  ].join('\n'),
};

/** A tree on which every level-3 control that applies fails. */
export const WEAK_TREE: FixtureSpec = {
  '/etc/os-release': 'ID=debian\nVERSION_ID="10"\nPRETTY_NAME="Debian GNU/Linux 10 (buster)"\n',
  '/etc/passwd': { content: PASSWD, mode: 0o666 },
  '/etc/group': { content: GROUP, mode: 0o666 },
  '/etc/shadow': { content: 'root:*:19000:0:99999:7:::\n', mode: 0o644 },
  '/etc/gshadow': { content: 'root:*::\n', mode: 0o644 },
  '/usr/bin/vim.basic': { content: 'an editor that can start a shell\n', mode: 0o4755 },
  '/srv/upload': { dir: true, mode: 0o777 },
  '/srv/left-behind': { content: 'owned by a removed account\n', uid: 4242, gid: 4242 },
  '/sbin/openrc': { content: '#!/bin/sh\n', mode: 0o755 },
  '/etc/init.d/telnetd': { content: '#!/sbin/openrc-run\n', mode: 0o755 },
  '/etc/init.d/vsftpd': { content: '#!/sbin/openrc-run\n', mode: 0o755 },
  '/etc/init.d/iptables': { content: '#!/sbin/openrc-run\n', mode: 0o755 },
  '/etc/init.d/auditd': { content: '#!/sbin/openrc-run\n', mode: 0o755 },
  '/etc/runlevels/default/telnetd': { symlink: '/etc/init.d/telnetd' },
  '/etc/runlevels/default/vsftpd': { symlink: '/etc/init.d/vsftpd' },
  '/etc/runlevels/boot/.keep': '',
  '/sbin/iptables': { content: '', mode: 0o755 },
  '/sbin/auditd': { content: '', mode: 0o755 },
  '/usr/sbin/sshd': { content: '', mode: 0o755 },
  '/usr/bin/dockerd': { content: '', mode: 0o755 },
  '/etc/ssh/sshd_config': { content: 'PermitRootLogin yes\nPasswordAuthentication yes\n', mode: 0o644 },
  '/var/log/messages': { content: '', mode: 0o644 },
  '/var/log/auth.log': { content: '', mode: 0o644 },
  '/boot/grub/grub.cfg': { content: 'menuentry "Linux" {\n  linux /vmlinuz\n}\n', mode: 0o644 },
  '/etc/grub.d/40_custom': { content: '#!/bin/sh\nexec tail -n +3 $0\n', mode: 0o755 },
  '/etc/sysctl.d/99-weak.conf': WEAK_SYSCTL,
  '/etc/fstab': [
    '/dev/sda1 / ext4 defaults 0 1',
    'tmpfs /tmp tmpfs defaults 0 0',
    'tmpfs /var/tmp tmpfs defaults 0 0',
    '/dev/sda2 /home ext4 defaults 0 2',
    '/dev/sda3 /var ext4 defaults 0 2',
    '/dev/sda4 /var/log ext4 defaults 0 2',
    '/dev/sdb1 /mnt/usb vfat noauto,user 0 0',
    '',
  ].join('\n'),
  '/etc/modprobe.d/blacklist.conf': 'blacklist cramfs\n',
  '/lib/modules/6.1.0-kh/modules.dep': '',
  '/etc/conf.d/iptables': 'IPTABLES_SAVE="/etc/iptables/rules-save"\n',
  '/etc/conf.d/ip6tables': 'IP6TABLES_SAVE="/etc/iptables/rules6-save"\n',
  '/etc/iptables/rules-save': WEAK_RULES_V4,
  '/etc/iptables/rules6-save': WEAK_RULES_V6,
  '/etc/audit/rules.d/audit.rules': '-w /tmp -p r -k unrelated\n',
  '/etc/docker/daemon.json': '{\n  "icc": true,\n  "userns-remap": "",\n  "no-new-privileges": false,\n  "live-restore": false,\n  "userland-proxy": true,\n  "log-driver": "syslog",\n  "log-opts": {}\n}\n',
  // `open` does not exist on aarch64, so the rule does nothing there.
  '/etc/seccomp/allow-all.json': JSON.stringify({
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_AARCH64'],
    syscalls: [{ names: ['open', 'ptrace'], action: 'SCMP_ACT_ALLOW' }],
  }),
  '/etc/seccomp/httpd.json': JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { names: ['read', 'write', 'open', 'close', 'stat', 'fstat'], action: 'SCMP_ACT_ALLOW' },
      { names: ['socket', 'bind', 'listen', 'accept'], action: 'SCMP_ACT_ALLOW' },
    ],
  }),
  '/opt/app/docker-compose.yml': 'services:\n  app:\n    image: app:latest\n    privileged: true\n    network_mode: host\n',
};

/** Controls whose failing case needs more than the weak tree: files changed on top of it, or another profile. */
export const WEAK_OVERLAYS: Record<string, { files?: FixtureSpec; profile?: Profile }> = {
  'seccomp.profiles.parse': { files: { '/etc/seccomp/broken.json': '{ "defaultAction": "SCMP_ACT_ERRNO", ' } },
  'firewall.ipv4.persisted': { files: { '/etc/iptables/rules-save': { remove: true } } },
  'firewall.ipv6.persisted': { files: { '/etc/iptables/rules6-save': { remove: true } }, profile: {} },
  'firewall.ipv6.ruleset': { files: { '/etc/iptables/rules6-save': { remove: true } }, profile: {} },
  'docker.daemon.startable': { files: { '/etc/conf.d/docker': 'DOCKER_OPTS="--icc=false"\n' } },
  'docker.daemon.tcp-tls': { files: { '/etc/docker/daemon.json': '{\n  "hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"]\n}\n' } },
};

/** Files by target path; a string content that starts with `->` makes a symbolic link to the rest. */
export type TextTree = Record<string, string | Buffer>;

/** Temporary trees of one test file, removed together by `removeAll` in an `after` hook. */
export class ScratchTrees {
  private readonly roots: string[] = [];
  private readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  create(files: TextTree): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), this.prefix));
    this.roots.push(root);
    for (const [name, content] of Object.entries(files)) {
      const hostPath = path.join(root, name);
      fs.mkdirSync(path.dirname(hostPath), { recursive: true });
      if (typeof content === 'string' && content.startsWith('->')) fs.symlinkSync(content.slice(2), hostPath);
      else fs.writeFileSync(hostPath, content);
    }
    return root;
  }

  removeAll(): void {
    for (const root of this.roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
  }
}
