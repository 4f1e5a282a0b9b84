import { text } from '../core/text.js';
import type { Text } from '../core/text.js';
import type { Control, FirewallFact } from './types.js';
import { GUIDE_AUDIT_WATCHES } from '../auditd/guide.js';

const FIREWALL = 'ファイアウォール（iptables）詳細設定';
const ANTISCAN = 'ポートスキャン対策';
const AUDIT = '監査ログの設定';
const DOCKER = 'Dockerの強化';
const BOOT = 'ブートローダーの保護';
const SECCOMP = 'Seccomp-BPFの使用';
const RUN = 'コンテナ実行時のセキュリティ';

interface FirewallEntry {
  fact: FirewallFact;
  title: Text;
  why: Text;
}

const FIREWALL_ENTRIES: FirewallEntry[] = [
  {
    fact: 'persisted',
    title: text('A rule file exists where the firewall service loads it', 'ファイアウォールのサービスが読み込む場所にルールファイルがある'),
    why: text(
      'The OpenRC iptables service loads the file named by IPTABLES_SAVE in /etc/conf.d/iptables; rules anywhere else are lost at boot.',
      'OpenRC の iptables サービスは /etc/conf.d/iptables の IPTABLES_SAVE が指すファイルを読み込みます。それ以外の場所のルールは起動時に失われます。',
    ),
  },
  {
    fact: 'input-policy',
    title: text('INPUT drops what no rule accepts', 'INPUT がどのルールにも許可されない通信を破棄する'),
    why: text('A default-deny input chain exposes only what is explicitly allowed.', '既定で拒否する INPUT チェーンでは、明示的に許可したものだけが公開されます。'),
  },
  {
    fact: 'forward-policy',
    title: text('FORWARD policy is DROP', 'FORWARD のポリシーが DROP'),
    why: text('A server that is not a router must not forward packets between networks.', 'ルーターでないサーバーがネットワーク間でパケットを転送してはいけません。'),
  },
  {
    fact: 'loopback',
    title: text('Loopback traffic is accepted', 'ループバックの通信が許可されている'),
    why: text('Local services talk over lo; dropping it breaks the system, not attackers.', 'ローカルのサービスは lo で通信します。これを破棄しても困るのはシステムであり、攻撃者ではありません。'),
  },
  {
    fact: 'established',
    title: text('ESTABLISHED,RELATED traffic is accepted', 'ESTABLISHED,RELATED の通信が許可されている'),
    why: text('Replies to the host’s own connections must come back in.', 'ホスト自身が張った接続への応答は受け入れる必要があります。'),
  },
  {
    fact: 'invalid',
    title: text('INVALID packets are dropped', 'INVALID のパケットが破棄される'),
    why: text('Packets that belong to no known connection are scans or attacks.', 'どの既知の接続にも属さないパケットはスキャンか攻撃です。'),
  },
  {
    fact: 'ssh',
    title: text('SSH is allowed, with a brute-force limit', 'SSH が許可され、総当たり攻撃の制限がある'),
    why: text(
      'The administrator must keep access, and the recent module drops the 4th new connection within 60 seconds from one source.',
      '管理者の接続を確保しつつ、recent モジュールで同じ送信元から 60 秒以内の 4 回目の新規接続を破棄します。',
    ),
  },
  {
    fact: 'icmp-rate-limit',
    title: text('ICMP echo requests are rate-limited', 'ICMP echo 要求に流量制限がある'),
    why: text('Unlimited ping answers can be used for floods.', '無制限に ping に応答するとフラッド攻撃に使われます。'),
  },
  {
    fact: 'log-before-drop',
    title: text('A rate-limited LOG comes before the final DROP', '最後の DROP の前に流量制限付きの LOG がある'),
    why: text('Dropped packets should leave a trace, without letting a flood fill the log.', '破棄したパケットは記録に残しつつ、大量の通信でログがあふれないようにします。'),
  },
  {
    fact: 'anti-scan',
    title: text('Anti-scan drops (NULL, FIN, Xmas, SYN+FIN, SYN+RST) are present and reachable', 'ポートスキャン対策の DROP(NULL、FIN、Xmas、SYN+FIN、SYN+RST)があり、到達可能である'),
    why: text(
      'Invalid flag combinations are only used to scan. Rules placed after the final drop never match, as happens when the guide’s antiscan rules are appended.',
      '不正なフラグの組み合わせはスキャンにしか使われません。最後の DROP の後ろに置いたルールは決して一致しません(ガイドのスキャン対策を追記した場合がそうです)。',
    ),
  },
  {
    fact: 'unreachable',
    title: text('No rule is unreachable', '到達できないルールがない'),
    why: text('A rule after an unconditional ACCEPT, DROP or REJECT never matches, so the protection it was written for is missing.', '無条件の ACCEPT、DROP、REJECT の後ろのルールは決して一致せず、意図した保護が働きません。'),
  },
  {
    fact: 'conntrack',
    title: text('Connection state uses -m conntrack --ctstate', '接続状態の判定に -m conntrack --ctstate を使っている'),
    why: text('The state match is deprecated in favour of conntrack.', 'state マッチは非推奨で、conntrack に置き換えられています。'),
  },
];

const AUDIT_WATCHES = GUIDE_AUDIT_WATCHES;

const DOCKER_KEYS: { key: string; expected: Control['check']; why: Text }[] = [
  {
    key: 'icc',
    expected: { kind: 'docker-daemon', key: 'icc', expected: { equals: false } },
    why: text('Containers on the default bridge should not talk to each other unless linked.', 'デフォルトブリッジ上のコンテナ同士は、明示しない限り通信できないようにします。'),
  },
  {
    key: 'userns-remap',
    expected: { kind: 'docker-daemon', key: 'userns-remap', expected: { nonEmpty: true } },
    why: text('Root in a container maps to an unprivileged user on the host.', 'コンテナ内の root をホスト上の非特権ユーザーに対応付けます。'),
  },
  {
    key: 'no-new-privileges',
    expected: { kind: 'docker-daemon', key: 'no-new-privileges', expected: { equals: true } },
    why: text('Processes in containers cannot gain privileges through SUID programs.', 'コンテナ内のプロセスが SUID プログラムで権限を得られないようにします。'),
  },
  {
    key: 'seccomp-profile',
    expected: { kind: 'docker-daemon', key: 'seccomp-profile', expected: { seccompFile: true } },
    why: text('A seccomp profile limits the system calls containers can make; the file must exist and be valid.', 'seccomp プロファイルはコンテナが使えるシステムコールを制限します。ファイルが存在し、正しい必要があります。'),
  },
  {
    key: 'live-restore',
    expected: { kind: 'docker-daemon', key: 'live-restore', expected: { equals: true } },
    why: text('Containers keep running while the daemon restarts for updates (not available with swarm mode).', 'デーモンを更新で再起動してもコンテナが動き続けます(swarm モードでは使えません)。'),
  },
  {
    key: 'userland-proxy',
    expected: { kind: 'docker-daemon', key: 'userland-proxy', expected: { equals: false } },
    why: text('Published ports use iptables rules instead of a proxy process per port.', '公開ポートにポートごとのプロキシプロセスではなく iptables のルールを使います。'),
  },
  {
    key: 'log-driver',
    expected: { kind: 'docker-daemon', key: 'log-driver', expected: { equals: 'json-file' } },
    why: text('The json-file driver keeps logs on the host where they can be rotated.', 'json-file ドライバーはローテーションできる形でホストにログを残します。'),
  },
  {
    key: 'log-opts',
    expected: { kind: 'docker-daemon', key: 'log-opts', expected: { logOpts: ['max-size', 'max-file'] } },
    why: text('Without max-size and max-file a chatty container fills the disk.', 'max-size と max-file がないと、出力の多いコンテナがディスクを使い切ります。'),
  },
];

export const FIREWALL_CONTROLS: Control[] = [
  ...([4, 6] as const).flatMap((family) =>
    FIREWALL_ENTRIES.map(
      (entry): Control => ({
        id: `firewall.ipv${family}.${entry.fact}`,
        level: 2,
        category: 'firewall',
        title: text(`IPv${family}: ${entry.title.en}`, `IPv${family}: ${entry.title.ja}`),
        rationale: entry.why,
        source: { guide: entry.fact === 'anti-scan' ? ANTISCAN : FIREWALL },
        check: { kind: 'firewall', family, fact: entry.fact },
      }),
    ),
  ),
  {
    id: 'firewall.ipv6.ruleset',
    level: 2,
    category: 'firewall',
    title: text('IPv6 has a rule set while IPv6 is enabled', 'IPv6 が有効な場合に IPv6 のルールセットがある'),
    rationale: text(
      'A firewall for IPv4 alone leaves every service open over IPv6.',
      'IPv4 だけのファイアウォールでは、すべてのサービスが IPv6 経由で開いたままになります。',
    ),
    source: { guide: FIREWALL, levelNote: 'The guide gives only an IPv4 rule file; without an IPv6 one the IPv4 rules can be bypassed.' },
    check: { kind: 'firewall', family: 6, fact: 'ipv6-ruleset' },
  },
];

export const AUDIT_CONTROLS: Control[] = [
  {
    id: 'service.auditd',
    level: 2,
    category: 'audit',
    title: text('auditd is in the default runlevel and started', 'auditd が default ランレベルに登録され、起動している'),
    rationale: text('Audit rules only record events while auditd runs.', '監査ルールは auditd が動いている間しか記録しません。'),
    source: { guide: AUDIT },
    check: { kind: 'service-enabled', service: 'auditd', names: ['auditd'], runlevel: 'default', subject: 'auditd' },
  },
  ...AUDIT_WATCHES.map(
    (watch): Control => ({
      id: `audit.watch.${watch.path.replace(/\/$/, '')}`,
      level: 2,
      category: 'audit',
      title: text(
        `Audit watch on ${watch.path}${watch.perms === '' ? '' : ` (-p ${watch.perms})`}`,
        `${watch.path} の監査ウォッチ${watch.perms === '' ? '' : `(-p ${watch.perms})`}`,
      ),
      rationale: text(
        `Changes to ${watch.path} are recorded with the key ${watch.key}, so tampering leaves a trace.`,
        `${watch.path} への変更がキー ${watch.key} で記録され、改ざんの痕跡が残ります。`,
      ),
      source: { guide: AUDIT },
      check: { kind: 'audit-watch', path: watch.path, perms: watch.perms },
    }),
  ),
  ...(['b64', 'b32'] as const).map(
    (arch): Control => ({
      id: `audit.rule.execve-euid0.${arch}`,
      level: 2,
      category: 'audit',
      title: text(
        `Audit rule for execve with euid=0 and uid!=0 (arch=${arch})`,
        `euid=0 かつ uid!=0 の execve を記録する監査ルール(arch=${arch})`,
      ),
      rationale:
        arch === 'b64'
          ? text('Programs that run as root on behalf of another user (SUID) are recorded.', '他のユーザーの代わりに root で動くプログラム(SUID)の実行が記録されます。')
          : text(
              'On x86_64 a 32-bit program calls execve through another table; a rule for arch=b64 alone misses it.',
              'x86_64 では 32 ビットのプログラムは別の表の execve を呼び出すため、arch=b64 だけのルールでは記録されません。',
            ),
      source:
        arch === 'b64'
          ? { guide: AUDIT }
          : { guide: AUDIT, levelNote: 'The guide gives only the b64 rule; the b32 twin closes the 32-bit gap on 64-bit kernels.' },
      check: { kind: 'audit-syscall', arch, syscall: 'execve', fields: ['euid=0', 'uid!=0'] },
    }),
  ),
];

export const DOCKER_CONTROLS: Control[] = [
  ...DOCKER_KEYS.map(
    (entry): Control => ({
      id: `docker.daemon.${entry.key}`,
      level: 2,
      category: 'docker',
      title: text(`Docker daemon.json sets ${entry.key} as the guide asks`, `Docker の daemon.json で ${entry.key} がガイドどおりに設定されている`),
      rationale: entry.why,
      source: { guide: DOCKER, levelNote: 'The guide gives the Docker daemon settings without a level; they belong with the level 2 server settings.' },
      check: entry.expected,
    }),
  ),
  {
    id: 'docker.daemon.startable',
    level: 2,
    category: 'docker',
    title: text('dockerd accepts daemon.json together with its command-line flags', 'dockerd が daemon.json とコマンドラインのフラグを受け付ける'),
    rationale: text(
      'dockerd does not start when daemon.json is not valid JSON, has a key it does not know, repeats a setting that a flag already gives, or remaps user namespaces to a user without ranges in /etc/subuid and /etc/subgid, so a hardening edit can stop every container.',
      'daemon.json が正しい JSON でない、知らないキーがある、フラグで指定済みの設定を繰り返している、/etc/subuid と /etc/subgid に範囲のないユーザーへ userns-remap している、のいずれかで dockerd は起動せず、強化のための編集ですべてのコンテナが止まりかねません。',
    ),
    source: { guide: DOCKER, levelNote: 'Not in the guide: it keeps the guide’s daemon.json from stopping Docker, so it has the level of those settings.' },
    check: { kind: 'docker-daemon-file', rule: 'startable' },
  },
  {
    id: 'docker.daemon.tcp-tls',
    level: 2,
    category: 'docker',
    title: text('The Docker API is not open over TCP without TLS client verification', 'Docker API が TLS のクライアント検証なしに TCP で公開されていない'),
    rationale: text('Whoever can reach the Docker API can start a privileged container and so owns the host.', 'Docker API に届く者は特権コンテナを起動でき、ホストを支配できます。'),
    source: { guide: DOCKER, levelNote: 'Not in the guide, which leaves "hosts" alone; an open API undoes every other Docker setting, so it sits with them at level 2.' },
    check: { kind: 'docker-daemon-file', rule: 'tcp-tls' },
  },
];

export const BOOT_CONTROLS: Control[] = [
  {
    id: 'boot.grub.password.40_custom',
    level: 3,
    category: 'boot',
    hostOnly: true,
    title: text('GRUB superuser and password_pbkdf2 in /etc/grub.d/40_custom', '/etc/grub.d/40_custom に GRUB の superusers と password_pbkdf2 がある'),
    rationale: text(
      'Without a boot password anyone at the console can edit the kernel command line and boot into a root shell.',
      'ブートパスワードがないと、コンソールに触れる誰もがカーネルのコマンドラインを書き換えて root シェルで起動できます。',
    ),
    source: { guide: BOOT },
    check: { kind: 'grub-password', file: 'custom' },
  },
  {
    id: 'boot.grub.password.grub-cfg',
    level: 3,
    category: 'boot',
    hostOnly: true,
    title: text('The generated grub.cfg sets superusers and password_pbkdf2', '生成された grub.cfg に superusers と password_pbkdf2 がある'),
    rationale: text(
      'GRUB reads grub.cfg, not 40_custom: the password protects nothing until grub-mkconfig has been run.',
      'GRUB が読むのは 40_custom ではなく grub.cfg です。grub-mkconfig を実行するまでパスワードは何も守りません。',
    ),
    source: { guide: BOOT },
    check: { kind: 'grub-password', file: 'cfg' },
  },
];

const SECCOMP_RULES: { rule: 'parse' | 'default-deny' | 'startable' | 'dangerous' | 'arch-names'; title: Text; why: Text }[] = [
  {
    rule: 'parse',
    title: text('Seccomp profiles in /etc/seccomp parse', '/etc/seccomp のプロファイルを解析できる'),
    why: text('A profile that does not parse is rejected by the runtime, or worse, ignored.', '解析できないプロファイルはランタイムに拒否されるか、悪ければ無視されます。'),
  },
  {
    rule: 'default-deny',
    title: text('Seccomp profiles deny by default', 'seccomp プロファイルが既定で拒否する'),
    why: text('An allow-list profile blocks system calls nobody thought of; a default-allow profile does not.', '許可リスト方式のプロファイルは想定外のシステムコールも遮断しますが、既定で許可する方式では遮断できません。'),
  },
  {
    rule: 'startable',
    title: text('Seccomp profiles allow what every process needs to start', 'seccomp プロファイルがプロセスの起動に必要なシステムコールを許可している'),
    why: text(
      'Without execve, brk, mmap, exit_group and a few others no process can even start; the guide’s six-call example is such a profile.',
      'execve、brk、mmap、exit_group などがないとプロセスは起動すらできません。ガイドの 6 個だけの例がそうです。',
    ),
  },
  {
    rule: 'dangerous',
    title: text('Seccomp profiles do not allow dangerous system calls', 'seccomp プロファイルが危険なシステムコールを許可していない'),
    why: text(
      'ptrace, kexec_load, init_module, bpf, mount, unshare and similar calls let a process escape or attack the kernel.',
      'ptrace、kexec_load、init_module、bpf、mount、unshare などはプロセスの脱出やカーネルへの攻撃を可能にします。',
    ),
  },
  {
    rule: 'arch-names',
    title: text('Seccomp profiles name only system calls that exist on their architectures', 'seccomp プロファイルがそのアーキテクチャに存在するシステムコール名だけを使っている'),
    why: text('Some calls do not exist on every architecture (`open` is missing on aarch64), so the rule silently does nothing there.', 'アーキテクチャによって存在しないシステムコールがあり(aarch64 には open がありません)、そのルールは黙って何もしません。'),
  },
];

const COMPOSE_RULES: { rule: import('./types.js').ComposeRule; title: Text; why: Text; levelNote?: string }[] = [
  {
    rule: 'read-only',
    title: text('Containers run with a read-only root file system', 'コンテナのルートファイルシステムが読み取り専用'),
    why: text('An attacker cannot modify the container’s programs.', '攻撃者がコンテナ内のプログラムを書き換えられなくなります。'),
  },
  {
    rule: 'tmpfs-tmp',
    title: text('Containers mount /tmp as tmpfs with noexec,nosuid,nodev', 'コンテナの /tmp が noexec,nosuid,nodev 付きの tmpfs'),
    why: text('The only writable place cannot run programs.', '唯一書き込める場所からプログラムを実行できなくなります。'),
  },
  {
    rule: 'no-new-privileges',
    title: text('Containers run with no-new-privileges', 'コンテナに no-new-privileges が付いている'),
    why: text('SUID programs inside cannot raise privileges.', 'コンテナ内の SUID プログラムで権限を上げられなくなります。'),
  },
  {
    rule: 'cap-drop-all',
    title: text('Containers drop all capabilities (cap_drop: ALL)', 'コンテナがすべてのケーパビリティを削除している(cap_drop: ALL)'),
    why: text('Only the capabilities added back explicitly remain.', '明示的に追加し直したケーパビリティだけが残ります。'),
  },
  {
    rule: 'pids-limit',
    title: text('Containers have a pids limit', 'コンテナにプロセス数の上限がある'),
    why: text('A fork bomb stays inside its container.', 'フォーク爆弾の影響がコンテナ内にとどまります。'),
  },
  {
    rule: 'resource-limits',
    title: text('Containers have memory and CPU limits', 'コンテナにメモリと CPU の上限がある'),
    why: text('One container cannot starve the host.', '一つのコンテナがホストの資源を使い尽くせなくなります。'),
  },
  {
    rule: 'non-root',
    title: text('Containers run as a non-root user', 'コンテナが root 以外のユーザーで動く'),
    why: text('A process that escapes is not root.', '脱出したプロセスが root ではなくなります。'),
  },
  {
    rule: 'no-privileged',
    title: text('No container is privileged or shares the host’s namespaces or Docker socket', '特権コンテナ、ホストの名前空間の共有、Docker ソケットのマウントがない'),
    why: text('privileged, host pid/network/ipc, cap_add ALL and docker.sock mounts all give the host away.', 'privileged、ホストの pid/network/ipc、cap_add ALL、docker.sock のマウントはいずれもホストを明け渡します。'),
  },
  {
    rule: 'pinned-image',
    title: text('Container images are pinned to a version tag or digest, not :latest', 'コンテナイメージが :latest ではなくバージョンのタグかダイジェストで固定されている'),
    why: text('A :latest or untagged image changes on the next pull, so what runs is not what was reviewed.', ':latest やタグなしのイメージは次の pull で中身が変わり、確認したものと違うものが動きます。'),
    levelNote: 'Not in the guide, whose own docker run example uses kimigayo/app:latest; added with the other container rules.',
  },
];

export const SECCOMP_CONTROLS: Control[] = SECCOMP_RULES.map(
  (entry): Control => ({
    id: `seccomp.profiles.${entry.rule}`,
    level: 3,
    category: 'seccomp',
    title: entry.title,
    rationale: entry.why,
    source: { guide: SECCOMP },
    check: { kind: 'seccomp-profiles', rule: entry.rule },
  }),
);

export const CONTAINER_CONTROLS: Control[] = COMPOSE_RULES.map(
  (entry): Control => ({
    id: `container.compose.${entry.rule}`,
    level: 3,
    category: 'containers',
    title: entry.title,
    rationale: entry.why,
    source: entry.levelNote === undefined ? { guide: RUN } : { guide: RUN, levelNote: entry.levelNote },
    check: { kind: 'compose', rule: entry.rule },
  }),
);
