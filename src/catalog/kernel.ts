import { text } from '../core/text.js';
import type { Text } from '../core/text.js';
import type { Control } from './types.js';

const MOUNTS = 'パーティションのマウントオプション';
const LEVEL2 = 'レベル2: 中程度の強化（サーバー環境推奨）';
const MODULES = 'カーネルモジュールの制限';

const OPTION_MEANING: Record<string, Text> = {
  nodev: text('nodev stops device files from being honoured', 'nodev はデバイスファイルを無効にします'),
  nosuid: text('nosuid ignores SUID and SGID bits', 'nosuid は SUID/SGID ビットを無視させます'),
  noexec: text('noexec stops programs from being run from there', 'noexec はそこからのプログラム実行を禁止します'),
};

function meaning(options: string[]): Text {
  return text(
    options.map((option) => OPTION_MEANING[option]?.en ?? option).join('; ') + '.',
    options.map((option) => OPTION_MEANING[option]?.ja ?? option).join('。') + '。',
  );
}

interface MountEntry {
  mountpoint: string;
  options: string[];
  fstype?: string;
  requireEntry: boolean;
  guide: string;
  why: Text;
}

const TMP_WHY = text(
  'World-writable temporary directories are where attackers drop tools and device files;',
  '誰でも書き込める一時ディレクトリは、攻撃者がツールやデバイスファイルを置く場所になります。',
);

const MOUNT_ENTRIES: MountEntry[] = [
  { mountpoint: '/tmp', options: ['nodev', 'nosuid', 'noexec'], fstype: 'tmpfs', requireEntry: true, guide: LEVEL2, why: TMP_WHY },
  { mountpoint: '/var/tmp', options: ['nodev', 'nosuid', 'noexec'], fstype: 'tmpfs', requireEntry: true, guide: LEVEL2, why: TMP_WHY },
  {
    mountpoint: '/home',
    options: ['nodev', 'nosuid'],
    requireEntry: false,
    guide: MOUNTS,
    why: text('Users can write to /home, so nothing there should act as a device or run with raised privileges;', '/home はユーザーが書き込めるため、そこにあるものがデバイスとして扱われたり特権で実行されたりしてはいけません。'),
  },
  {
    mountpoint: '/var',
    options: ['nodev'],
    requireEntry: false,
    guide: MOUNTS,
    why: text('Services write under /var; device files there are never needed;', 'サービスは /var 以下に書き込みます。そこにデバイスファイルが必要になることはありません。'),
  },
  {
    mountpoint: '/var/log',
    options: ['nodev', 'nosuid', 'noexec'],
    requireEntry: false,
    guide: MOUNTS,
    why: text('Logs are data, never programs;', 'ログはデータであり、プログラムではありません。'),
  },
];

const MODULES_DISABLED: { module: string; why: Text }[] = [
  ...['cramfs', 'freevxfs', 'jffs2', 'hfs', 'hfsplus', 'squashfs', 'udf'].map((module) => ({
    module,
    why: text(
      `The ${module} file system driver is rarely used, so its bugs are rarely found; loading it on a crafted image attacks the kernel.`,
      `${module} ファイルシステムのドライバーはほとんど使われないため、バグも見つかりにくく、細工したイメージを読ませるとカーネルを攻撃できます。`,
    ),
  })),
  ...['dccp', 'sctp', 'rds', 'tipc'].map((module) => ({
    module,
    why: text(
      `The ${module} protocol is rarely used and has had remotely reachable kernel bugs.`,
      `${module} プロトコルはほとんど使われず、リモートから到達できるカーネルのバグが見つかってきました。`,
    ),
  })),
  {
    module: 'bluetooth',
    why: text('A server needs no Bluetooth stack, whose bugs are reachable over the air.', 'サーバーに Bluetooth スタックは不要です。そのバグは無線経由で到達できます。'),
  },
  {
    module: 'firewire-core',
    why: text('FireWire devices can read and write memory directly (DMA attacks).', 'FireWire 機器はメモリを直接読み書きできます(DMA 攻撃)。'),
  },
  {
    module: 'thunderbolt',
    why: text('Thunderbolt devices can read and write memory directly (DMA attacks).', 'Thunderbolt 機器はメモリを直接読み書きできます(DMA 攻撃)。'),
  },
];

export const MOUNT_CONTROLS: Control[] = [
  ...MOUNT_ENTRIES.flatMap((entry) =>
    entry.options.map(
      (option): Control => ({
        id: `mount.${entry.mountpoint}.${option}`,
        level: 2,
        category: 'mounts',
        hostOnly: true,
        title: entry.requireEntry
          ? text(`${entry.mountpoint} is a separate mount with ${option}`, `${entry.mountpoint} が ${option} 付きの独立したマウントである`)
          : text(`${entry.mountpoint} has ${option} where it is a separate mount`, `${entry.mountpoint} が独立したマウントの場合に ${option} が付いている`),
        rationale: text(`${entry.why.en} ${meaning([option]).en}`, `${entry.why.ja}${meaning([option]).ja}`),
        source: { guide: entry.guide },
        check: {
          kind: 'mount',
          mountpoint: entry.mountpoint,
          options: [option],
          requireEntry: entry.requireEntry,
          ...(entry.fstype === undefined ? {} : { fstype: entry.fstype }),
        },
      }),
    ),
  ),
  {
    id: 'mount.removable.nodev-nosuid-noexec',
    level: 2,
    category: 'mounts',
    hostOnly: true,
    title: text('Removable media mounts have nodev,nosuid,noexec', 'リムーバブルメディアのマウントに nodev,nosuid,noexec が付いている'),
    rationale: text(
      'A USB stick can carry device files and SUID programs prepared elsewhere. Entries with noauto, user or a vfat file system count as removable.',
      'USB メモリには他所で用意したデバイスファイルや SUID プログラムが入っている可能性があります。noauto、user、vfat のエントリをリムーバブルとみなします。',
    ),
    source: { guide: MOUNTS },
    check: { kind: 'mount-removable', options: ['nodev', 'nosuid', 'noexec'] },
  },
];

export const MODULE_CONTROLS: Control[] = MODULES_DISABLED.map(
  ({ module, why }): Control => ({
    id: `module.${module}`,
    level: 2,
    category: 'modules',
    hostOnly: true,
    title: text(`Kernel module ${module} cannot be loaded (install ${module} /bin/true)`, `カーネルモジュール ${module} を読み込めない(install ${module} /bin/true)`),
    rationale: why,
    source:
      module === 'squashfs'
        ? { guide: MODULES, levelNote: 'Snap packages and some images need squashfs; waive this control where that applies.' }
        : { guide: MODULES, levelNote: 'The guide lists module restrictions without a level; they belong with the level 2 server settings.' },
    check: { kind: 'module', module },
  }),
);
