import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Text } from '../core/text.js';
import { firewallFiles } from '../model/firewall.js';
import { RootFs } from '../target/rootfs.js';
import { text } from '../core/text.js';
import type { FilePlan } from './plan.js';

/** Result of checking candidate files with the program that reads them. */
export interface Validation {
  program: string;
  ok: boolean;
  /** The program was not run (not installed here, or nothing of its kind changes). */
  skipped?: Text;
  output: string;
  /** The program rejects the current files too, so the fault is not in the change. */
  alreadyFailing?: boolean;
}

function available(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

/** A host directory that bubblewrap binds over a directory of the target. */
interface Bind {
  host: string;
  target: string;
}

/** Run the target's `sshd -t` with the given directories bound over the target's. */
function runSshdTest(root: string, binds: Bind[]): { ok: boolean; output: string } {
  const args = ['--ro-bind', root, '/', ...binds.flatMap((bind) => ['--ro-bind', bind.host, bind.target])];
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/run', '--dir', '/run/sshd', '--tmpfs', '/tmp');
  args.push('--unshare-all', '/usr/sbin/sshd', '-t', '-f', '/etc/ssh/sshd_config');
  const result = spawnSync('bwrap', args, { encoding: 'utf8' });
  // sshd ends its log lines with CRLF when stderr is not a terminal.
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.replace(/\r\n/g, '\n').trim() };
}

function isDirectory(hostPath: string): boolean {
  try {
    return fs.lstatSync(hostPath).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Copy the directories that contain the candidate files into `scratch`, put the candidate bytes in
 * the copies, and return the copies to bind over the originals (bubblewrap cannot create a new
 * file inside the read-only root). Each file is placed at its real location in the target, with
 * links already followed inside the root, and written with O_EXCL. So no write here follows a
 * link, such as an absolute one copied as it is, out to the host.
 */
function candidateBinds(root: string, files: FilePlan[], scratch: string): Bind[] {
  const rootFs = new RootFs(root);
  const real = (file: FilePlan): string => `/${path.relative(root, rootFs.resolve(file.change.path, file.change.symlink === undefined && file.change.noFollow !== true))}`;
  const anchors = new Set<string>();
  for (const file of files) {
    // The nearest directory that exists in the target; a new drop-in directory is made in its copy.
    let anchor = path.posix.dirname(real(file));
    while (anchor !== '/' && !isDirectory(path.join(root, anchor))) anchor = path.posix.dirname(anchor);
    anchors.add(anchor);
  }
  const inside = (child: string, parent: string): boolean => parent === '/' || child === parent || child.startsWith(`${parent}/`);
  const topmost = [...anchors].filter((anchor) => ![...anchors].some((other) => other !== anchor && inside(anchor, other)));

  const binds = topmost.map((target, index) => {
    const host = path.join(scratch, String(index));
    fs.cpSync(path.join(root, target), host, { recursive: true, verbatimSymlinks: true });
    return { host, target };
  });
  for (const file of files) {
    const bind = binds.find((item) => inside(real(file), item.target)) as Bind;
    const destination = path.join(bind.host, path.posix.relative(bind.target, real(file)));
    fs.rmSync(destination, { force: true });
    if (file.afterBytes === null || file.after?.symlink !== undefined) continue;
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    fs.writeFileSync(destination, file.afterBytes, { mode: file.after?.mode ?? 0o644, flag: 'wx' });
  }
  return binds;
}

/**
 * Run `sshd -t` on the candidate configuration inside the target (bubblewrap with the target's
 * root bound read-only), so that Include lines and host keys resolve as they will after apply.
 * Uses the target's own sshd binary.
 */
export function validateSshd(root: string, files: FilePlan[]): Validation {
  const touched = files.filter((file) => file.change.path.startsWith('/etc/ssh/'));
  if (touched.length === 0) return { program: 'sshd -t', ok: true, skipped: text('no sshd file changes', 'sshd の設定ファイルの変更なし'), output: '' };
  const sshd = path.join(root, 'usr/sbin/sshd');
  if (!available('bwrap') || !fs.existsSync(sshd) || fs.statSync(sshd).size === 0) {
    return { program: 'sshd -t', ok: true, skipped: text('not checked: bwrap or the target’s /usr/sbin/sshd is missing', '未検証: bwrap または対象の /usr/sbin/sshd がありません'), output: '' };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-sshd-'));
  try {
    const candidate = runSshdTest(root, candidateBinds(root, touched, dir));
    if (candidate.output.startsWith('bwrap:')) {
      // The sandbox could not be set up in this tree (no /proc directory, for one): sshd never ran.
      const output = candidate.output;
      return { program: 'sshd -t', ok: true, skipped: text(`not checked: cannot run sshd inside the target (${output})`, `未検証: 対象の中で sshd を実行できません(${output})`), output };
    }
    if (candidate.ok) return { program: 'sshd -t', ok: true, output: candidate.output };
    const current = runSshdTest(root, []);
    if (!current.ok) return { program: 'sshd -t', ok: false, output: current.output, alreadyFailing: true };
    return { program: 'sshd -t', ok: false, output: candidate.output };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Error lines of `findmnt --verify` that the candidate fstab has and the current one does not. */
export function validateFstab(root: string, files: FilePlan[]): Validation {
  const fstab = files.find((file) => file.change.path === '/etc/fstab');
  if (fstab === undefined || fstab.afterBytes === null) return { program: 'findmnt --verify', ok: true, skipped: text('no fstab change', 'fstab の変更なし'), output: '' };
  if (!available('findmnt')) return { program: 'findmnt --verify', ok: true, skipped: text('not checked: findmnt is missing', '未検証: findmnt がありません'), output: '' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-fstab-'));
  try {
    const verify = (bytes: Buffer): string[] => {
      const file = path.join(dir, 'fstab');
      fs.writeFileSync(file, bytes);
      const result = spawnSync('findmnt', ['--verify', '--tab-file', file], { encoding: 'utf8' });
      // Output is a mount point line followed by indented "[E] ..." and "[W] ..." lines about it.
      const errors: string[] = [];
      let mountpoint = '';
      for (const line of `${result.stdout ?? ''}`.split('\n')) {
        if (line !== '' && !line.startsWith(' ')) mountpoint = line;
        else if (line.trim().startsWith('[E]')) errors.push(`${mountpoint}: ${line.trim()}`);
      }
      return errors;
    };
    const old = new Set(fstab.beforeBytes === null ? [] : verify(fstab.beforeBytes));
    const added = verify(fstab.afterBytes).filter((line) => !old.has(line));
    return { program: 'findmnt --verify', ok: added.length === 0, output: added.join('\n') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Run `iptables-restore --test` (and ip6tables-restore) on new firewall rule files inside a new
 * network namespace, so that the check never touches the rules of this machine.
 */
export function validateFirewall(root: string, files: FilePlan[]): Validation {
  const loaded = firewallFiles(new RootFs(root));
  const candidates: Array<[string, FilePlan]> = [];
  for (const file of files) {
    if (file.afterBytes === null || file.after?.symlink !== undefined) continue;
    if (file.change.path === loaded.ipv4.loaded?.path) candidates.push(['iptables-restore', file]);
    else if (file.change.path === loaded.ipv6.loaded?.path) candidates.push(['ip6tables-restore', file]);
  }
  if (candidates.length === 0) return { program: 'iptables-restore --test', ok: true, skipped: text('no firewall file changes', 'ファイアウォールのファイルの変更なし'), output: '' };
  if (!available('unshare') || !available('iptables-restore')) {
    return { program: 'iptables-restore --test', ok: true, skipped: text('not checked: unshare or iptables-restore is missing', '未検証: unshare または iptables-restore がありません'), output: '' };
  }
  const output: string[] = [];
  let ok = true;
  for (const [program, file] of candidates) {
    const result = spawnSync('unshare', ['-n', program, '--test'], { input: file.afterBytes as Buffer, encoding: 'utf8' });
    if (result.status === null || /unshare: /.test(result.stderr ?? '')) {
      return { program: 'iptables-restore --test', ok: true, skipped: text(`not checked: cannot make a network namespace (${(result.stderr ?? '').trim()})`, `未検証: ネットワーク名前空間を作れません(${(result.stderr ?? '').trim()})`), output: '' };
    }
    if (result.status !== 0) {
      ok = false;
      output.push(`${file.change.path}: ${(result.stderr ?? '').trim()}`);
    }
  }
  return { program: 'iptables-restore --test', ok, output: output.join('\n') };
}

export function validatePlan(root: string, files: FilePlan[]): Validation[] {
  // Roots are resolved here because bwrap needs a real directory, not a relative path.
  const absolute = path.resolve(root);
  return [validateSshd(absolute, files), validateFstab(absolute, files), validateFirewall(absolute, files)];
}
