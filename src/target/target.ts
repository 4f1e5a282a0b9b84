import * as fs from 'node:fs';
import type { Text } from '../core/text.js';
import { text } from '../core/text.js';
import { lastAssignment, parseShellVars } from '../parse/shellvars.js';
import { RootFs, TargetError } from './rootfs.js';
import type { Runtime } from './runtime.js';
import { hostRuntime } from './runtime.js';

export type OsFamily = 'debian' | 'alpine' | 'other';

export interface OsRelease {
  id: string;
  idLike: string[];
  name: string;
  versionId: string;
  prettyName: string;
  codename: string;
  family: OsFamily;
  /** Where the facts were read, e.g. /etc/os-release; `undefined` when no file was found. */
  path?: string;
}

export interface ContainerInfo {
  container: boolean;
  /** What made us decide: `/.dockerenv`, `cgroup: docker`, `--container yes`, ... */
  signals: string[];
}

export type InitSystem = 'openrc' | 'systemd' | 'sysvinit' | 'none';

export interface Target {
  fs: RootFs;
  mode: 'offline' | 'live';
  os: OsRelease;
  container: ContainerInfo;
  init: InitSystem;
  /** Present only for the live host. */
  runtime?: Runtime;
}

export type ContainerOverride = 'auto' | 'yes' | 'no';

/** A usage or target problem that stops the audit before it starts (exit code 2). */
export class UsageError extends Error {
  readonly detail: Text;
  constructor(detail: Text) {
    super(detail.en);
    this.name = 'UsageError';
    this.detail = detail;
  }
}

function osFamily(id: string, idLike: string[]): OsFamily {
  const ids = [id, ...idLike];
  if (ids.some((value) => value === 'debian' || value === 'ubuntu')) return 'debian';
  if (ids.some((value) => value === 'alpine' || value === 'kimigayo')) return 'alpine';
  return 'other';
}

export function readOsRelease(rootFs: RootFs): OsRelease {
  for (const path of ['/etc/os-release', '/usr/lib/os-release']) {
    let source: string | undefined;
    try {
      source = rootFs.readTextIfExists(path)?.text;
    } catch (error) {
      if (!(error instanceof TargetError)) throw error;
    }
    if (source === undefined) continue;
    const doc = parseShellVars(source, path);
    const get = (name: string): string => lastAssignment(doc, name)?.value ?? '';
    const id = get('ID') || 'linux';
    const idLike = get('ID_LIKE').split(/\s+/).filter((value) => value !== '');
    return {
      id,
      idLike,
      name: get('NAME'),
      versionId: get('VERSION_ID'),
      prettyName: get('PRETTY_NAME'),
      codename: get('VERSION_CODENAME'),
      family: osFamily(id, idLike),
      path,
    };
  }
  return { id: 'unknown', idLike: [], name: '', versionId: '', prettyName: '', codename: '', family: 'other' };
}

const CONTAINER_CGROUP = /\b(docker|kubepods|containerd|libpod|lxc|crio)\b/;

/** Look for the marks container runtimes leave. Offline, only files inside the tree count. */
export function detectContainer(rootFs: RootFs, live: boolean): ContainerInfo {
  const signals: string[] = [];
  for (const marker of ['/.dockerenv', '/run/.containerenv']) {
    if (rootFs.exists(marker)) signals.push(marker);
  }
  if (live) {
    const cgroup = readHost('/proc/1/cgroup');
    const runtime = CONTAINER_CGROUP.exec(cgroup);
    if (runtime !== null) signals.push(`/proc/1/cgroup: ${runtime[1]}`);
    const environ = readHost('/proc/1/environ');
    const variable = /(?:^|\0)container=([^\0]+)/.exec(environ);
    if (variable !== null) signals.push(`container=${variable[1]}`);
    if (procSysReadOnly(readHost('/proc/self/mounts'))) signals.push('/proc/sys mounted read-only');
  }
  return { container: signals.length > 0, signals };
}

function readHost(path: string): string {
  try {
    return fs.readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

/** True when /proc/sys (or /proc) is mounted read-only, as container runtimes do. */
export function procSysReadOnly(mounts: string): boolean {
  let readOnly = false;
  for (const line of mounts.split('\n')) {
    const fields = line.split(' ');
    const mountpoint = fields[1];
    const options = (fields[3] ?? '').split(',');
    if (mountpoint === '/proc/sys' || mountpoint === '/proc') {
      readOnly = mountpoint === '/proc/sys' ? options.includes('ro') : readOnly || options.includes('ro');
    }
  }
  return readOnly;
}

export function detectInit(rootFs: RootFs): InitSystem {
  const init = rootFs.readlink('/sbin/init') ?? '';
  if (/systemd/.test(init)) return 'systemd';
  if (rootFs.isDirectory('/etc/runlevels')) return 'openrc';
  if (rootFs.exists('/lib/systemd/systemd') || rootFs.exists('/usr/lib/systemd/systemd')) return 'systemd';
  if (rootFs.isDirectory('/etc/rc2.d')) return 'sysvinit';
  return 'none';
}

export interface OpenTargetOptions {
  /** `undefined` for the live host. */
  root?: string;
  container?: ContainerOverride;
  /**
   * Replaces the live runtime. With `root`, the tree is audited as a running system whose
   * runtime facts come from this object; tests use it with a stand-in /proc.
   */
  runtime?: Runtime;
}

/** Open the audit target: the live host when no root is given, else an offline tree. */
export function openTarget(options: OpenTargetOptions): Target {
  const live = options.root === undefined || options.runtime !== undefined;
  const root = options.root ?? '/';
  let stats: fs.Stats;
  try {
    stats = fs.statSync(root);
  } catch {
    throw new UsageError(
      text(
        `--root ${root}: no such directory. Give the path of a root file system (a container rootfs or a mounted image).`,
        `--root ${root}: そのディレクトリはありません。ルートファイルシステム(コンテナの rootfs やマウントしたイメージ)のパスを指定してください。`,
      ),
    );
  }
  if (!stats.isDirectory()) {
    throw new UsageError(
      text(
        `--root ${root}: not a directory. Give the directory where the root file system is unpacked or mounted.`,
        `--root ${root}: ディレクトリではありません。ルートファイルシステムを展開またはマウントしたディレクトリを指定してください。`,
      ),
    );
  }

  const rootFs = new RootFs(root);
  if (!live && !rootFs.isDirectory('/etc')) {
    throw new UsageError(
      text(
        `--root ${root}: not a root file system (it has no /etc directory). Give the directory that contains etc/, usr/ and the rest.`,
        `--root ${root}: ルートファイルシステムではありません(/etc ディレクトリがありません)。etc/ や usr/ を含むディレクトリを指定してください。`,
      ),
    );
  }
  const override = options.container ?? 'auto';
  const detected = detectContainer(rootFs, options.root === undefined);
  const container: ContainerInfo =
    override === 'auto'
      ? detected
      : { container: override === 'yes', signals: [`--container ${override}`, ...detected.signals.map((signal) => `(${signal})`)] };

  const target: Target = {
    fs: rootFs,
    mode: live ? 'live' : 'offline',
    os: readOsRelease(rootFs),
    container,
    init: detectInit(rootFs),
  };
  if (live) target.runtime = options.runtime ?? hostRuntime();
  return target;
}
