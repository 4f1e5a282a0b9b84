import { text } from '../core/text.js';
import type { Text } from '../core/text.js';
import type { Finding } from '../lint/types.js';

/**
 * One container's settings as a Compose service or a `docker run` command line gives them,
 * with the place of each value, and the guide's rules for them. The two front ends
 * (compose.ts, runCommand.ts) fill a ContainerSpec; `checkContainer` judges it.
 */

export interface Located<T> {
  value: T;
  line: number;
  column?: number;
  /** The value contains `$VAR`, `${VAR}` or a command substitution, so it is not final. */
  expands?: boolean;
}

export interface ContainerMount {
  type?: string;
  source?: string;
  target?: string;
}

export interface ContainerSpec {
  /** `compose` for a service of a Compose file, `run` for a `docker run` or `docker create` line. */
  syntax: 'compose' | 'run';
  /** Service name, or `docker run` for a command line. */
  name: string;
  path: string;
  /** Line of the service key or of the first word of the command. */
  line: number;
  column?: number;
  image?: Located<string>;
  readOnly?: Located<boolean>;
  /** `target` or `target:options`, as `--tmpfs` and Compose `tmpfs` write them. */
  tmpfs: Located<string>[];
  securityOpt: Located<string>[];
  capAdd: Located<string>[];
  capDrop: Located<string>[];
  pidsLimit?: Located<string>;
  memory?: Located<string>;
  cpus?: Located<string>;
  user?: Located<string>;
  privileged?: Located<boolean>;
  network?: Located<string>;
  pid?: Located<string>;
  ipc?: Located<string>;
  userns?: Located<string>;
  uts?: Located<string>;
  mounts: Located<ContainerMount>[];
}

export function emptySpec(syntax: ContainerSpec['syntax'], name: string, path: string, line: number, column?: number): ContainerSpec {
  const spec: ContainerSpec = { syntax, name, path, line, tmpfs: [], securityOpt: [], capAdd: [], capDrop: [], mounts: [] };
  if (column !== undefined) spec.column = column;
  return spec;
}

/** The guide's container rules; the Compose audit controls use the same names. */
export const CONTAINER_RULES = [
  'read-only',
  'tmpfs-tmp',
  'no-new-privileges',
  'cap-drop-all',
  'pids-limit',
  'resource-limits',
  'non-root',
  'no-privileged',
  'pinned-image',
] as const;

export type ContainerRule = (typeof CONTAINER_RULES)[number];

export interface ContainerFinding extends Finding {
  rule: ContainerRule;
  /** Service name, or `docker run`. */
  container: string;
}

/** How to write each fix, in Compose keys and in `docker run` flags. */
const FIX: Record<Exclude<ContainerRule, 'no-privileged'>, { compose: string; run: string }> = {
  'read-only': { compose: 'read_only: true', run: '--read-only' },
  'tmpfs-tmp': { compose: 'tmpfs: ["/tmp:noexec,nosuid,nodev"]', run: '--tmpfs /tmp:noexec,nosuid,nodev' },
  'no-new-privileges': { compose: 'security_opt: ["no-new-privileges:true"]', run: '--security-opt=no-new-privileges' },
  'cap-drop-all': { compose: 'cap_drop: [ALL]', run: '--cap-drop=ALL' },
  'pids-limit': { compose: 'pids_limit: 100', run: '--pids-limit 100' },
  'resource-limits': { compose: 'mem_limit: 512m and cpus: 0.5', run: '--memory 512m --cpus 0.5' },
  'non-root': { compose: 'user: "1000:1000"', run: '--user 1000:1000' },
  'pinned-image': { compose: 'image: name:1.2.3 or name@sha256:...', run: 'name:1.2.3 or name@sha256:...' },
};

/** Mount sources that hand the Docker API to the container: the socket itself or a directory holding it. */
const SOCKET_SOURCES = new Set(['/var/run', '/run', '/var/run/docker.sock', '/run/docker.sock']);

function trimSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/** Return whether the last of `noexec`/`exec` (and so on) in a mount option list turns the option on. */
function optionOn(options: string[], on: string, off: string): boolean {
  let state = false;
  for (const option of options) {
    if (option === on) state = true;
    if (option === off) state = false;
  }
  return state;
}

/** Return whether Docker reads a numeric limit as "no limit": 0 or negative. */
function unlimited(value: string): boolean {
  const number = Number.parseFloat(value);
  return !Number.isNaN(number) && number <= 0;
}

/** Split an image reference into name and tag; a digest (`@sha256:...`) pins it whatever the tag. */
export function imageTag(reference: string): { tag?: string; digest: boolean } {
  const digest = reference.includes('@');
  const withoutDigest = reference.split('@')[0] as string;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  if (colon > lastSlash) return { tag: withoutDigest.slice(colon + 1), digest };
  return { digest };
}

/** Return whether a `user` value runs the container as root: empty, `root` or uid 0, with or without a group. */
function rootUser(user: string): boolean {
  const name = user.split(':')[0] as string;
  return name === '' || name === 'root' || /^0+$/.test(name);
}

/** Judge one container against the guide's rules and return a finding for each rule it breaks. */
export function checkContainer(spec: ContainerSpec): ContainerFinding[] {
  const findings: ContainerFinding[] = [];
  const subject = spec.syntax === 'compose' ? `service "${spec.name}"` : 'docker run';
  const subjectJa = spec.syntax === 'compose' ? `サービス "${spec.name}"` : 'docker run';

  const add = (rule: ContainerRule, severity: Finding['severity'], message: Text, at?: Located<unknown>, value?: string): void => {
    const finding: ContainerFinding = { rule, container: spec.name, path: spec.path, line: at?.line ?? spec.line, code: `container.${rule}`, severity, message };
    const column = at === undefined ? spec.column : at.column;
    if (column !== undefined) finding.column = column;
    if (value !== undefined) finding.value = value;
    findings.push(finding);
  };
  const missing = (rule: Exclude<ContainerRule, 'no-privileged'>, whatEn: string, whatJa: string, at?: Located<unknown>, value?: string): void => {
    const fix = FIX[rule][spec.syntax];
    add(rule, 'warning', text(`${subject}: ${whatEn}; set ${fix}`, `${subjectJa}: ${whatJa}。${fix} を設定してください`), at, value);
  };

  if (spec.readOnly?.value !== true) missing('read-only', 'the root file system is writable', 'ルートファイルシステムが書き込み可能です', spec.readOnly);

  checkTmpfs(spec, missing);

  const noNewPrivileges = spec.securityOpt.filter((option) => /^no-new-privileges([:=].*)?$/.test(option.value));
  const lastNoNewPrivileges = noNewPrivileges[noNewPrivileges.length - 1];
  if (lastNoNewPrivileges === undefined) missing('no-new-privileges', 'no-new-privileges is not set', 'no-new-privileges が設定されていません');
  else if (!/^no-new-privileges([:=]true)?$/.test(lastNoNewPrivileges.value)) {
    missing('no-new-privileges', `security option ${lastNoNewPrivileges.value} leaves new privileges allowed`, `セキュリティオプション ${lastNoNewPrivileges.value} では新しい権限の取得が許されます`, lastNoNewPrivileges, lastNoNewPrivileges.value);
  }

  if (!spec.capDrop.some((cap) => cap.value.toUpperCase() === 'ALL')) {
    missing('cap-drop-all', 'capabilities are not all dropped', 'ケーパビリティがすべて削除されていません', spec.capDrop[0]);
  }

  if (spec.pidsLimit === undefined) missing('pids-limit', 'the number of processes is not limited', 'プロセス数が制限されていません');
  else if (!spec.pidsLimit.expands && unlimited(spec.pidsLimit.value)) {
    missing('pids-limit', `pids limit ${spec.pidsLimit.value} means no limit`, `pids の上限 ${spec.pidsLimit.value} は無制限を意味します`, spec.pidsLimit, spec.pidsLimit.value);
  }

  checkResources(spec, missing);
  checkUser(spec, subject, subjectJa, add, missing);
  checkPrivileges(spec, subject, subjectJa, add);

  if (spec.image !== undefined && !spec.image.expands) {
    const { tag, digest } = imageTag(spec.image.value);
    if (!digest && (tag === undefined || tag === 'latest')) {
      const state = tag === undefined ? 'has no tag, so Docker pulls :latest' : 'uses the :latest tag';
      const stateJa = tag === undefined ? 'にタグがないため :latest が使われます' : 'が :latest タグを使っています';
      missing('pinned-image', `image ${spec.image.value} ${state}, which changes without notice`, `イメージ ${spec.image.value} ${stateJa}。内容が予告なく変わります`, spec.image, spec.image.value);
    }
  }
  return findings;
}

type MissingReporter = (rule: Exclude<ContainerRule, 'no-privileged'>, whatEn: string, whatJa: string, at?: Located<unknown>, value?: string) => void;
type Reporter = (rule: ContainerRule, severity: Finding['severity'], message: Text, at?: Located<unknown>, value?: string) => void;

function checkTmpfs(spec: ContainerSpec, missing: MissingReporter): void {
  const tmpfs = spec.tmpfs.filter((entry) => trimSlash(entry.value.split(':')[0] as string) === '/tmp');
  const entry = tmpfs[tmpfs.length - 1];
  if (entry === undefined) {
    const mounted = spec.mounts.find((mount) => mount.value.type === 'tmpfs' && trimSlash(mount.value.target ?? '') === '/tmp');
    if (mounted !== undefined) {
      missing('tmpfs-tmp', 'the tmpfs on /tmp uses the mount syntax, which has no noexec,nosuid,nodev options in Docker 20.10', '/tmp の tmpfs が mount 形式で、Docker 20.10 の mount 形式には noexec,nosuid,nodev の指定がありません', mounted);
      return;
    }
    missing('tmpfs-tmp', 'there is no tmpfs on /tmp', '/tmp に tmpfs がありません');
    return;
  }
  const options = entry.value.includes(':') ? entry.value.slice(entry.value.indexOf(':') + 1).split(',') : [];
  const absent = [
    ['noexec', 'exec'],
    ['nosuid', 'suid'],
    ['nodev', 'dev'],
  ]
    .filter(([on, off]) => !optionOn(options, on as string, off as string))
    .map(([on]) => on as string);
  if (absent.length > 0) {
    missing('tmpfs-tmp', `the tmpfs on /tmp lacks ${absent.join(',')}`, `/tmp の tmpfs に ${absent.join(',')} がありません`, entry, entry.value);
  }
}

function checkResources(spec: ContainerSpec, missing: MissingReporter): void {
  const memoryOff = spec.memory === undefined || (!spec.memory.expands && unlimited(spec.memory.value));
  const cpusOff = spec.cpus === undefined || (!spec.cpus.expands && unlimited(spec.cpus.value));
  if (memoryOff && cpusOff) missing('resource-limits', 'neither memory nor CPU is limited', 'メモリも CPU も制限されていません', spec.memory ?? spec.cpus);
  else if (memoryOff) missing('resource-limits', 'memory is not limited', 'メモリが制限されていません', spec.memory);
  else if (cpusOff) missing('resource-limits', 'CPU is not limited', 'CPU が制限されていません', spec.cpus);
}

function checkUser(spec: ContainerSpec, subject: string, subjectJa: string, add: Reporter, missing: MissingReporter): void {
  const user = spec.user;
  if (user === undefined) {
    missing('non-root', 'no user is set, so the image’s user runs (root unless its Dockerfile sets USER)', 'ユーザーが指定されていないため、イメージのユーザー(Dockerfile に USER がなければ root)で動きます');
    return;
  }
  if (user.expands) {
    add('non-root', 'info', text(`${subject}: user ${user.value} is set from a variable; check that it is not root`, `${subjectJa}: ユーザー ${user.value} は変数から設定されます。root でないことを確認してください`), user, user.value);
    return;
  }
  if (rootUser(user.value)) missing('non-root', `user ${user.value} is root`, `ユーザー ${user.value} は root です`, user, user.value);
}

function checkPrivileges(spec: ContainerSpec, subject: string, subjectJa: string, add: Reporter): void {
  const fail = (en: string, ja: string, at: Located<unknown>, value: string): void => {
    add('no-privileged', 'error', text(`${subject}: ${en}`, `${subjectJa}: ${ja}`), at, value);
  };

  if (spec.privileged?.value === true) {
    fail('runs privileged, with every capability and all host devices; remove it', '特権モードで動き、すべてのケーパビリティとホストのデバイスを持ちます。外してください', spec.privileged, 'privileged');
  }
  const namespaces: [string, Located<string> | undefined][] = [
    ['network', spec.network],
    ['pid', spec.pid],
    ['ipc', spec.ipc],
    ['userns', spec.userns],
    ['uts', spec.uts],
  ];
  for (const [namespace, setting] of namespaces) {
    if (setting?.value !== 'host') continue;
    fail(`shares the host's ${namespace} namespace; use the container's own`, `ホストの ${namespace} 名前空間を共有しています。コンテナ専用の名前空間を使ってください`, setting, `${namespace}=host`);
  }
  for (const cap of spec.capAdd) {
    if (cap.value.toUpperCase() !== 'ALL') continue;
    fail('adds ALL capabilities back; add only the ones the program needs', 'ALL でケーパビリティをすべて戻しています。プログラムに必要なものだけを追加してください', cap, `cap-add=${cap.value}`);
  }
  for (const mount of spec.mounts) {
    const source = mount.value.source;
    if (source === undefined) continue;
    const normalized = trimSlash(source);
    if (!SOCKET_SOURCES.has(normalized) && !normalized.endsWith('/docker.sock')) continue;
    fail(`mounts ${source}, which gives the container control of the Docker daemon and so of the host; remove the mount`, `${source} をマウントしており、コンテナが Docker デーモン、ひいてはホストを操作できます。マウントを外してください`, mount, source);
  }
  for (const option of spec.securityOpt) {
    if (!/^(seccomp|apparmor)[:=]unconfined$/.test(option.value)) continue;
    fail(`security option ${option.value} turns a confinement off; remove it`, `セキュリティオプション ${option.value} は制限を無効にします。外してください`, option, option.value);
  }
}
