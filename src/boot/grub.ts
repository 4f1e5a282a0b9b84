import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { text } from '../core/text.js';
import type { Text } from '../core/text.js';
import { RootFs } from '../target/rootfs.js';
import type { FileChange } from '../txn/index.js';
import { TOOL_NAME } from '../version.js';
import { verifyGrubPbkdf2 } from './pbkdf2.js';

export const GRUB_CUSTOM = '/etc/grub.d/40_custom';
/** Scripts of Debian's grub.d whose menu entries take their options from a `CLASS="…"` line. */
export const CLASS_SCRIPTS = ['/etc/grub.d/10_linux', '/etc/grub.d/20_linux_xen'];
export const GRUB_CFG_PATHS = ['/boot/grub/grub.cfg', '/boot/grub2/grub.cfg'];
const MKCONFIG_PATHS = ['/usr/sbin/grub-mkconfig', '/usr/sbin/grub2-mkconfig'];

const BLOCK_BEGIN = `### BEGIN ${TOOL_NAME} grub-password ###`;
const BLOCK_END = `### END ${TOOL_NAME} grub-password ###`;

/** The start of Debian's 40_custom: the script prints itself from line 3 on into grub.cfg. */
const CUSTOM_HEADER = '#!/bin/sh\nexec tail -n +3 $0\n# grub-mkconfig copies the lines below into grub.cfg.\n';

/** GRUB user names as `superusers` takes them: a space or comma would split the list. */
export const GRUB_USER = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** The two lines that make `user` the only superuser with the given PBKDF2 hash. */
export function grubPasswordLines(user: string, hash: string): string[] {
  return [`set superusers="${user}"`, `password_pbkdf2 ${user} ${hash}`];
}

function blockRange(lines: string[]): { begin: number; end: number } | undefined {
  const begin = lines.indexOf(BLOCK_BEGIN);
  const end = lines.indexOf(BLOCK_END);
  return begin !== -1 && end > begin ? { begin, end } : undefined;
}

/** The hash this tool wrote for `user` into 40_custom earlier, if any. */
export function managedHash(custom: string, user: string): string | undefined {
  const lines = custom.split('\n');
  const range = blockRange(lines);
  if (range === undefined) return undefined;
  for (const line of lines.slice(range.begin + 1, range.end)) {
    const match = /^password_pbkdf2\s+(\S+)\s+(\S+)\s*$/.exec(line);
    if (match !== null && match[1] === user) return match[2];
  }
  return undefined;
}

/**
 * Put the superuser and password block into 40_custom: replace the block written earlier, or
 * append one. Other lines stay as they are; a `set superusers` of their own comes earlier in
 * grub.cfg, so the block's later one wins.
 */
export function mergeCustomBlock(existing: string | undefined, user: string, hash: string): string {
  const source = existing === undefined || existing === '' ? CUSTOM_HEADER : existing;
  const lines = source.replace(/\n$/, '').split('\n');
  const block = [BLOCK_BEGIN, ...grubPasswordLines(user, hash), BLOCK_END];
  const range = blockRange(lines);
  if (range === undefined) lines.push(...block);
  else lines.splice(range.begin, range.end - range.begin + 1, ...block);
  return lines.join('\n') + '\n';
}

/**
 * Add `--unrestricted` to (or remove it from) the first `CLASS="…"` line of a grub.d script,
 * so that its menu entries boot without the password while editing them and the GRUB shell
 * still need it. `found` is false when the script has no such line.
 */
export function setUnrestricted(script: string, unrestricted: boolean): { content: string; found: boolean } {
  const pattern = /^(\s*CLASS=")([^"]*)(")/m;
  const match = pattern.exec(script);
  if (match === null) return { content: script, found: false };
  const options = (match[2] ?? '').split(/\s+/).filter((word) => word !== '' && word !== '--unrestricted');
  if (unrestricted) options.push('--unrestricted');
  const line = `${match[1] ?? ''}${options.join(' ')}${match[3] ?? ''}`;
  return { content: script.slice(0, match.index) + line + script.slice(match.index + match[0].length), found: true };
}

export interface MkconfigResult {
  ok: boolean;
  stdout: string;
  /** What failed, for the user: the last lines of stderr or the reason grub-mkconfig did not run. */
  error?: string;
}

/** How to run grub-mkconfig on a target whose /etc/grub.d is replaced by `grubD`; tests pass their own. */
export type MkconfigRunner = (root: string, mkconfig: string, grubD: string) => MkconfigResult;

/**
 * Run the target's grub-mkconfig in a bubblewrap sandbox with the target as a read-only `/` and
 * the planned /etc/grub.d mounted over its own, and return the grub.cfg it prints. Nothing in
 * the target changes, so grub.cfg can be written in the same transaction as 40_custom.
 * NOTE: on the live host the sandbox binds the real /dev, /sys and /run so grub-probe can find
 * the boot disk; the tests only run offline trees.
 */
export const runMkconfigInSandbox: MkconfigRunner = (root, mkconfig, grubD) => {
  const live = path.resolve(root) === '/';
  const args = ['--ro-bind', root, '/', '--proc', '/proc', '--tmpfs', '/tmp', '--ro-bind', grubD, '/etc/grub.d', '--unshare-all', '--die-with-parent'];
  if (live) args.push('--dev-bind', '/dev', '/dev', '--ro-bind', '/sys', '/sys', '--ro-bind', '/run', '/run');
  else args.push('--dev', '/dev');
  args.push('--setenv', 'PATH', '/usr/sbin:/usr/bin:/sbin:/bin', '--setenv', 'LC_ALL', 'C', mkconfig);
  const result = spawnSync('bwrap', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error !== undefined) {
    const reason = (result.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'bwrap (bubblewrap) is not installed' : result.error.message;
    return { ok: false, stdout: '', error: reason };
  }
  if (result.status !== 0) {
    const lines = result.stderr.trim().split('\n').filter((line) => line !== '');
    return { ok: false, stdout: '', error: lines.slice(-3).join(' / ') || `exit status ${String(result.status)}` };
  }
  return { ok: true, stdout: result.stdout };
};

export interface GrubInstallOptions {
  user: string;
  password: string;
  /** Hash to write when the existing one does not match the password. */
  hash: string;
  /** Keep booting without the password (`--unrestricted` entries); false asks at every boot. */
  unrestricted: boolean;
  runMkconfig?: MkconfigRunner;
}

export interface GrubInstallPlan {
  changes: FileChange[];
  notes: Text[];
  /** Set when grub.cfg could not be regenerated, so the password does not protect the boot yet. */
  mkconfigError?: Text;
}

function readText(rootFs: RootFs, target: string): string | undefined {
  return rootFs.readTextIfExists(target)?.text;
}

/** Copy the target's /etc/grub.d into a temporary directory and apply the planned script changes there. */
function stageGrubD(rootFs: RootFs, changes: FileChange[]): string {
  const staged = fs.mkdtempSync(path.join(os.tmpdir(), `kh-grubd-${process.pid}-`));
  fs.cpSync(rootFs.resolve('/etc/grub.d'), staged, { recursive: true, verbatimSymlinks: true });
  for (const change of changes) {
    if (!change.path.startsWith('/etc/grub.d/') || typeof change.content !== 'string') continue;
    const file = path.join(staged, path.basename(change.path));
    fs.writeFileSync(file, change.content);
    fs.chmodSync(file, change.mode ?? 0o755);
  }
  return staged;
}

/**
 * Plan the GRUB password: the block in 40_custom (mode 0700, since the hash can be attacked
 * offline), `--unrestricted` in the CLASS line of the Linux entry scripts, and a grub.cfg
 * regenerated by the target's grub-mkconfig with mode 0600.
 */
export function planGrubInstall(root: string, options: GrubInstallOptions): GrubInstallPlan {
  const rootFs = new RootFs(root);
  const notes: Text[] = [];
  const changes: FileChange[] = [];

  const custom = readText(rootFs, GRUB_CUSTOM);
  const current = custom === undefined ? undefined : managedHash(custom, options.user);
  const hash = current !== undefined && verifyGrubPbkdf2(options.password, current) ? current : options.hash;
  changes.push({ path: GRUB_CUSTOM, content: mergeCustomBlock(custom, options.user, hash), mode: 0o700, reason: text('GRUB superuser and password', 'GRUB の superuser とパスワード') });

  let classFound = false;
  for (const script of CLASS_SCRIPTS) {
    const content = readText(rootFs, script);
    if (content === undefined) continue;
    const updated = setUnrestricted(content, options.unrestricted);
    classFound ||= updated.found;
    if (updated.found) {
      const reason = options.unrestricted
        ? text('boot menu entries without the password; editing them still needs it', 'メニュー項目はパスワードなしで起動し、編集にはパスワードが必要')
        : text('every boot asks for the password (profile grubUnrestricted: false)', '起動のたびにパスワードを求める(プロファイルの grubUnrestricted: false)');
      changes.push({ path: script, content: updated.content, reason });
    }
  }
  if (!classFound && options.unrestricted) {
    notes.push(text('no CLASS="…" line in /etc/grub.d/10_linux, so menu entries were not marked --unrestricted: every boot will ask for the password', '/etc/grub.d/10_linux に CLASS="…" の行がないため、メニュー項目に --unrestricted を付けていません。起動のたびにパスワードを求められます'));
  }

  const grubCfg = GRUB_CFG_PATHS.find((candidate) => rootFs.exists(candidate)) ?? GRUB_CFG_PATHS.find((candidate) => rootFs.isDirectory(path.posix.dirname(candidate)));
  const mkconfig = MKCONFIG_PATHS.find((candidate) => rootFs.exists(candidate));
  if (grubCfg === undefined) {
    notes.push(text('no /boot/grub directory: GRUB is not installed as the boot loader here, so no grub.cfg was generated', '/boot/grub ディレクトリがありません。GRUB がブートローダーとしてインストールされていないため、grub.cfg は生成していません'));
    return { changes, notes };
  }
  if (mkconfig === undefined) {
    notes.push(text(`grub-mkconfig is not installed in the target; run it where it is, then chmod 600 ${grubCfg}`, `ターゲットに grub-mkconfig がありません。使える環境で実行し、chmod 600 ${grubCfg} を行ってください`));
    if (rootFs.exists(grubCfg)) changes.push({ path: grubCfg, mode: 0o600, reason: text('only root may read grub.cfg', 'grub.cfg は root だけが読める') });
    return { changes, notes };
  }

  const staged = stageGrubD(rootFs, changes);
  let result: MkconfigResult;
  try {
    result = (options.runMkconfig ?? runMkconfigInSandbox)(root, mkconfig, staged);
  } finally {
    fs.rmSync(staged, { recursive: true, force: true });
  }
  if (!result.ok) {
    const error = text(
      `${mkconfig} failed (${result.error ?? 'unknown error'}), so ${grubCfg} still lacks the password; run "grub-mkconfig -o ${grubCfg}" on the booted system`,
      `${mkconfig} が失敗しました(${result.error ?? '不明なエラー'})。${grubCfg} にはまだパスワードがありません。起動したシステムで "grub-mkconfig -o ${grubCfg}" を実行してください`,
    );
    if (rootFs.exists(grubCfg)) changes.push({ path: grubCfg, mode: 0o600, reason: text('only root may read grub.cfg', 'grub.cfg は root だけが読める') });
    return { changes, notes, mkconfigError: error };
  }
  changes.push({ path: grubCfg, content: result.stdout, mode: 0o600, reason: text('grub.cfg regenerated with the password, readable by root only', 'パスワード入りで再生成した grub.cfg(root だけが読める)') });
  return { changes, notes };
}
