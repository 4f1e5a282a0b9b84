import { text } from '../core/text.js';
import type { Control, ModeAllowance } from './types.js';

const LEVEL1 = 'レベル1: 基本強化（すべての環境に推奨）';
const FILES = '重要ファイルの保護';
const VERIFY = 'セキュリティ検証';
const PERMISSION_AUDIT = 'ファイルパーミッションの監査';
const SCAN_LEVEL_NOTE = 'The guide runs the file permission audit without a level; it is checked from level 1 because it only reads.';

/** Services the guide disables, with the names that distributions give their daemons. */
const DISABLED_SERVICES = [
  {
    service: 'telnet',
    names: ['telnet', 'telnetd', 'inetutils-telnetd', 'telnetd-ssl'],
    inetd: ['telnet', 'telnetd'],
    what: text('telnet sends passwords and sessions in clear text.', 'telnet はパスワードとセッションを平文で送ります。'),
  },
  {
    service: 'ftp',
    names: ['ftp', 'ftpd', 'vsftpd', 'proftpd', 'pure-ftpd', 'inetutils-ftpd', 'tftpd', 'tftpd-hpa'],
    inetd: ['ftp', 'ftpd', 'tftp', 'tftpd'],
    what: text('FTP sends passwords and data in clear text.', 'FTP はパスワードとデータを平文で送ります。'),
  },
];

const DEBIAN_SHADOW: ModeAllowance = {
  osFamily: 'debian',
  maxMode: 0o640,
  group: 'shadow',
  note: text(
    'Debian keeps this file at 640 root:shadow on purpose so that the setgid helper unix_chkpwd can verify passwords; that is accepted.',
    'Debian は setgid のヘルパー unix_chkpwd がパスワードを確認できるよう、意図的に 640 root:shadow にしています。これは合格とします。',
  ),
};

interface FileEntry {
  path: string;
  maxMode: number;
  level: 1 | 2;
  guide: string;
  group?: string;
  allow?: ModeAllowance[];
  why: { en: string; ja: string };
  levelNote?: string;
}

const FILE_ENTRIES: FileEntry[] = [
  {
    path: '/etc/passwd',
    maxMode: 0o644,
    level: 1,
    guide: LEVEL1,
    why: text('Only root may change the account list.', 'アカウント一覧を変更できるのは root だけにします。'),
  },
  {
    path: '/etc/group',
    maxMode: 0o644,
    level: 1,
    guide: LEVEL1,
    why: text('Only root may change group membership.', 'グループの所属を変更できるのは root だけにします。'),
  },
  {
    path: '/etc/shadow',
    maxMode: 0o600,
    level: 1,
    guide: LEVEL1,
    allow: [DEBIAN_SHADOW],
    why: text('Password hashes must not be readable by users, who could crack them offline.', 'パスワードハッシュはユーザーが読めてはいけません。オフラインで解読されるおそれがあります。'),
  },
  {
    path: '/etc/gshadow',
    maxMode: 0o600,
    level: 1,
    guide: LEVEL1,
    allow: [DEBIAN_SHADOW],
    why: text('Group password hashes must not be readable by users.', 'グループのパスワードハッシュはユーザーが読めてはいけません。'),
  },
  {
    path: '/etc/ssh/sshd_config',
    maxMode: 0o600,
    level: 1,
    guide: LEVEL1,
    why: text('The SSH server configuration shows which logins are allowed; only root needs to read it.', 'SSH サーバーの設定からは許可されたログイン方法がわかるため、読めるのは root だけで十分です。'),
  },
  {
    path: '/var/log/messages',
    maxMode: 0o640,
    level: 2,
    guide: FILES,
    levelNote: 'The guide gives log permissions without a level; they belong with the level 2 server settings.',
    why: text('System logs contain user names, addresses and sometimes mistyped passwords.', 'システムログにはユーザー名やアドレス、時には打ち間違えたパスワードが含まれます。'),
  },
  {
    path: '/var/log/auth.log',
    maxMode: 0o640,
    level: 2,
    guide: FILES,
    levelNote: 'The guide gives log permissions without a level; they belong with the level 2 server settings.',
    why: text('The authentication log records who logged in from where.', '認証ログには誰がどこからログインしたかが記録されます。'),
  },
  {
    path: '/boot/grub/grub.cfg',
    maxMode: 0o600,
    level: 2,
    guide: 'ブートローダーの保護',
    levelNote: 'The guide sets grub.cfg to 600 without a level; a readable grub.cfg exposes the password hash, so it is checked from level 2.',
    why: text('grub.cfg holds the boot password hash and the kernel command line.', 'grub.cfg にはブートパスワードのハッシュとカーネルのコマンドラインが含まれます。'),
  },
];

function octal(mode: number): string {
  return mode.toString(8).padStart(3, '0');
}

export const SYSTEM_CONTROLS: Control[] = [
  {
    id: 'system.os-release.supported',
    level: 1,
    category: 'system',
    title: text('The OS release is still supported', 'OS のリリースがサポート期間内である'),
    rationale: text(
      'An unsupported release gets no security fixes. The support table is data that the operator can update with --os-support FILE.',
      'サポートが終了したリリースにはセキュリティ修正が提供されません。サポート表はデータなので、--os-support FILE で更新できます。',
    ),
    source: { guide: '脆弱性スキャン' },
    check: { kind: 'os-support' },
  },
  ...DISABLED_SERVICES.map(
    (entry): Control => ({
      id: `service.${entry.service}`,
      level: 1,
      category: 'services',
      title: text(`${entry.service} is not enabled and not running`, `${entry.service} が有効化されておらず、動作していない`),
      rationale: text(
        `${entry.what.en} SSH replaces it.`,
        `${entry.what.ja} SSH で置き換えられます。`,
      ),
      source: { guide: LEVEL1 },
      check: { kind: 'service-disabled', service: entry.service, names: entry.names, inetd: entry.inetd },
    }),
  ),
  {
    id: 'service.iptables',
    level: 1,
    category: 'services',
    title: text('iptables is in the default runlevel and started', 'iptables が default ランレベルに登録され、起動している'),
    rationale: text(
      'The firewall rules protect the host only if the service loads them at every boot.',
      'ファイアウォールのルールは、起動のたびにサービスが読み込んで初めてホストを守ります。',
    ),
    source: { guide: LEVEL1 },
    check: { kind: 'service-enabled', service: 'iptables', names: ['iptables', 'netfilter-persistent'], runlevel: 'default', subject: 'iptables' },
  },
  {
    id: 'ssh.permitrootlogin',
    level: 1,
    category: 'ssh',
    title: text('sshd: PermitRootLogin no', 'sshd の PermitRootLogin が no'),
    rationale: text(
      'Direct root logins give attackers a known account name to guess and leave no trace of who used root.',
      'root での直接ログインは攻撃者に推測すべきアカウント名を与え、誰が root を使ったかの記録も残りません。',
    ),
    source: { guide: LEVEL1 },
    check: { kind: 'sshd', keyword: 'permitrootlogin', name: 'PermitRootLogin', expected: ['no'] },
  },
  {
    id: 'ssh.passwordauthentication',
    level: 1,
    category: 'ssh',
    title: text('sshd: PasswordAuthentication no', 'sshd の PasswordAuthentication が no'),
    rationale: text(
      'Passwords can be guessed over the network; keys cannot. Make sure an administrator can log in with a key before applying it.',
      'パスワードはネットワーク越しに推測できますが、鍵はできません。適用前に管理者が鍵でログインできることを確認してください。',
    ),
    source: { guide: LEVEL1 },
    check: { kind: 'sshd', keyword: 'passwordauthentication', name: 'PasswordAuthentication', expected: ['no'] },
  },
  ...FILE_ENTRIES.map(
    (entry): Control => ({
      id: `file.${entry.path}.mode`,
      level: entry.level,
      category: 'files',
      title: text(
        `${entry.path} is mode ${octal(entry.maxMode)} or stricter, owned by root`,
        `${entry.path} のパーミッションが ${octal(entry.maxMode)} 以下で、所有者が root`,
      ),
      rationale: entry.why,
      source: entry.levelNote === undefined ? { guide: entry.guide } : { guide: entry.guide, levelNote: entry.levelNote },
      check: {
        kind: 'file-mode',
        path: entry.path,
        maxMode: entry.maxMode,
        owner: 'root',
        ...(entry.allow === undefined ? {} : { allow: entry.allow }),
      },
    }),
  ),
  {
    id: 'network.listening-ports',
    level: 2,
    category: 'network',
    hostOnly: false,
    title: text('Every listening port is one the firewall is meant to allow', '待ち受けているポートがすべてファイアウォールで許可する予定のポートである'),
    rationale: text(
      'A service that listens on a public address and is not blocked by the firewall is exposed, whether or not it was meant to be.',
      '公開アドレスで待ち受け、ファイアウォールで遮断されていないサービスは、意図したかどうかにかかわらず外部に公開されています。',
    ),
    source: { guide: VERIFY },
    check: { kind: 'listening-ports' },
  },
  {
    id: 'files.scan.setid',
    level: 1,
    category: 'files',
    title: text('Only the expected programs are SUID or SGID', 'SUID/SGID のプログラムが想定されたものだけである'),
    rationale: text(
      'A SUID or SGID program runs with its owner\'s rights for any user; an unexpected one, or one that can start a shell, is a way to root. The expected programs per OS family are data (data/setid-programs.json).',
      'SUID/SGID のプログラムは誰が実行しても所有者の権限で動きます。想定外のものやシェルを起動できるものは root への近道です。OS ファミリーごとの想定プログラムはデータ(data/setid-programs.json)です。',
    ),
    source: { guide: PERMISSION_AUDIT, levelNote: SCAN_LEVEL_NOTE },
    check: { kind: 'file-scan', list: 'setid' },
  },
  {
    id: 'files.scan.world-writable',
    level: 1,
    category: 'files',
    title: text('No regular file is writable by every user', '誰でも書き込める通常のファイルがない'),
    rationale: text(
      'Any user can change a world-writable file, so a script, configuration or log of this kind can be rewritten by an attacker.',
      '誰でも書き込めるファイルはどのユーザーでも変更できるため、スクリプトや設定、ログを攻撃者に書き換えられます。',
    ),
    source: { guide: PERMISSION_AUDIT, levelNote: SCAN_LEVEL_NOTE },
    check: { kind: 'file-scan', list: 'world-writable' },
  },
  {
    id: 'files.scan.world-writable-dirs',
    level: 1,
    category: 'files',
    title: text('Every world-writable directory has the sticky bit', '誰でも書き込めるディレクトリにはすべてスティッキービットがある'),
    rationale: text(
      'Without the sticky bit any user can delete or replace other users\' files in the directory, as /tmp would allow without mode 1777.',
      'スティッキービットがないと、どのユーザーでもそのディレクトリにある他人のファイルを削除したり置き換えたりできます(/tmp が 1777 でない場合と同じです)。',
    ),
    source: { guide: PERMISSION_AUDIT, levelNote: `${SCAN_LEVEL_NOTE} The guide lists world-writable files only; a world-writable directory without the sticky bit is the same risk for every file in it.` },
    check: { kind: 'file-scan', list: 'world-writable-dirs' },
  },
  {
    id: 'files.scan.orphans',
    level: 1,
    category: 'files',
    title: text('Every file has an owner and a group that exist', 'すべてのファイルの所有者とグループが存在する'),
    rationale: text(
      'A file whose uid or gid has no account goes to whoever gets that id next, for example a new user.',
      'uid や gid に対応するアカウントのないファイルは、次にその ID を得た人(新しいユーザーなど)のものになります。',
    ),
    source: { guide: PERMISSION_AUDIT, levelNote: SCAN_LEVEL_NOTE },
    check: { kind: 'file-scan', list: 'orphans' },
  },
];
