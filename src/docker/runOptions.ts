/**
 * Options of `docker run` and `docker create`, as listed by `docker run --help` of the Docker CLI
 * 20.10.24 (Debian 12 package docker.io), plus the hidden aliases `--net` and `--net-alias` that
 * the CLI still accepts. A test compares this table with the help output of that CLI.
 */

/** Long name (without `--`) of each option that takes a value, with its one-letter short name if any. */
export const RUN_VALUE_OPTIONS: Record<string, string | null> = {
  'add-host': null,
  attach: 'a',
  'blkio-weight': null,
  'blkio-weight-device': null,
  'cap-add': null,
  'cap-drop': null,
  'cgroup-parent': null,
  cgroupns: null,
  cidfile: null,
  'cpu-period': null,
  'cpu-quota': null,
  'cpu-rt-period': null,
  'cpu-rt-runtime': null,
  'cpu-shares': 'c',
  cpus: null,
  'cpuset-cpus': null,
  'cpuset-mems': null,
  'detach-keys': null,
  device: null,
  'device-cgroup-rule': null,
  'device-read-bps': null,
  'device-read-iops': null,
  'device-write-bps': null,
  'device-write-iops': null,
  dns: null,
  'dns-option': null,
  'dns-search': null,
  domainname: null,
  entrypoint: null,
  env: 'e',
  'env-file': null,
  expose: null,
  gpus: null,
  'group-add': null,
  'health-cmd': null,
  'health-interval': null,
  'health-retries': null,
  'health-start-period': null,
  'health-timeout': null,
  hostname: 'h',
  ip: null,
  ip6: null,
  ipc: null,
  isolation: null,
  'kernel-memory': null,
  label: 'l',
  'label-file': null,
  link: null,
  'link-local-ip': null,
  'log-driver': null,
  'log-opt': null,
  'mac-address': null,
  memory: 'm',
  'memory-reservation': null,
  'memory-swap': null,
  'memory-swappiness': null,
  mount: null,
  name: null,
  net: null,
  'net-alias': null,
  network: null,
  'network-alias': null,
  'oom-score-adj': null,
  pid: null,
  'pids-limit': null,
  platform: null,
  publish: 'p',
  pull: null,
  restart: null,
  runtime: null,
  'security-opt': null,
  'shm-size': null,
  'stop-signal': null,
  'stop-timeout': null,
  'storage-opt': null,
  sysctl: null,
  tmpfs: null,
  ulimit: null,
  user: 'u',
  userns: null,
  uts: null,
  volume: 'v',
  'volume-driver': null,
  'volumes-from': null,
  workdir: 'w',
};

/** Boolean options; `--name=false` turns one off. */
export const RUN_BOOLEAN_OPTIONS: Record<string, string | null> = {
  detach: 'd',
  'disable-content-trust': null,
  help: null,
  init: null,
  interactive: 'i',
  'no-healthcheck': null,
  'oom-kill-disable': null,
  privileged: null,
  'publish-all': 'P',
  'read-only': null,
  rm: null,
  'sig-proxy': null,
  tty: 't',
};

/** Options of the `docker` command itself, which may stand before `run`. */
export const GLOBAL_VALUE_OPTIONS: Record<string, string | null> = {
  config: null,
  context: 'c',
  host: 'H',
  'log-level': 'l',
  tlscacert: null,
  tlscert: null,
  tlskey: null,
};
export const GLOBAL_BOOLEAN_OPTIONS: Record<string, string | null> = { debug: 'D', tls: null, tlsverify: null, version: 'v' };

/** Hidden aliases, mapped to the option they stand for. */
export const RUN_ALIASES: Record<string, string> = { net: 'network', 'net-alias': 'network-alias' };

export interface OptionTable {
  /** Long names of options that take a value. */
  values: Set<string>;
  booleans: Set<string>;
  /** Short letter to long name. */
  shorts: Map<string, string>;
}

export function optionTable(valueOptions: Record<string, string | null>, booleanOptions: Record<string, string | null>): OptionTable {
  const shorts = new Map<string, string>();
  for (const [long, short] of [...Object.entries(valueOptions), ...Object.entries(booleanOptions)]) {
    if (short !== null) shorts.set(short, long);
  }
  return { values: new Set(Object.keys(valueOptions)), booleans: new Set(Object.keys(booleanOptions)), shorts };
}

export const RUN_TABLE = optionTable(RUN_VALUE_OPTIONS, RUN_BOOLEAN_OPTIONS);
export const GLOBAL_TABLE = optionTable(GLOBAL_VALUE_OPTIONS, GLOBAL_BOOLEAN_OPTIONS);
