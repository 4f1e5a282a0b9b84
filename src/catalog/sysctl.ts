import { text } from '../core/text.js';
import type { Text } from '../core/text.js';
import type { Control, Level } from './types.js';

const LEVEL2_LIST = 'レベル2: 中程度の強化（サーバー環境推奨）';
const LEVEL3_LIST = 'レベル3: 最大強化（高セキュリティ環境）';
const RECOMMENDED_FILE = 'カーネルパラメータの最適化';

interface SysctlEntry {
  key: string;
  expected: string;
  level: Level;
  guide: string;
  rationale: Text;
  levelNote?: string;
  alternative?: { key: string; expected: string };
  requiresProfile?: 'ipv6-unused';
}

const RP_FILTER = text(
  'Strict reverse-path filtering drops packets whose source address would not be routed back through the interface they arrived on, which stops most spoofed traffic.',
  '厳格なリバースパスフィルタリングは、到着したインターフェース経由では送り返せない送信元アドレスのパケットを破棄し、なりすましの大半を防ぎます。',
);
const SOURCE_ROUTE = text(
  'Source-routed packets let the sender choose the path through the network, which can bypass filtering; a server has no use for them.',
  'ソースルーティングされたパケットは送信者が経路を決められるため、フィルタリングを迂回できます。サーバーには不要です。',
);
const ACCEPT_REDIRECTS = text(
  'ICMP redirects let another host change this host’s routing table, which allows man-in-the-middle attacks.',
  'ICMP リダイレクトは他のホストがこのホストのルーティングテーブルを変更できるため、中間者攻撃につながります。',
);
const SECURE_REDIRECTS = text(
  'Even redirects from listed gateways can be forged; a host with static routes should accept none.',
  'ゲートウェイからのリダイレクトも偽装できます。静的な経路を持つホストはどれも受け入れるべきではありません。',
);
const SEND_REDIRECTS = text(
  'Only a router needs to send ICMP redirects; a host that sends them leaks routing information.',
  'ICMP リダイレクトを送る必要があるのはルーターだけです。ホストが送ると経路情報が漏れます。',
);
const IPV6_REDIRECTS = text(
  'IPv6 redirects can reroute traffic through an attacker just as IPv4 redirects can.',
  'IPv6 のリダイレクトも IPv4 と同様に、攻撃者経由に通信を迂回させることができます。',
);
const IPV6_SOURCE_ROUTE = text(
  'IPv6 routing headers let the sender choose the path, which can bypass filtering.',
  'IPv6 のルーティングヘッダーは送信者が経路を選べるため、フィルタリングを迂回できます。',
);
const IPV6_ACCEPT_RA = text(
  'Router advertisements from any host on the link can change the default route and addresses; servers should use static configuration.',
  'リンク上の任意のホストからのルーター広告でデフォルト経路やアドレスが変わります。サーバーは静的な設定を使うべきです。',
);
const DISABLE_IPV6 = text(
  'When the site does not use IPv6, turning it off removes an address family that a firewall for IPv4 alone would leave open.',
  'IPv6 を使わないサイトでは無効にすることで、IPv4 だけのファイアウォールでは開いたままになるアドレスファミリーを取り除けます。',
);
const IPV6_LEVEL_NOTE = 'The guide lists disable_ipv6 under "if IPv6 is not used"; it is checked only when the site profile says ipv6: false.';

const ENTRIES: SysctlEntry[] = [
  {
    key: 'kernel.dmesg_restrict',
    expected: '1',
    level: 2,
    guide: LEVEL2_LIST,
    rationale: text(
      'The kernel log reveals addresses and hardware details that help exploits; only privileged users should read it.',
      'カーネルログには攻撃に役立つアドレスやハードウェア情報が含まれるため、特権ユーザーだけが読めるようにします。',
    ),
  },
  {
    key: 'kernel.kptr_restrict',
    expected: '2',
    level: 2,
    guide: LEVEL2_LIST,
    rationale: text(
      'Kernel pointers in /proc and logs defeat KASLR; 2 hides them from every user, root included.',
      '/proc やログに出るカーネルポインタは KASLR を無効にしてしまいます。2 にすると root を含む全ユーザーから隠せます。',
    ),
  },
  {
    key: 'kernel.yama.ptrace_scope',
    expected: '1',
    level: 2,
    guide: LEVEL2_LIST,
    rationale: text(
      'With scope 1 a process can only be traced by its parent, so a compromised process cannot read the memory of the user’s other processes.',
      'scope 1 ではプロセスをトレースできるのは親プロセスだけになり、侵害されたプロセスが同じユーザーの他のプロセスのメモリを読めなくなります。',
    ),
  },
  { key: 'net.ipv4.conf.all.rp_filter', expected: '1', level: 2, guide: LEVEL2_LIST, rationale: RP_FILTER },
  { key: 'net.ipv4.conf.all.accept_source_route', expected: '0', level: 2, guide: LEVEL2_LIST, rationale: SOURCE_ROUTE },
  { key: 'net.ipv4.conf.all.accept_redirects', expected: '0', level: 2, guide: LEVEL2_LIST, rationale: ACCEPT_REDIRECTS },
  {
    key: 'net.ipv4.tcp_syncookies',
    expected: '1',
    level: 2,
    guide: LEVEL2_LIST,
    rationale: text(
      'SYN cookies keep the host answering legitimate clients while a SYN flood fills the backlog.',
      'SYN cookie により、SYN フラッドでバックログが埋まっても正規のクライアントに応答し続けられます。',
    ),
  },
  {
    key: 'vm.mmap_min_addr',
    expected: '65536',
    level: 2,
    guide: RECOMMENDED_FILE,
    levelNote: 'Part of the recommended 99-security.conf without a level; grouped with level 2 kernel parameters.',
    rationale: text(
      'Forbidding mappings at low addresses turns kernel NULL pointer dereferences into crashes instead of exploitable bugs.',
      '低位アドレスへのマッピングを禁止すると、カーネルの NULL ポインタ参照が悪用可能なバグではなく単なるクラッシュになります。',
    ),
  },
  {
    key: 'kernel.randomize_va_space',
    expected: '2',
    level: 2,
    guide: RECOMMENDED_FILE,
    rationale: text(
      'Full address space layout randomization (stack, mmap, heap) makes memory corruption exploits unreliable.',
      'アドレス空間配置のランダム化を完全に有効にする(スタック、mmap、ヒープ)と、メモリ破壊を突く攻撃が成功しにくくなります。',
    ),
  },
  {
    key: 'fs.protected_hardlinks',
    expected: '1',
    level: 2,
    guide: RECOMMENDED_FILE,
    rationale: text(
      'Users may only hard-link files they own or can read and write, which closes a class of time-of-check attacks on privileged programs.',
      'ユーザーは自分が所有するか読み書きできるファイルにしかハードリンクを作れなくなり、特権プログラムに対する競合攻撃の一種を防ぎます。',
    ),
  },
  {
    key: 'fs.protected_symlinks',
    expected: '1',
    level: 2,
    guide: RECOMMENDED_FILE,
    rationale: text(
      'Symbolic links in world-writable sticky directories such as /tmp are followed only when their owner matches, which stops /tmp link races.',
      '/tmp のような誰でも書き込めるスティッキーディレクトリ内のシンボリックリンクは、所有者が一致するときだけたどられ、/tmp のリンク競合攻撃を防ぎます。',
    ),
  },
  {
    key: 'fs.suid_dumpable',
    expected: '0',
    level: 2,
    guide: RECOMMENDED_FILE,
    rationale: text(
      'Core dumps of SUID programs can contain secrets such as password hashes; 0 disables them.',
      'SUID プログラムのコアダンプにはパスワードハッシュなどの秘密が含まれ得るため、0 で無効にします。',
    ),
  },
  { key: 'net.ipv4.conf.default.rp_filter', expected: '1', level: 2, guide: RECOMMENDED_FILE, rationale: RP_FILTER },
  { key: 'net.ipv4.conf.default.accept_source_route', expected: '0', level: 2, guide: RECOMMENDED_FILE, rationale: SOURCE_ROUTE },
  { key: 'net.ipv4.conf.default.accept_redirects', expected: '0', level: 2, guide: RECOMMENDED_FILE, rationale: ACCEPT_REDIRECTS },
  { key: 'net.ipv4.conf.all.secure_redirects', expected: '0', level: 2, guide: RECOMMENDED_FILE, rationale: SECURE_REDIRECTS },
  { key: 'net.ipv4.conf.default.secure_redirects', expected: '0', level: 2, guide: RECOMMENDED_FILE, rationale: SECURE_REDIRECTS },
  { key: 'net.ipv4.conf.all.send_redirects', expected: '0', level: 2, guide: RECOMMENDED_FILE, rationale: SEND_REDIRECTS },
  { key: 'net.ipv4.conf.default.send_redirects', expected: '0', level: 2, guide: RECOMMENDED_FILE, rationale: SEND_REDIRECTS },
  {
    key: 'net.ipv4.icmp_echo_ignore_broadcasts',
    expected: '1',
    level: 2,
    guide: RECOMMENDED_FILE,
    rationale: text(
      'Answering broadcast pings makes the host an amplifier in smurf attacks.',
      'ブロードキャスト宛ての ping に応答すると、smurf 攻撃の増幅器として使われます。',
    ),
  },
  {
    key: 'net.ipv4.icmp_ignore_bogus_error_responses',
    expected: '1',
    level: 2,
    guide: RECOMMENDED_FILE,
    rationale: text(
      'Bogus ICMP error responses only fill the log; ignoring them keeps the log useful.',
      '不正な ICMP エラー応答はログを埋めるだけなので、無視してログを役立つ状態に保ちます。',
    ),
  },
  {
    key: 'net.ipv4.tcp_timestamps',
    expected: '0',
    level: 2,
    guide: RECOMMENDED_FILE,
    rationale: text(
      'TCP timestamps reveal the host’s uptime and help fingerprinting. Kimigayo’s performance file sets 1, so the later file decides.',
      'TCP タイムスタンプは稼働時間を明かし、OS の特定に使われます。Kimigayo の性能設定ファイルは 1 を設定するため、後に読まれるファイルが値を決めます。',
    ),
  },
  {
    key: 'net.ipv4.conf.all.log_martians',
    expected: '1',
    level: 2,
    guide: RECOMMENDED_FILE,
    rationale: text(
      'Logging packets with impossible source addresses shows spoofing attempts and misrouted traffic.',
      'あり得ない送信元アドレスのパケットを記録すると、なりすましの試みや誤った経路の通信がわかります。',
    ),
  },
  { key: 'net.ipv6.conf.all.accept_redirects', expected: '0', level: 2, guide: RECOMMENDED_FILE, rationale: IPV6_REDIRECTS },
  { key: 'net.ipv6.conf.default.accept_redirects', expected: '0', level: 2, guide: RECOMMENDED_FILE, rationale: IPV6_REDIRECTS },
  { key: 'net.ipv6.conf.all.accept_source_route', expected: '0', level: 2, guide: RECOMMENDED_FILE, rationale: IPV6_SOURCE_ROUTE },
  { key: 'net.ipv6.conf.default.accept_source_route', expected: '0', level: 2, guide: RECOMMENDED_FILE, rationale: IPV6_SOURCE_ROUTE },
  { key: 'net.ipv6.conf.all.accept_ra', expected: '0', level: 2, guide: RECOMMENDED_FILE, rationale: IPV6_ACCEPT_RA },
  { key: 'net.ipv6.conf.default.accept_ra', expected: '0', level: 2, guide: RECOMMENDED_FILE, rationale: IPV6_ACCEPT_RA },
  {
    key: 'kernel.kexec_load_disabled',
    expected: '1',
    level: 3,
    guide: LEVEL3_LIST,
    rationale: text(
      'kexec can replace the running kernel with an unsigned one. Once set to 1 it stays until reboot.',
      'kexec は稼働中のカーネルを署名のないカーネルに置き換えられます。一度 1 にすると再起動まで戻せません。',
    ),
  },
  {
    key: 'kernel.unprivileged_bpf_disabled',
    expected: '1',
    level: 3,
    guide: LEVEL3_LIST,
    rationale: text(
      'Unprivileged eBPF has been the entry point of many kernel exploits. The value 1 cannot be undone until reboot.',
      '非特権の eBPF は多くのカーネル攻撃の入口になってきました。1 は再起動まで元に戻せません。',
    ),
  },
  {
    key: 'kernel.unprivileged_userns_clone',
    expected: '0',
    level: 3,
    guide: LEVEL3_LIST,
    alternative: { key: 'user.max_user_namespaces', expected: '0' },
    rationale: text(
      'Unprivileged user namespaces expose kernel code that was written for root to every user. The key exists only on Debian- and Ubuntu-patched kernels; mainline kernels use user.max_user_namespaces = 0.',
      '非特権ユーザー名前空間は root 向けに書かれたカーネルコードを全ユーザーに開放します。このキーは Debian/Ubuntu のパッチ適用カーネルにのみあり、メインラインでは user.max_user_namespaces = 0 を使います。',
    ),
  },
  {
    key: 'fs.protected_fifos',
    expected: '2',
    level: 3,
    guide: LEVEL3_LIST,
    rationale: text(
      'Forbids opening FIFOs in world-writable sticky directories that another user owns, which stops data spoofing through /tmp.',
      '誰でも書き込めるスティッキーディレクトリ内にある他人所有の FIFO を開くことを禁止し、/tmp 経由のデータ偽装を防ぎます。',
    ),
  },
  {
    key: 'fs.protected_regular',
    expected: '2',
    level: 3,
    guide: LEVEL3_LIST,
    rationale: text(
      'Forbids O_CREAT opens of regular files in world-writable sticky directories that another user owns, which stops /tmp file races.',
      '誰でも書き込めるスティッキーディレクトリ内にある他人所有の通常ファイルを O_CREAT で開くことを禁止し、/tmp のファイル競合攻撃を防ぎます。',
    ),
  },
  ...['all', 'default', 'lo'].map(
    (scope): SysctlEntry => ({
      key: `net.ipv6.conf.${scope}.disable_ipv6`,
      expected: '1',
      level: 3,
      guide: RECOMMENDED_FILE,
      levelNote: IPV6_LEVEL_NOTE,
      requiresProfile: 'ipv6-unused',
      rationale: DISABLE_IPV6,
    }),
  ),
];

export const SYSCTL_CONTROLS: Control[] = ENTRIES.map((entry) => ({
  id: `sysctl.${entry.key}`,
  level: entry.level,
  category: 'sysctl',
  hostOnly: true,
  title: text(`${entry.key} = ${entry.expected}, persisted and live`, `${entry.key} = ${entry.expected}(永続設定と稼働中の値)`),
  rationale: entry.rationale,
  source: entry.levelNote === undefined ? { guide: entry.guide } : { guide: entry.guide, levelNote: entry.levelNote },
  check: {
    kind: 'sysctl',
    key: entry.key,
    expected: entry.expected,
    ...(entry.alternative === undefined ? {} : { alternative: entry.alternative }),
    ...(entry.requiresProfile === undefined ? {} : { requiresProfile: entry.requiresProfile }),
  },
}));
