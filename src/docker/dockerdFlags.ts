import * as path from 'node:path';
import { text } from '../core/text.js';
import type { Finding } from '../lint/types.js';
import { lastAssignment, parseShellVars, splitShellWords } from '../parse/shellvars.js';
import type { RootFs } from '../target/rootfs.js';
import { TargetError } from '../target/rootfs.js';
import type { DaemonJson } from './daemonJson.js';
import { daemonKey } from './daemonJson.js';
import { daemonKeyOfFlag, DOCKERD_BOOLEAN_OPTIONS, DOCKERD_SHORT_OPTIONS, DOCKERD_VALUE_OPTIONS } from './dockerdOptions.js';

/**
 * The dockerd command line that the init system runs, read from the target's files:
 * DOCKER_OPTS in /etc/conf.d/docker (OpenRC) and the ExecStart of docker.service with its
 * drop-ins (systemd), where `$DOCKER_OPTS` comes from Environment= or EnvironmentFile=.
 * NOTE: Debian's sysvinit script /etc/init.d/docker, which reads /etc/default/docker itself, is
 * not followed.
 */

export interface DockerdFlag {
  /** Long option name without dashes, e.g. `host` for `-H`. */
  name: string;
  value: string;
  /** daemon.json key the flag sets; undefined for a flag that has none. */
  key?: string;
  path: string;
  line: number;
}

export interface DockerdCommandLine {
  flags: DockerdFlag[];
  /** Files that contributed flags, for evidence. */
  sources: string[];
  /** Files that could not be read. */
  findings: Finding[];
}

const OPENRC_CONF = '/etc/conf.d/docker';
const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/usr/local/lib/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];
const UNIT = 'docker.service';

/** Split dockerd arguments into flags. Unknown flags are taken as boolean, which is how most new flags are written. */
export function parseDockerdArguments(words: string[], source: { path: string; line: number }): DockerdFlag[] {
  const flags: DockerdFlag[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    let name: string | undefined;
    let inline: string | undefined;
    if (word.startsWith('--')) {
      const equals = word.indexOf('=');
      name = equals === -1 ? word.slice(2) : word.slice(2, equals);
      if (equals !== -1) inline = word.slice(equals + 1);
    } else if (word.startsWith('-') && word.length > 1) {
      name = DOCKERD_SHORT_OPTIONS[word[1] as string];
      if (word.length > 2) inline = word[2] === '=' ? word.slice(3) : word.slice(2);
    }
    if (name === undefined) continue;
    let value: string;
    if (DOCKERD_VALUE_OPTIONS[name] !== undefined && inline === undefined) {
      value = words[i + 1] ?? '';
      i++;
    } else {
      value = inline ?? (DOCKERD_BOOLEAN_OPTIONS.includes(name) ? 'true' : '');
    }
    const flag: DockerdFlag = { name, value, path: source.path, line: source.line };
    const key = daemonKeyOfFlag(name);
    if (key !== undefined) flag.key = key;
    flags.push(flag);
  }
  return flags;
}

function readIfExists(fs: RootFs, file: string, findings: Finding[]): string | undefined {
  try {
    return fs.readTextIfExists(file)?.text;
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    findings.push({ path: file, code: 'dockerd.unreadable', severity: 'error', message: text(`cannot read: ${error.detail.en}`, `読めません: ${error.detail.ja}`) });
    return undefined;
  }
}

/** Read the flags dockerd is started with on the target. */
export function readDockerdCommandLine(fs: RootFs): DockerdCommandLine {
  const result: DockerdCommandLine = { flags: [], sources: [], findings: [] };

  const confd = readIfExists(fs, OPENRC_CONF, result.findings);
  if (confd !== undefined) {
    const assignment = lastAssignment(parseShellVars(confd, OPENRC_CONF), 'DOCKER_OPTS');
    if (assignment !== undefined) {
      result.flags.push(...parseDockerdArguments(splitShellWords(assignment.value), { path: OPENRC_CONF, line: assignment.line }));
      result.sources.push(OPENRC_CONF);
    }
  }

  readSystemdUnit(fs, result);
  return result;
}

interface UnitLine {
  key: string;
  value: string;
  path: string;
  line: number;
}

/** Collect the [Service] lines of docker.service and its drop-ins, in the order systemd applies them. */
function unitServiceLines(fs: RootFs, findings: Finding[]): UnitLine[] {
  const files: string[] = [];
  const main = UNIT_DIRS.map((dir) => `${dir}/${UNIT}`).find((file) => fs.exists(file));
  if (main !== undefined) files.push(main);
  // Drop-ins are the *.conf files of docker.service.d in every unit directory, sorted by file
  // name. A name in an earlier directory hides the same name in a later one.
  const dropIns = new Map<string, string>();
  for (const dir of UNIT_DIRS) {
    for (const name of fs.readdir(`${dir}/${UNIT}.d`)) {
      if (name.endsWith('.conf') && !dropIns.has(name)) dropIns.set(name, `${dir}/${UNIT}.d/${name}`);
    }
  }
  files.push(...[...dropIns.keys()].sort().map((name) => dropIns.get(name) as string));

  const lines: UnitLine[] = [];
  for (const file of files) {
    const content = readIfExists(fs, file, findings);
    if (content === undefined) continue;
    let section = '';
    const raw = content.replace(/\\\r?\n/g, ' \u0000').split(/\r?\n/);
    let lineNumber = 0;
    for (const joined of raw) {
      lineNumber++;
      const continuations = joined.split('\u0000').length - 1;
      const line = joined.replace(/\u0000/g, '').trim();
      const start = lineNumber;
      lineNumber += continuations;
      if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
      const header = /^\[(.+)\]$/.exec(line);
      if (header !== null) {
        section = header[1] as string;
        continue;
      }
      if (section !== 'Service') continue;
      const equals = line.indexOf('=');
      if (equals === -1) continue;
      lines.push({ key: line.slice(0, equals).trim(), value: line.slice(equals + 1).trim(), path: file, line: start });
    }
  }
  return lines;
}

function readSystemdUnit(fs: RootFs, result: DockerdCommandLine): void {
  const lines = unitServiceLines(fs, result.findings);
  let execStart: UnitLine | undefined;
  const environment = new Map<string, { value: string; path: string; line: number }>();
  for (const line of lines) {
    if (line.key === 'ExecStart') execStart = line.value === '' ? undefined : line;
    if (line.key === 'Environment') {
      for (const word of splitShellWords(line.value)) {
        const equals = word.indexOf('=');
        if (equals > 0) environment.set(word.slice(0, equals), { value: word.slice(equals + 1), path: line.path, line: line.line });
      }
    }
    if (line.key === 'EnvironmentFile') {
      const file = line.value.replace(/^-/, '');
      const content = readIfExists(fs, file, result.findings);
      if (content === undefined) continue;
      for (const assignment of parseShellVars(content, file).lines) {
        if (assignment.kind === 'assignment') environment.set(assignment.name, { value: assignment.value, path: file, line: assignment.line });
      }
    }
  }
  if (execStart === undefined) return;

  const words = splitShellWords(execStart.value.replace(/^[-@+!:]+/, ''));
  const program = words.shift();
  if (program === undefined || path.posix.basename(program) !== 'dockerd') return;
  result.sources.push(execStart.path);

  // `$NAME` and `${NAME}` alone in a word expand from the environment; systemd splits `$NAME` into words.
  let direct: string[] = [];
  const flush = (): void => {
    result.flags.push(...parseDockerdArguments(direct, { path: execStart.path, line: execStart.line }));
    direct = [];
  };
  for (const word of words) {
    const variable = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(word);
    if (variable === null) {
      direct.push(word);
      continue;
    }
    flush();
    const value = environment.get(variable[1] as string);
    if (value === undefined || value.value.trim() === '') continue;
    result.flags.push(...parseDockerdArguments(splitShellWords(value.value), { path: value.path, line: value.line }));
    if (!result.sources.includes(value.path)) result.sources.push(value.path);
  }
  flush();
}

/** Report keys set both as a dockerd flag and in daemon.json, since dockerd does not start with any of them. */
export function flagConflicts(daemon: DaemonJson, commandLine: DockerdCommandLine): Finding[] {
  const findings: Finding[] = [];
  const reported = new Set<string>();
  for (const flag of commandLine.flags) {
    if (flag.key === undefined || reported.has(flag.key)) continue;
    const entry = daemonKey(daemon, flag.key);
    if (entry === undefined) continue;
    reported.add(flag.key);
    findings.push({
      path: daemon.path,
      line: entry.line,
      column: entry.column,
      code: 'daemon-json.flag-conflict',
      severity: 'error',
      message: text(
        `"${flag.key}" is also set by the dockerd flag --${flag.name} in ${flag.path}:${flag.line}; dockerd does not start when a setting is given both ways, so keep only one`,
        `"${flag.key}" は ${flag.path}:${flag.line} の dockerd フラグ --${flag.name} でも設定されています。両方で指定すると dockerd は起動しないので、片方だけにしてください`,
      ),
      value: flag.key,
    });
  }
  return findings;
}
