import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Text } from '../core/text.js';
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

/** Run the target's `sshd -t` with `sshDir` bound over its /etc/ssh. */
function runSshdTest(root: string, sshDir: string): { ok: boolean; output: string } {
  const args = ['--ro-bind', root, '/', '--ro-bind', sshDir, '/etc/ssh', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/run', '--dir', '/run/sshd', '--tmpfs', '/tmp'];
  args.push('--unshare-all', '/usr/sbin/sshd', '-t', '-f', '/etc/ssh/sshd_config');
  const result = spawnSync('bwrap', args, { encoding: 'utf8' });
  // sshd ends its log lines with CRLF when stderr is not a terminal.
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.replace(/\r\n/g, '\n').trim() };
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
  // A copy of /etc/ssh with the candidate files in it is bound over the target's, because
  // bubblewrap cannot create new files (a new drop-in) inside the read-only root.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-sshd-'));
  try {
    const copy = path.join(dir, 'ssh');
    fs.cpSync(path.join(root, 'etc/ssh'), copy, { recursive: true, verbatimSymlinks: true });
    for (const file of touched) {
      const host = path.join(copy, path.posix.relative('/etc/ssh', file.change.path));
      if (file.afterBytes === null) fs.rmSync(host, { force: true });
      else if (file.after?.symlink === undefined) {
        fs.mkdirSync(path.dirname(host), { recursive: true });
        fs.writeFileSync(host, file.afterBytes, { mode: file.after?.mode ?? 0o644 });
      }
    }
    const candidate = runSshdTest(root, copy);
    if (candidate.output.startsWith('bwrap:')) {
      // The sandbox could not be set up in this tree (no /proc directory, for one): sshd never ran.
      const output = candidate.output;
      return { program: 'sshd -t', ok: true, skipped: text(`not checked: cannot run sshd inside the target (${output})`, `未検証: 対象の中で sshd を実行できません(${output})`), output };
    }
    if (candidate.ok) return { program: 'sshd -t', ok: true, output: candidate.output };
    const current = runSshdTest(root, path.join(root, 'etc/ssh'));
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

export function validatePlan(root: string, files: FilePlan[]): Validation[] {
  // Roots are resolved here because bwrap needs a real directory, not a relative path.
  const absolute = path.resolve(root);
  return [validateSshd(absolute, files), validateFstab(absolute, files)];
}
