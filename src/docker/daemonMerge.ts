import { text } from '../core/text.js';
import type { Text } from '../core/text.js';
import type { Finding } from '../lint/types.js';
import type { RootFs } from '../target/rootfs.js';
import { DAEMON_JSON_PATH, lintDaemonStructure, mergeGuideSettings, parseDaemonJson } from './daemonJson.js';
import type { MergeDecision } from './daemonJson.js';
import { flagConflicts, readDockerdCommandLine } from './dockerdFlags.js';
import { addSubidRange, readSubidState } from './userns.js';

/**
 * The whole daemon.json change for a target, shared by `generate daemon-json` and `apply`: the
 * merged file, subordinate ID ranges for userns-remap, and what is left for the operator.
 * Read errors of the target's files (TargetError) are left to the caller.
 */

export interface SubidAddition {
  path: string;
  content: string;
  /** The range line added, e.g. `dockremap:165536:65536`. */
  line: string;
}

export interface DaemonJsonPlan {
  /** daemon.json as it is; undefined when it does not exist. */
  source?: string;
  /** daemon.json with the guide's keys merged in. */
  content: string;
  decisions: MergeDecision[];
  subid: SubidAddition[];
  /** Problems the merge does not fix: an open TCP listener, unknown keys, other flag conflicts. */
  remaining: Finding[];
}

/** The first error of an existing daemon.json that cannot be merged (invalid JSON, not an object). */
export interface DaemonJsonBlocked {
  blocking: Finding;
}

export const GUIDE_SECCOMP_PROFILE = '/etc/docker/seccomp.json';

/** Work out the merged daemon.json and the files userns-remap needs, writing nothing. */
export function planDaemonJson(fs: RootFs, seccompProfile?: string): DaemonJsonPlan | DaemonJsonBlocked {
  const source = fs.readTextIfExists(DAEMON_JSON_PATH)?.text;
  const existing = source === undefined || source.trim() === '' ? undefined : parseDaemonJson(source, DAEMON_JSON_PATH);
  const blocking = existing?.findings.find((finding) => finding.severity === 'error');
  if (blocking !== undefined) return { blocking };

  const commandLine = readDockerdCommandLine(fs);
  const skip = new Map<string, Text>();
  for (const flag of commandLine.flags) {
    if (flag.key === undefined || skip.has(flag.key)) continue;
    skip.set(
      flag.key,
      text(
        `set by the dockerd flag --${flag.name} in ${flag.path}:${flag.line}, and dockerd does not start when a setting is given both ways; move the flag into daemon.json and run again`,
        `${flag.path}:${flag.line} の dockerd フラグ --${flag.name} で設定されており、両方で指定すると dockerd は起動しません。フラグを daemon.json に移してから再実行してください`,
      ),
    );
  }

  const profilePath = seccompProfile ?? GUIDE_SECCOMP_PROFILE;
  if (!skip.has('seccomp-profile') && !fs.exists(profilePath)) {
    const current = existing?.config?.['seccomp-profile'];
    const currentUsable = typeof current === 'string' && current.startsWith('/') && fs.exists(current) && seccompProfile === undefined;
    if (!currentUsable) {
      skip.set(
        'seccomp-profile',
        text(
          `${profilePath} does not exist, and dockerd stops at start when the profile cannot be read; create the profile and run again`,
          `${profilePath} が存在せず、dockerd はプロファイルを読めないと起動時に停止します。プロファイルを作成してから再実行してください`,
        ),
      );
    }
  }

  const merged = mergeGuideSettings(source, { skip, ...(seccompProfile === undefined ? {} : { seccompProfile }), seccompUsable: (path) => fs.exists(path) });
  const result = parseDaemonJson(merged.content, DAEMON_JSON_PATH);
  const flagHosts = commandLine.flags.filter((flag) => flag.name === 'host').map((flag) => flag.value);
  const flagTlsVerify = commandLine.flags.some((flag) => flag.name === 'tlsverify' && flag.value !== 'false');
  const remaining = [...lintDaemonStructure(result, flagHosts, flagTlsVerify), ...flagConflicts(result, commandLine)];

  const subid: SubidAddition[] = [];
  const remap = result.config?.['userns-remap'];
  if (typeof remap === 'string' && remap !== '') {
    for (const state of readSubidState(fs, remap)) {
      if (state.hasRange) continue;
      const content = addSubidRange(state.content, state.name);
      subid.push({ path: state.path, content, line: content.trimEnd().split('\n').pop() ?? '' });
    }
  }

  const plan: DaemonJsonPlan = { content: merged.content, decisions: merged.decisions, subid, remaining };
  if (source !== undefined) plan.source = source;
  return plan;
}
