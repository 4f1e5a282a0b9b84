import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { text } from '../core/text.js';
import type { Text } from '../core/text.js';
import { familyFromContent, familyFromPath } from '../model/firewall-family.js';
import { BUILTIN_CHAINS, parseIptables } from '../parse/iptables.js';
import { UsageError } from '../target/target.js';

/**
 * Safe loading of a rule set on a live host, as iptables-apply does it: save the running rules,
 * load the new ones, and put the saved rules back unless the operator confirms in time. A
 * rule set that cuts off the operator's own SSH session is thereby undone without them.
 */

export type FirewallBackend = 'iptables' | 'ip6tables' | 'nftables';

export interface SafeLoadOptions {
  file: string;
  backend: FirewallBackend;
  timeoutSeconds: number;
  /** Ask the operator; resolves true only on a confirmation within `timeoutSeconds`. */
  confirm: (timeoutSeconds: number) => Promise<boolean>;
  /** Progress for the operator: what was saved where, what was loaded or restored. */
  log: (message: Text) => void;
}

export interface SafeLoadResult {
  outcome: 'kept' | 'restored';
  /** Copy of the rules that ran before, kept on disk so they can be restored by hand. */
  backup: string;
}

interface Programs {
  save: string[];
  test: string[];
  load: string[];
}

const PROGRAMS: Record<FirewallBackend, Programs> = {
  iptables: { save: ['iptables-save'], test: ['iptables-restore', '--test'], load: ['iptables-restore'] },
  ip6tables: { save: ['ip6tables-save'], test: ['ip6tables-restore', '--test'], load: ['ip6tables-restore'] },
  nftables: { save: ['nft', 'list', 'ruleset'], test: ['nft', '-c', '-f', '-'], load: ['nft', '-f', '-'] },
};

/**
 * Pick the loader of a rule file: nftables when it starts like an nft script, else iptables or
 * ip6tables by file name, then by the options it uses. An unreadable file gives iptables, and
 * safeLoad then reports the read error.
 */
export function backendOfFile(file: string): FirewallBackend {
  let content = '';
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch {
    return 'iptables';
  }
  const firstStatement = content.split('\n').find((line) => line.trim() !== '' && !line.trimStart().startsWith('#')) ?? '';
  if (content.startsWith('#!/usr/sbin/nft') || /^\s*(table|flush|add|delete|include|define)\s/.test(firstStatement)) return 'nftables';
  return (familyFromPath(file) ?? familyFromContent(content)) === 6 ? 'ip6tables' : 'iptables';
}

/** Run a program with `input` on stdin; a failure to start or a non-zero exit comes back as `error`. */
function runProgram(command: string[], input: string): { output: string; error?: string } {
  const [program, ...args] = command as [string, ...string[]];
  const result = spawnSync(program, args, { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.error !== undefined) return { output: '', error: `${program}: ${result.error.message}` };
  if (result.status !== 0) return { output: result.stdout, error: `${command.join(' ')} exited with ${String(result.status)}: ${result.stderr.trim()}` };
  return { output: result.stdout };
}

/**
 * Build the input that brings back the saved rules. iptables-restore replaces only the tables it
 * is given, so a table that the new rules created and the saved rules lack gets an empty block.
 * For nftables the whole ruleset is flushed first.
 */
export function restoreInput(backend: FirewallBackend, saved: string, loaded: string): string {
  if (backend === 'nftables') return `flush ruleset\n${saved}`;
  const savedTables = new Set(parseIptables(saved, 'saved').blocks.map((block) => block.name));
  const extra: string[] = [];
  for (const block of parseIptables(loaded, 'loaded').blocks) {
    if (savedTables.has(block.name) || BUILTIN_CHAINS[block.name] === undefined) continue;
    savedTables.add(block.name);
    extra.push(`*${block.name}`, ...(BUILTIN_CHAINS[block.name] ?? []).map((chain) => `:${chain} ACCEPT [0:0]`), 'COMMIT');
  }
  return extra.length === 0 ? saved : `${saved}${extra.join('\n')}\n`;
}

function readRules(file: string, backend: FirewallBackend): string {
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(text(`${file}: cannot read the rule file (${reason})`, `${file}: ルールファイルを読めません(${reason})`));
  }
  if (backend !== 'nftables') {
    const problem = parseIptables(content, file).diagnostics.find((diagnostic) => diagnostic.severity === 'error');
    if (problem !== undefined) {
      throw new UsageError(
        text(
          `${file}:${problem.line ?? 1}: ${problem.message.en}; nothing was loaded (check the file with: kimigayo-harden lint ${file})`,
          `${file}:${problem.line ?? 1}: ${problem.message.ja}。何も読み込んでいません(kimigayo-harden lint ${file} で確認してください)`,
        ),
      );
    }
  }
  return content;
}

export async function safeLoad(options: SafeLoadOptions): Promise<SafeLoadResult> {
  const programs = PROGRAMS[options.backend];
  const content = readRules(options.file, options.backend);

  const checked = runProgram(programs.test, content);
  if (checked.error !== undefined) {
    throw new UsageError(text(`${options.file}: rejected by ${checked.error}; nothing was loaded`, `${options.file}: ${checked.error} で拒否されました。何も読み込んでいません`));
  }

  const saved = runProgram(programs.save, '');
  if (saved.error !== undefined) {
    throw new UsageError(text(`cannot save the running rules (${saved.error}); nothing was loaded`, `稼働中のルールを保存できません(${saved.error})。何も読み込んでいません`));
  }
  const backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kimigayo-harden-firewall-'));
  const backup = path.join(backupDir, options.backend === 'nftables' ? 'ruleset.nft' : `${options.backend}.rules`);
  fs.writeFileSync(backup, saved.output, { mode: 0o600 });
  options.log(text(`saved the running rules to ${backup}`, `稼働中のルールを ${backup} に保存しました`));

  const restore = (): void => {
    const restored = runProgram(programs.load, restoreInput(options.backend, saved.output, content));
    if (restored.error !== undefined) {
      throw new Error(`restoring the saved rules failed (${restored.error}); load ${backup} by hand`);
    }
  };

  const loaded = runProgram(programs.load, content);
  if (loaded.error !== undefined) {
    restore();
    throw new UsageError(text(`${options.file}: loading failed (${loaded.error}); the saved rules are back`, `${options.file}: 読み込みに失敗しました(${loaded.error})。保存したルールに戻しました`));
  }
  options.log(text(`loaded ${options.file}`, `${options.file} を読み込みました`));

  let confirmed = false;
  try {
    confirmed = await options.confirm(options.timeoutSeconds);
  } finally {
    if (!confirmed) restore();
  }
  if (!confirmed) {
    options.log(text('the new rules were not confirmed: restored the saved rules', '新しいルールが確認されなかったため、保存したルールに戻しました'));
    return { outcome: 'restored', backup };
  }
  options.log(text(`kept the new rules; the previous ones stay in ${backup}`, `新しいルールを維持します。以前のルールは ${backup} に残してあります`));
  return { outcome: 'kept', backup };
}
