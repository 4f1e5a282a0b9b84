import * as path from 'node:path';
import type { Text } from '../core/text.js';
import { text } from '../core/text.js';
import { compareBytes, distinctDirectories, TargetError } from '../target/rootfs.js';
import type { RootFs } from '../target/rootfs.js';
import type { ModprobeCommand, ModprobeCommandName, ModprobeDocument } from '../parse/modprobe.js';
import { moduleNameMatches, normalizeModuleName, parseModprobe } from '../parse/modprobe.js';
import { pointsToDevNull } from './sysctl.js';

/**
 * Module loading configuration as kmod's modprobe reads it (libkmod.c default_config_paths and
 * libkmod-config.c conf_files_list).
 *
 * kmod merges the files of all configuration directories into one list sorted by file name
 * (strcmp), and a name seen in an earlier directory hides the same name in a later one. Only
 * names ending in `.conf` or `.alias` count, and names starting with `.` are skipped. The files
 * are then parsed in that order. For `install`, kmod uses the first line whose name, read as an
 * fnmatch(3) pattern, matches the module (kmod_module_get_install_commands).
 *
 * NOTE: /usr/lib/modprobe.d (DISTCONFDIR) is read by newer kmod only. Debian 12's kmod 30
 * lacks it, which makes no difference where /lib is a link to /usr/lib. BusyBox modprobe
 * reads only /etc/modprobe.conf and /etc/modprobe.d, and this model does not cover it.
 */

export const MODPROBE_DIRS: readonly string[] = [
  '/etc/modprobe.d',
  '/run/modprobe.d',
  '/usr/local/lib/modprobe.d',
  '/usr/lib/modprobe.d',
  '/lib/modprobe.d',
];

/** Commands that make `modprobe NAME` load nothing and succeed or fail at once. */
const DISABLING_COMMANDS: ReadonlySet<string> = new Set(['/bin/true', '/bin/false', '/usr/bin/true', '/usr/bin/false', 'true', 'false']);

export type ModprobeFileStatus = 'read' | 'shadowed' | 'masked' | 'dangling' | 'unreadable';

export interface ModprobeFile {
  path: string;
  /** 0-based position in the order kmod parses files; undefined for files it does not parse. */
  loadIndex: number | undefined;
  status: ModprobeFileStatus;
  shadowedBy?: string;
}

export interface ModprobeEvidence {
  path: string;
  line: number;
  /** Name as written in the file, e.g. `squash-fs` or `usb*`. */
  module: string;
  /** The install or remove command, options or alias target; empty for blacklist. */
  argument: string;
  /** False when kmod does not parse the file (a same-named file in an earlier directory hides it). */
  applied: boolean;
}

export interface ModprobeInstall {
  module: string;
  /** The command kmod runs instead of loading the module. */
  command: string;
  path: string;
  line: number;
  /** Every other install line that matches the module, in parse order. */
  others: ModprobeEvidence[];
}

export interface ModprobeDisabled {
  disabled: boolean;
  /** The install line that decides, when there is one. */
  install?: ModprobeInstall;
}

export interface ModprobeProblem {
  path: string;
  line?: number;
  code: string;
  severity: 'error' | 'warning';
  message: Text;
  value?: string;
  /** Module name of a malformed line, normalized; absent on file-level problems, which affect every module. */
  moduleHint?: string;
}

export interface ModprobeModel {
  files: ModprobeFile[];
  documents: ModprobeDocument[];
  problems: ModprobeProblem[];
  /** The install command kmod runs for `module`, or undefined when the module loads normally. */
  installFor(module: string): ModprobeInstall | undefined;
  /** Blacklist lines for `module`; undefined when it is not blacklisted. */
  blacklisted(module: string): ModprobeEvidence[] | undefined;
  /** True when the install command for `module` is `true` or `false` (with any arguments). */
  isDisabled(module: string): ModprobeDisabled;
  /** Every line of a command kind that names `module` (or a glob matching it), applied or not. */
  commandsFor(command: ModprobeCommandName, module: string): ModprobeEvidence[];
  /** File-level problems and the line problems whose moduleHint matches `module`. */
  problemsFor(module: string): ModprobeProblem[];
}

interface LoadedFile {
  file: ModprobeFile;
  document?: ModprobeDocument;
}

interface CommandRecord {
  path: string;
  command: ModprobeCommand;
  applied: boolean;
}

export function loadModprobe(fs: RootFs): ModprobeModel {
  const problems: ModprobeProblem[] = [];
  const loaded = listFiles(fs).map((file) => readFile(fs, file, problems));

  let loadIndex = 0;
  for (const entry of loaded) {
    if (entry.file.status === 'read') entry.file.loadIndex = loadIndex++;
  }
  for (const entry of loaded) {
    if (entry.document !== undefined) collectLineProblems(entry.document, problems);
  }

  const records = loaded.flatMap((entry) => recordsOf(entry));
  const commandsFor = (command: ModprobeCommandName, module: string): ModprobeEvidence[] =>
    matching(records, command, module).map(toEvidence);
  const installFor = (module: string): ModprobeInstall | undefined => findInstall(records, module);

  return {
    files: loaded.map((entry) => entry.file),
    documents: loaded.flatMap((entry) => (entry.document === undefined ? [] : [entry.document])),
    problems,
    installFor,
    blacklisted: (module) => {
      const lines = matching(records, 'blacklist', module).filter((record) => record.applied);
      return lines.length === 0 ? undefined : lines.map(toEvidence);
    },
    isDisabled: (module) => disabledBy(installFor(module)),
    commandsFor,
    problemsFor: (module) =>
      problems.filter((problem) => problem.moduleHint === undefined || moduleNameMatches(problem.moduleHint, module)),
  };
}

/** Files in kmod's parse order first, then the hidden ones in directory order. */
function listFiles(fs: RootFs): ModprobeFile[] {
  const byName = new Map<string, string>();
  const shadowed: ModprobeFile[] = [];
  for (const dir of distinctDirectories(fs, MODPROBE_DIRS)) {
    for (const name of configNamesIn(fs, dir)) {
      const filePath = `${dir}/${name}`;
      const winner = byName.get(name);
      if (winner === undefined) byName.set(name, filePath);
      else shadowed.push({ path: filePath, loadIndex: undefined, status: 'shadowed', shadowedBy: winner });
    }
  }
  const read: ModprobeFile[] = [...byName.keys()]
    .sort(compareBytes)
    .map((name) => ({ path: byName.get(name) as string, loadIndex: undefined, status: 'read' }));
  return [...read, ...shadowed];
}

function configNamesIn(fs: RootFs, dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdir(dir);
  } catch {
    return [];
  }
  return names.filter((name) => !name.startsWith('.') && (name.endsWith('.conf') || name.endsWith('.alias')) && !fs.isDirectory(`${dir}/${name}`));
}

function readFile(fs: RootFs, file: ModprobeFile, problems: ModprobeProblem[]): LoadedFile {
  if (pointsToDevNull(fs, file.path)) {
    if (file.status === 'read') file.status = 'masked';
    return { file };
  }
  try {
    const content = fs.readText(file.path);
    return { file, document: parseModprobe(content.text, file.path) };
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    if (error.code === 'not-found') {
      if (file.status === 'read') file.status = 'dangling';
      return { file };
    }
    if (file.status === 'read') file.status = 'unreadable';
    problems.push({
      path: file.path,
      code: `modprobe.file-${error.code}`,
      severity: 'error',
      message: text(`failed to read ${file.path}: ${error.detail.en}`, `${file.path} の読み込みに失敗しました: ${error.detail.ja}`),
    });
    return { file };
  }
}

function collectLineProblems(document: ModprobeDocument, problems: ModprobeProblem[]): void {
  for (const diagnostic of document.diagnostics) {
    const problem: ModprobeProblem = {
      path: diagnostic.path,
      code: diagnostic.code,
      severity: diagnostic.severity,
      message: diagnostic.message,
    };
    if (diagnostic.line !== undefined) problem.line = diagnostic.line;
    if (diagnostic.value !== undefined) problem.value = diagnostic.value;
    const hint = moduleHintOf(document, diagnostic.line);
    if (hint !== undefined) problem.moduleHint = hint;
    problems.push(problem);
  }
}

/** Return the module a line names: its second word, which is the module for every command. */
function moduleHintOf(document: ModprobeDocument, lineNumber: number | undefined): string | undefined {
  const line = document.lines.find((candidate) => candidate.line === lineNumber);
  if (line === undefined) return undefined;
  if (line.kind === 'command') return line.module;
  const second = line.logical.trim().split(/[\t ]+/)[1];
  return second === undefined ? undefined : normalizeModuleName(second.replace(/\r$/, ''));
}

function recordsOf(entry: LoadedFile): CommandRecord[] {
  if (entry.document === undefined) return [];
  const applied = entry.file.status === 'read';
  return entry.document.lines
    .filter((line): line is ModprobeCommand => line.kind === 'command')
    .map((command) => ({ path: entry.file.path, command, applied }));
}

function matching(records: CommandRecord[], command: ModprobeCommandName, module: string): CommandRecord[] {
  return records.filter((record) => {
    if (record.command.command !== command) return false;
    // NOTE: kmod compares blacklist names literally (no fnmatch); the other commands match as patterns.
    if (command === 'blacklist') return record.command.module === normalizeModuleName(module);
    return moduleNameMatches(record.command.module, module);
  });
}

function toEvidence(record: CommandRecord): ModprobeEvidence {
  return {
    path: record.path,
    line: record.command.line,
    module: record.command.rawModule,
    argument: record.command.argument,
    applied: record.applied,
  };
}

function findInstall(records: CommandRecord[], module: string): ModprobeInstall | undefined {
  const installs = matching(records, 'install', module);
  const winner = installs.find((record) => record.applied);
  if (winner === undefined) return undefined;
  return {
    module: normalizeModuleName(module),
    command: winner.command.argument,
    path: winner.path,
    line: winner.command.line,
    others: installs.filter((record) => record !== winner).map(toEvidence),
  };
}

function disabledBy(install: ModprobeInstall | undefined): ModprobeDisabled {
  if (install === undefined) return { disabled: false };
  const program = install.command.split(/[\t ]+/)[0] ?? '';
  return { disabled: DISABLING_COMMANDS.has(program) || DISABLING_COMMANDS.has(path.posix.normalize(program)), install };
}
