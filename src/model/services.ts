import type { RootFs } from '../target/rootfs.js';
import type { InitSystem } from '../target/target.js';

/** Place that enables a service: a runlevel (OpenRC) or a target's .wants directory (systemd). */
export interface Enablement {
  /** `default`, `boot`, ... for OpenRC; `multi-user.target` and the like for systemd. */
  where: string;
  /** The symlink that enables it. */
  path: string;
}

export interface ServiceState {
  /** The init script or unit file exists. */
  installed: boolean;
  installedPath?: string;
  enabled: Enablement[];
  /** systemd unit linked to /dev/null. */
  masked: boolean;
}

const SYSTEMD_UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/lib/systemd/system', '/usr/lib/systemd/system'];

/**
 * Read how services are enabled, without running anything. OpenRC enables a service with a
 * symlink /etc/runlevels/<level>/<name> to /etc/init.d/<name>; systemd with a symlink in
 * <unit dir>/<target>.wants/ (or .requires/) to the unit file.
 */
export function serviceState(fs: RootFs, init: InitSystem, name: string): ServiceState {
  if (init === 'systemd') return systemdState(fs, name);
  if (init === 'sysvinit') return sysvState(fs, name);
  return openrcState(fs, name);
}

function openrcState(fs: RootFs, name: string): ServiceState {
  const enabled: Enablement[] = [];
  for (const level of safeReaddir(fs, '/etc/runlevels')) {
    const link = `/etc/runlevels/${level}/${name}`;
    if (fs.exists(link)) enabled.push({ where: level, path: link });
  }
  const script = `/etc/init.d/${name}`;
  const installed = fs.exists(script);
  return installed ? { installed, installedPath: script, enabled, masked: false } : { installed, enabled, masked: false };
}

function sysvState(fs: RootFs, name: string): ServiceState {
  const enabled: Enablement[] = [];
  for (const level of ['2', '3', '4', '5']) {
    for (const entry of safeReaddir(fs, `/etc/rc${level}.d`)) {
      if (entry.startsWith('S') && entry.replace(/^S\d+/, '') === name) enabled.push({ where: `rc${level}`, path: `/etc/rc${level}.d/${entry}` });
    }
  }
  const script = `/etc/init.d/${name}`;
  const installed = fs.exists(script);
  return installed ? { installed, installedPath: script, enabled, masked: false } : { installed, enabled, masked: false };
}

function systemdState(fs: RootFs, name: string): ServiceState {
  const units = [`${name}.service`, `${name}.socket`];
  const enabled: Enablement[] = [];
  let installedPath: string | undefined;
  let masked = false;
  for (const dir of SYSTEMD_UNIT_DIRS) {
    for (const unit of units) {
      const unitPath = `${dir}/${unit}`;
      if (fs.exists(unitPath)) {
        const link = fs.readlink(unitPath);
        if (link === '/dev/null') masked = true;
        else installedPath ??= unitPath;
      }
    }
    for (const entry of safeReaddir(fs, dir)) {
      if (!entry.endsWith('.wants') && !entry.endsWith('.requires')) continue;
      for (const unit of units) {
        const link = `${dir}/${entry}/${unit}`;
        if (fs.exists(link)) enabled.push({ where: entry.replace(/\.(wants|requires)$/, ''), path: link });
      }
    }
  }
  const state: ServiceState = { installed: installedPath !== undefined, enabled: masked ? [] : enabled, masked };
  if (installedPath !== undefined) state.installedPath = installedPath;
  return state;
}

function safeReaddir(fs: RootFs, path: string): string[] {
  try {
    return fs.readdir(path);
  } catch {
    return [];
  }
}

export interface InetdEntry {
  path: string;
  line: number;
  service: string;
  program: string;
}

/** Active (uncommented) lines of /etc/inetd.conf, as BusyBox inetd and inetutils read it. */
export function inetdEntries(source: string, path: string): InetdEntry[] {
  const entries: InetdEntry[] = [];
  source.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    const service = fields[0] ?? '';
    const program = fields.slice(5).join(' ');
    entries.push({ path, line: index + 1, service, program });
  });
  return entries;
}
