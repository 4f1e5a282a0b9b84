import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

/**
 * State that only a running system has: /proc/sys, /proc/mounts, /proc/modules, /proc/net,
 * running processes and what the loaded firewall and audit rules are. Only used when the target
 * is the live host `/`; an offline root file system has none of it.
 */
export interface Runtime {
  /** The live value of a sysctl key, whitespace-normalized; `undefined` when the key does not exist. */
  sysctl(key: string): string | undefined;
  mountsTable(): string;
  /** Names of loaded modules, as /proc/modules spells them (with `_`). */
  loadedModules(): Set<string>;
  /** Contents of /proc/net/{tcp,tcp6,udp,udp6}; a missing file is an empty string. */
  procNet(name: 'tcp' | 'tcp6' | 'udp' | 'udp6'): string;
  /** Names (comm) of running processes. */
  processNames(): Set<string>;
  /** Output of `iptables-save` or `ip6tables-save`; `undefined` when the program is missing or fails. */
  firewallSave(family: 4 | 6): CommandOutput | undefined;
  /** Output of `auditctl -l`; `undefined` when auditctl is missing. */
  auditctlList(): CommandOutput | undefined;
  /** Names of OpenRC services that are started, from /run/openrc/started. */
  openrcStarted(): Set<string> | undefined;
  /** `systemctl is-active` for a unit, or `undefined` when systemd is not the running init. */
  systemdActive(unit: string): boolean | undefined;
}

export interface CommandOutput {
  ok: boolean;
  stdout: string;
  stderr: string;
}

function readOr(path: string, fallback: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

const COMMAND_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

function findCommand(name: string): string | undefined {
  for (const dir of COMMAND_DIRS) {
    const candidate = `${dir}/${name}`;
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // try the next directory
    }
  }
  return undefined;
}

function run(program: string, args: string[]): CommandOutput | undefined {
  const path = findCommand(program);
  if (path === undefined) return undefined;
  try {
    const stdout = execFileSync(path, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    return { ok: true, stdout, stderr: '' };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message?: string };
    return { ok: false, stdout: failed.stdout ?? '', stderr: failed.stderr ?? failed.message ?? '' };
  }
}

function memo<T>(compute: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value;
  };
}

/** Read the running system through /proc and its own tools. `procRoot` exists for tests. */
export function hostRuntime(procRoot = '/proc'): Runtime {
  const firewall = new Map<4 | 6, CommandOutput | undefined>();
  return {
    sysctl(key) {
      const file = `${procRoot}/sys/${key.replace(/\./g, '/')}`;
      try {
        return fs.readFileSync(file, 'utf8').trim().replace(/\s+/g, ' ');
      } catch {
        return undefined;
      }
    },
    mountsTable: memo(() => readOr(`${procRoot}/self/mounts`, readOr(`${procRoot}/mounts`, ''))),
    loadedModules: memo(() => {
      const names = new Set<string>();
      for (const line of readOr(`${procRoot}/modules`, '').split('\n')) {
        const name = line.split(' ')[0];
        if (name !== undefined && name !== '') names.add(name);
      }
      return names;
    }),
    procNet: (name) => readOr(`${procRoot}/net/${name}`, ''),
    processNames: memo(() => {
      const names = new Set<string>();
      let entries: string[] = [];
      try {
        entries = fs.readdirSync(procRoot);
      } catch {
        return names;
      }
      for (const entry of entries) {
        if (!/^\d+$/.test(entry)) continue;
        const comm = readOr(`${procRoot}/${entry}/comm`, '').trim();
        if (comm !== '') names.add(comm);
      }
      return names;
    }),
    firewallSave(family) {
      if (!firewall.has(family)) firewall.set(family, run(family === 4 ? 'iptables-save' : 'ip6tables-save', []));
      return firewall.get(family);
    },
    auditctlList: memo(() => run('auditctl', ['-l'])),
    openrcStarted: memo(() => {
      try {
        return new Set(fs.readdirSync('/run/openrc/started'));
      } catch {
        return undefined;
      }
    }),
    systemdActive(unit) {
      if (!fs.existsSync('/run/systemd/system')) return undefined;
      const result = run('systemctl', ['is-active', '--quiet', unit]);
      return result?.ok ?? false;
    },
  };
}
