import * as path from 'node:path';
import type { Text } from '../core/text.js';
import { text } from '../core/text.js';
import { analyzeRuleset, firewallFiles } from '../model/firewall.js';
import { loadSshd } from '../model/sshd.js';
import { parseIptables } from '../parse/iptables.js';
import type { SshdModel } from '../model/sshd.js';
import { parseColonFile, records } from '../parse/colonfile.js';
import type { RootFs } from '../target/rootfs.js';
import type { Target } from '../target/target.js';

/** A reason the planned change would leave no account able to log in over SSH and become root. */
export interface GuardFinding {
  code: 'ssh-no-admin-login' | 'firewall-blocks-ssh';
  message: Text;
  /** The command-line flag that applies the change anyway. */
  override: string;
}

export const LOCKOUT_OVERRIDE = '--allow-lockout';

interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
  /** Password field of /etc/shadow (or /etc/passwd without shadow). */
  password: string;
  groups: Set<string>;
}

function readColon(fs: RootFs, file: string, fields: number): string[][] {
  try {
    const source = fs.readTextIfExists(file)?.text;
    if (source === undefined) return [];
    return records(parseColonFile(source, file, fields)).map((record) => record.fields);
  } catch {
    return [];
  }
}

function loadAccountList(fs: RootFs): Account[] {
  const shadow = new Map(readColon(fs, '/etc/shadow', 9).map((fields) => [fields[0] as string, fields[1] ?? '']));
  const groupRows = readColon(fs, '/etc/group', 4);
  const accounts: Account[] = [];
  for (const fields of readColon(fs, '/etc/passwd', 7)) {
    const [name = '', password = '', uid = '', gid = '', , home = '/', shell = ''] = fields;
    const groups = new Set<string>();
    for (const group of groupRows) {
      const members = (group[3] ?? '').split(',').filter((member) => member !== '');
      if (group[2] === gid || members.includes(name)) groups.add(group[0] as string);
    }
    accounts.push({ name, uid: Number(uid), gid: Number(gid), home, shell, password: password === 'x' ? shadow.get(name) ?? '' : password, groups });
  }
  return accounts;
}

function usableShell(fs: RootFs, shell: string): boolean {
  if (shell === '' ) return fs.exists('/bin/sh');
  if (/(nologin|false)$/.test(shell)) return false;
  return fs.exists(shell);
}

/** Key files of the account per AuthorizedKeysFile (%h, %u, %% tokens; relative paths are under the home directory). */
function hasAuthorizedKey(fs: RootFs, model: SshdModel, account: Account): boolean {
  const patterns = model.global('authorizedkeysfile').value;
  for (const pattern of patterns.length === 0 ? ['.ssh/authorized_keys', '.ssh/authorized_keys2'] : patterns) {
    if (pattern.toLowerCase() === 'none') continue;
    const tokens: Record<string, string> = { '%%': '%', '%h': account.home, '%u': account.name, '%U': String(account.uid) };
    const expanded = pattern.replace(/%%|%h|%u|%U/g, (token) => tokens[token] as string);
    const file = expanded.startsWith('/') ? expanded : path.posix.join(account.home, expanded);
    const keys = fs.readTextIfExists(file)?.text;
    if (keys !== undefined && keys.split('\n').some((line) => line.trim() !== '' && !line.trim().startsWith('#'))) return true;
  }
  return false;
}

/** doas.conf `permit` rules and sudoers rules that let the account run commands as root, where doas or sudo is installed. */
function canBecomeRoot(fs: RootFs, account: Account): boolean {
  if (account.uid === 0) return true;
  const identities = new Set([account.name, ...[...account.groups].map((group) => `:${group}`)]);
  const doasInstalled = ['/usr/bin/doas', '/bin/doas'].some((file) => fs.exists(file));
  for (const file of doasInstalled ? ['/etc/doas.conf', '/etc/doas.d/doas.conf'] : []) {
    for (const raw of (fs.readTextIfExists(file)?.text ?? '').split('\n')) {
      // doas.conf(5): permit [options] identity [as target] [cmd ...], where the options include
      // `setenv { VAR ... }`, whose braces and names are not the identity.
      const words = raw.replace(/#.*/, '').replace(/setenv\s*\{[^}]*\}/g, ' ').trim().split(/\s+/);
      if (words[0] !== 'permit') continue;
      const rest = words.slice(1).filter((word) => !['nopass', 'persist', 'keepenv', 'nolog'].includes(word));
      const identity = rest[0];
      const asIndex = rest.indexOf('as');
      const target = asIndex >= 0 ? rest[asIndex + 1] : 'root';
      if (identity !== undefined && identities.has(identity) && target === 'root') return true;
    }
  }
  const sudoIdentities = new Set([account.name, ...[...account.groups].map((group) => `%${group}`)]);
  const sudoInstalled = ['/usr/bin/sudo', '/bin/sudo'].some((file) => fs.exists(file));
  const sudoFiles = sudoInstalled ? ['/etc/sudoers', ...safeList(fs, '/etc/sudoers.d').map((name) => `/etc/sudoers.d/${name}`)] : [];
  for (const file of sudoFiles) {
    for (const raw of (fs.readTextIfExists(file)?.text ?? '').split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      const match = /^(\S+)\s+\S+\s*=\s*(\(([^)]*)\))?/.exec(line);
      if (match === null || !sudoIdentities.has(match[1] as string)) continue;
      const runAs = match[3];
      if (runAs === undefined || /\b(ALL|root)\b/.test(runAs.split(':')[0] ?? '')) return true;
    }
  }
  return false;
}

function safeList(fs: RootFs, dir: string): string[] {
  try {
    return fs.readdir(dir).filter((name) => !name.includes('.') && !name.endsWith('~'));
  } catch {
    return [];
  }
}

function rootLoginAllowsKeys(model: SshdModel): boolean {
  const value = (model.global('permitrootlogin').value[0] ?? 'prohibit-password').toLowerCase();
  return value === 'yes' || value === 'prohibit-password' || value === 'without-password';
}

/** Accounts that could log in with a key and reach root under the given sshd configuration. */
export function adminLogins(fs: RootFs, model: SshdModel): string[] {
  const usePam = (model.global('usepam').value[0] ?? 'no').toLowerCase() === 'yes';
  const pubkey = (model.global('pubkeyauthentication').value[0] ?? 'yes').toLowerCase() === 'yes';
  if (!pubkey) return [];
  const names: string[] = [];
  for (const account of loadAccountList(fs)) {
    if (!usableShell(fs, account.shell)) continue;
    // Without PAM, sshd treats a password field starting with "!" as a locked account, keys included.
    if (!usePam && account.password.startsWith('!')) continue;
    if (account.uid === 0 && !rootLoginAllowsKeys(model)) continue;
    if (!hasAuthorizedKey(fs, model, account)) continue;
    if (canBecomeRoot(fs, account)) names.push(account.name);
  }
  return names;
}

function loginSettings(model: SshdModel): string {
  return `PasswordAuthentication ${model.global('passwordauthentication').value.join(' ')}, PermitRootLogin ${model.global('permitrootlogin').value.join(' ')}`;
}

/**
 * Refuse a change of sshd's login settings when, after it, no account could log in with a key
 * and become root, which would leave only the console. Nothing is refused when the login
 * settings do not change or sshd is not installed.
 */
export function checkLockout(before: Target, after: Target): GuardFinding[] {
  return [...checkSshLogin(before, after), ...checkFirewallSsh(before, after)];
}

/**
 * Refuse a new firewall rule file that would drop new connections to a port sshd listens on.
 * Only rule files the plan changes are judged; rules already in place are the audit's concern.
 */
export function checkFirewallSsh(before: Target, after: Target): GuardFinding[] {
  const sshd = loadSshd(after.fs);
  if (!sshd.present) return [];
  const ports = [...new Set(sshd.ports().listen.map((listen) => listen.port))];
  const files = firewallFiles(after.fs);
  const findings: GuardFinding[] = [];
  for (const [family, file] of [[4, files.ipv4.loaded], [6, files.ipv6.loaded]] as const) {
    if (file === undefined) continue;
    const newText = after.fs.readTextIfExists(file.path)?.text;
    if (newText === undefined || newText === before.fs.readTextIfExists(file.path)?.text) continue;
    const analysis = analyzeRuleset(parseIptables(newText, file.path), family, { sshPorts: ports });
    const blocked = (analysis.filter?.ssh ?? []).filter((finding) => !finding.allowed.value).map((finding) => finding.port);
    if (blocked.length === 0) continue;
    findings.push({
      code: 'firewall-blocks-ssh',
      override: LOCKOUT_OVERRIDE,
      message: text(
        `the new ${file.path} would drop SSH on port ${blocked.join(', ')}, where sshd listens: add the port to sshPorts in the profile, or apply with ${LOCKOUT_OVERRIDE} if you have console access`,
        `新しい ${file.path} は sshd が待ち受けるポート ${blocked.join(', ')} の SSH を破棄します。プロファイルの sshPorts にポートを追加するか、コンソールで操作できる場合は ${LOCKOUT_OVERRIDE} を付けて適用してください`,
      ),
    });
  }
  return findings;
}

function checkSshLogin(before: Target, after: Target): GuardFinding[] {
  const oldModel = loadSshd(before.fs);
  const newModel = loadSshd(after.fs);
  if (!newModel.present || loginSettings(oldModel) === loginSettings(newModel)) return [];
  if (adminLogins(after.fs, newModel).length > 0) return [];
  return [
    {
      code: 'ssh-no-admin-login',
      override: LOCKOUT_OVERRIDE,
      message: text(
        `after the change (${loginSettings(newModel)}) no account could log in over SSH with a key and become root: add your public key to an account with a login shell that doas or sudo lets run commands as root (and make sure its password field does not start with "!" when sshd runs without PAM), or apply with ${LOCKOUT_OVERRIDE} if you have console access`,
        `変更後(${loginSettings(newModel)})は、鍵で SSH ログインして root になれるアカウントがなくなります。ログインシェルを持ち doas か sudo で root としてコマンドを実行できるアカウントに公開鍵を登録してください(PAM なしの sshd ではパスワード欄が "!" で始まらないことも確認してください)。コンソールで操作できる場合は ${LOCKOUT_OVERRIDE} を付けて適用できます`,
      ),
    },
  ];
}
