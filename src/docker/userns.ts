import { text } from '../core/text.js';
import type { Finding } from '../lint/types.js';
import type { RootFs } from '../target/rootfs.js';
import { TargetError } from '../target/rootfs.js';
import type { DaemonJson } from './daemonJson.js';
import { daemonKey } from './daemonJson.js';

/**
 * Subordinate ID ranges for `userns-remap`. dockerd maps container root to the ranges that
 * /etc/subuid and /etc/subgid give its remap user (`dockremap` for "default"), and stops at start
 * when either file or the user's line is missing. Docker 20.10 on Alpine does not add the lines
 * itself (moby/moby issue #38712 shows "no subuid ranges found for user dockremap" on Alpine 3.15), so
 * on Kimigayo the guide's daemon.json alone stops Docker.
 */

export const SUBID_FILES = ['/etc/subuid', '/etc/subgid'] as const;

/** Size of the range added for the remap user: 65536 IDs, one full 16-bit user namespace. */
export const SUBID_COUNT = 65536;

/** Lowest start for a new range. A new range also starts after every range already in the file, so it overlaps none. */
const SUBID_FIRST = 165536;

/** Return the user and group whose ranges dockerd uses for a `userns-remap` value. */
export function remapNames(value: string): { user: string; group: string } {
  if (value === 'default') return { user: 'dockremap', group: 'dockremap' };
  const [user, group] = value.split(':');
  return { user: user as string, group: group ?? (user as string) };
}

interface SubidLine {
  name: string;
  start: number;
  count: number;
}

function parseSubid(content: string): SubidLine[] {
  const lines: SubidLine[] = [];
  for (const raw of content.split('\n')) {
    const fields = raw.trim().split(':');
    if (fields.length !== 3 || raw.trim().startsWith('#')) continue;
    lines.push({ name: fields[0] as string, start: Number(fields[1]), count: Number(fields[2]) });
  }
  return lines;
}

export interface SubidState {
  path: (typeof SUBID_FILES)[number];
  /** Undefined when the file does not exist. */
  content?: string;
  /** The name looked up: the user in /etc/subuid, the group in /etc/subgid. */
  name: string;
  hasRange: boolean;
}

/** Read both files and report, for the remap user and group, whether each has a range. */
export function readSubidState(fs: RootFs, remap: string): SubidState[] {
  const names = remapNames(remap);
  return SUBID_FILES.map((path) => {
    const name = path === '/etc/subuid' ? names.user : names.group;
    const content = fs.readTextIfExists(path)?.text;
    const state: SubidState = { path, name, hasRange: content !== undefined && parseSubid(content).some((line) => line.name === name && line.count > 0) };
    if (content !== undefined) state.content = content;
    return state;
  });
}

/** Report a `userns-remap` whose user or group has no subordinate range in the target. */
export function usernsFindings(daemon: DaemonJson, fs: RootFs): Finding[] {
  const entry = daemonKey(daemon, 'userns-remap');
  if (entry === undefined || typeof entry.value !== 'string' || entry.value === '') return [];
  let states: SubidState[];
  try {
    states = readSubidState(fs, entry.value);
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    return [{ path: error.path, code: 'dockerd.unreadable', severity: 'error', message: text(`cannot read: ${error.detail.en}`, `読めません: ${error.detail.ja}`) }];
  }
  return states
    .filter((state) => !state.hasRange)
    .map((state) => ({
      path: daemon.path,
      line: entry.line,
      column: entry.column,
      code: 'daemon-json.userns-no-subid',
      severity: 'error' as const,
      message: text(
        `"userns-remap": ${JSON.stringify(entry.value)} needs a range for ${state.name} in ${state.path}, and dockerd stops at start without one; add a line such as ${state.name}:${SUBID_FIRST}:${SUBID_COUNT} (generate daemon-json --install does this)`,
        `"userns-remap": ${JSON.stringify(entry.value)} には ${state.path} に ${state.name} の範囲が必要で、なければ dockerd は起動時に停止します。${state.name}:${SUBID_FIRST}:${SUBID_COUNT} のような行を追加してください(generate daemon-json --install で追加できます)`,
      ),
      value: state.path,
    }));
}

/** Return `content` with a range for `name` appended after every range already in the file. */
export function addSubidRange(content: string | undefined, name: string): string {
  const existing = content === undefined ? [] : parseSubid(content);
  const start = Math.max(SUBID_FIRST, ...existing.map((line) => line.start + line.count));
  const base = content === undefined || content === '' || content.endsWith('\n') ? (content ?? '') : `${content}\n`;
  return `${base}${name}:${start}:${SUBID_COUNT}\n`;
}
