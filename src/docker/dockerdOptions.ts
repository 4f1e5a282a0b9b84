/**
 * Options of dockerd and the daemon.json key each one sets, as listed by `dockerd --help` of
 * Docker 20.10.24 (Debian 12 package docker.io). A test compares this table with that help output.
 *
 * dockerd reads the same settings from flags and from daemon.json. A key is the flag's long name,
 * except for options that can be given many times: their key is the plural name below. dockerd
 * does not start when a setting is given both ways, or when daemon.json has a key that matches
 * no option.
 */

/** Long option name to its daemon.json key, for options that take a value. */
export const DOCKERD_VALUE_OPTIONS: Record<string, string> = {
  'add-runtime': 'runtimes',
  'allow-nondistributable-artifacts': 'allow-nondistributable-artifacts',
  'api-cors-header': 'api-cors-header',
  'authorization-plugin': 'authorization-plugins',
  bip: 'bip',
  bridge: 'bridge',
  'cgroup-parent': 'cgroup-parent',
  'config-file': 'config-file',
  containerd: 'containerd',
  'containerd-namespace': 'containerd-namespace',
  'containerd-plugins-namespace': 'containerd-plugins-namespace',
  'cpu-rt-period': 'cpu-rt-period',
  'cpu-rt-runtime': 'cpu-rt-runtime',
  'data-root': 'data-root',
  'default-address-pool': 'default-address-pools',
  'default-cgroupns-mode': 'default-cgroupns-mode',
  'default-gateway': 'default-gateway',
  'default-gateway-v6': 'default-gateway-v6',
  'default-ipc-mode': 'default-ipc-mode',
  'default-runtime': 'default-runtime',
  'default-shm-size': 'default-shm-size',
  'default-ulimit': 'default-ulimits',
  dns: 'dns',
  'dns-opt': 'dns-opts',
  'dns-search': 'dns-search',
  'exec-opt': 'exec-opts',
  'exec-root': 'exec-root',
  'fixed-cidr': 'fixed-cidr',
  'fixed-cidr-v6': 'fixed-cidr-v6',
  group: 'group',
  host: 'hosts',
  'host-gateway-ip': 'host-gateway-ip',
  'init-path': 'init-path',
  'insecure-registry': 'insecure-registries',
  ip: 'ip',
  label: 'labels',
  'log-driver': 'log-driver',
  'log-level': 'log-level',
  'log-opt': 'log-opts',
  'max-concurrent-downloads': 'max-concurrent-downloads',
  'max-concurrent-uploads': 'max-concurrent-uploads',
  'max-download-attempts': 'max-download-attempts',
  'metrics-addr': 'metrics-addr',
  mtu: 'mtu',
  'network-control-plane-mtu': 'network-control-plane-mtu',
  'node-generic-resource': 'node-generic-resources',
  'oom-score-adjust': 'oom-score-adjust',
  pidfile: 'pidfile',
  'registry-mirror': 'registry-mirrors',
  'seccomp-profile': 'seccomp-profile',
  'shutdown-timeout': 'shutdown-timeout',
  'storage-driver': 'storage-driver',
  'storage-opt': 'storage-opts',
  'swarm-default-advertise-addr': 'swarm-default-advertise-addr',
  tlscacert: 'tlscacert',
  tlscert: 'tlscert',
  tlskey: 'tlskey',
  'userland-proxy-path': 'userland-proxy-path',
  'userns-remap': 'userns-remap',
};

/** Boolean options; each sets the key of the same name. */
export const DOCKERD_BOOLEAN_OPTIONS = [
  'cri-containerd',
  'debug',
  'experimental',
  'help',
  'icc',
  'init',
  'ip-forward',
  'ip-masq',
  'ip6tables',
  'iptables',
  'ipv6',
  'live-restore',
  'no-new-privileges',
  'raw-logs',
  'rootless',
  'selinux-enabled',
  'tls',
  'tlsverify',
  'userland-proxy',
  'version',
];

export const DOCKERD_SHORT_OPTIONS: Record<string, string> = {
  b: 'bridge',
  D: 'debug',
  G: 'group',
  H: 'host',
  l: 'log-level',
  p: 'pidfile',
  s: 'storage-driver',
  v: 'version',
};

/**
 * Keys that dockerd 20.10 accepts in daemon.json without a listed flag: hidden, deprecated
 * options (`graph`, the `cluster-*` set) and the sections it does not check (`features`, `builder`).
 */
export const DAEMON_EXTRA_KEYS = ['builder', 'features', 'graph', 'cluster-store', 'cluster-store-opts', 'cluster-advertise', 'deprecated-key-path'];

/** Flags that only steer the command line and have no daemon.json key. */
const NOT_KEYS = new Set(['config-file', 'help', 'version']);

/** Every key dockerd 20.10 accepts in daemon.json. */
export const DAEMON_KEYS: Set<string> = new Set([
  ...Object.values(DOCKERD_VALUE_OPTIONS).filter((key) => !NOT_KEYS.has(key)),
  ...DOCKERD_BOOLEAN_OPTIONS.filter((key) => !NOT_KEYS.has(key)),
  ...DAEMON_EXTRA_KEYS,
]);

/** Return the daemon.json key a dockerd flag sets, or undefined for an unknown flag or one without a key. */
export function daemonKeyOfFlag(longName: string): string | undefined {
  if (NOT_KEYS.has(longName)) return undefined;
  if (DOCKERD_BOOLEAN_OPTIONS.includes(longName)) return longName;
  return DOCKERD_VALUE_OPTIONS[longName];
}

/** Suggest the key a user probably meant by an unknown key: the plural form, or hyphens for underscores. */
export function suggestDaemonKey(key: string): string | undefined {
  const hyphenated = key.replace(/_/g, '-').toLowerCase();
  if (hyphenated !== key && DAEMON_KEYS.has(hyphenated)) return hyphenated;
  const fromFlag = DOCKERD_VALUE_OPTIONS[hyphenated];
  if (fromFlag !== undefined && fromFlag !== hyphenated) return fromFlag;
  return undefined;
}
