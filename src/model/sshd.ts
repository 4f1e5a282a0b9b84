import * as posixPath from 'node:path/posix';
import picomatch from 'picomatch';
import type { Text } from '../core/text.js';
import { text } from '../core/text.js';
import type { SshdDirective, SshdDocument } from '../parse/sshd.js';
import { SSHD_KEYWORDS, canonicalKeyword, directives, parseSshd, parseSshdDirective } from '../parse/sshd.js';
import { lastAssignment, parseShellVars, splitShellWords } from '../parse/shellvars.js';
import type { ShellAssignment, ShellVarsDocument } from '../parse/shellvars.js';
import type { RootFs } from '../target/rootfs.js';
import { TargetError } from '../target/rootfs.js';
import type { Problem } from './problem.js';
import { problemFromDiagnostic, problemFromError } from './problem.js';

/**
 * The sshd configuration of a target as sshd itself would read it: service settings that add
 * command-line options, the config file, `Include` expanded in place, first value wins, and
 * `Match` blocks kept apart because they apply per connection.
 */

export const SSHD_BINARY = '/usr/sbin/sshd';
export const DEFAULT_SSHD_CONFIG = '/etc/ssh/sshd_config';
/** Read by the OpenRC `sshd` service (Alpine and systems derived from it). */
export const OPENRC_SSHD_CONF = '/etc/conf.d/sshd';
/** Read by Debian's ssh.service and /etc/init.d/ssh. */
export const DEBIAN_SSH_DEFAULTS = '/etc/default/ssh';
/** Relative Include patterns are taken relative to SSHDIR, which is /etc/ssh on Debian and Alpine builds. */
const SSH_DIR = '/etc/ssh';
/** SERVCONF_MAX_DEPTH in servconf.c: the top file is depth 0 and a file at depth 17 is refused. */
const MAX_INCLUDE_DEPTH = 16;
/** NOTE: sshd has no such limit; this only stops a file that includes itself several times from taking forever. */
const MAX_FILES_READ = 1024;

export type SshdSource = 'config' | 'command-line' | 'default' | 'unset';

export interface SshdEvidence {
  path: string;
  line: number;
  value: string[];
}

/** The value sshd uses for a keyword outside Match blocks. */
export interface SshdEffective {
  /** Lower-case keyword with aliases resolved. */
  keyword: string;
  /**
   * Arguments of the winning line. For keywords that add up over lines (Port, ListenAddress,
   * HostKey, AllowUsers and the like, see `accumulates`) every argument of every line in order.
   * The OpenSSH default when nothing sets it, `[]` when unset and no default is recorded here.
   */
  value: string[];
  /** File and line of the winning setting; for `command-line`, the service file that adds the option. */
  path?: string;
  line?: number;
  source: SshdSource;
  /** Every other line of the global section that sets the keyword, in the order sshd reads them. */
  others: SshdEvidence[];
  /** The winning config line, for editing it in place; unset for defaults and command-line options. */
  directive?: SshdDirective;
  accumulates: boolean;
  /** False when a file or line that sshd reads before the winner could not be read or understood. */
  known: boolean;
  problem?: Problem;
}

export interface SshdSettingLine {
  /** Lower-case keyword with aliases resolved. */
  keyword: string;
  rawKeyword: string;
  value: string[];
  path: string;
  line: number;
}

export interface SshdMatchBlock {
  /** Criteria as sshd reads them, joined by single spaces: `User bob Address 198.18.0.0/15`. */
  criteria: string;
  args: string[];
  path: string;
  line: number;
  /** `Match all` (possibly inside another `Match all`): applies to every connection. */
  matchesAll: boolean;
  /**
   * The block whose `Include` brought this block's file in. sshd applies this block only when
   * that one matches too.
   */
  within?: SshdMatchBlock;
  /** Settings in the order sshd reads them; within one block the first value wins. */
  settings: SshdSettingLine[];
  /** Set when part of the block could not be read, so its settings may be incomplete. */
  problem?: Problem;
}

export interface SshdMatchOverride {
  block: SshdMatchBlock;
  value: string[];
  path: string;
  line: number;
  directive?: SshdDirective;
  known: boolean;
}

/** A command-line option that a service file gives sshd, with where it is set. */
export interface SshdCommandLineOption {
  /** `-o`, `-f`, `-p`, ... */
  option: string;
  value: string;
  /** The service file and line of the variable that carries the option. */
  path: string;
  line: number;
  variable: string;
}

export interface SshdListen {
  /** `undefined` for every address (no ListenAddress). */
  address?: string;
  port: number;
  path?: string;
  line?: number;
  source: SshdSource;
}

export interface SshdPorts {
  listen: SshdListen[];
  known: boolean;
  problem?: Problem;
}

export interface SshdLoadOptions {
  /** Read this config file instead of the one the service settings name. */
  configPath?: string;
  /** Read /etc/conf.d/sshd or /etc/default/ssh for command-line options; default true. */
  readServiceSettings?: boolean;
}

export interface SshdModel {
  present: boolean;
  reasonAbsent?: Text;
  /** The config file sshd reads first. */
  configPath: string;
  /** Service file options that move the config file or override settings. */
  commandLine: SshdCommandLineOption[];
  /** Every config file read, parsed, in the order first read. */
  documents: SshdDocument[];
  /** Value in the global section; Match blocks are reported by matchOverrides. */
  global(keyword: string): SshdEffective;
  matchBlocks: SshdMatchBlock[];
  /**
   * Every Match block that sets the keyword, with the block's first value, in the order sshd reads
   * those lines: for a connection, the first entry whose block (and its `within` chain) matches wins.
   */
  matchOverrides(keyword: string): SshdMatchOverride[];
  ports(): SshdPorts;
  /** Files and lines that could not be read or understood. Each makes the values it may hide unknown. */
  problems: Problem[];
  /** Lines sshd accepts but ignores, such as deprecated keywords. */
  warnings: Problem[];
}

/**
 * Defaults of OpenSSH portable 9.x when a keyword is not set (fill_default_server_options() in
 * servconf.c), as `sshd -T` prints them. UsePAM is `no` in OpenSSH itself; Debian's sshd_config
 * sets it to yes explicitly.
 */
export const SSHD_DEFAULTS: ReadonlyMap<string, string[]> = new Map([
  ['port', ['22']],
  ['addressfamily', ['any']],
  // sshd listens on the wildcard address of every enabled address family.
  ['listenaddress', ['0.0.0.0', '::']],
  ['usepam', ['no']],
  ['logingracetime', ['120']],
  ['permitrootlogin', ['prohibit-password']],
  ['passwordauthentication', ['yes']],
  ['kbdinteractiveauthentication', ['yes']],
  ['pubkeyauthentication', ['yes']],
  ['permitemptypasswords', ['no']],
  ['hostbasedauthentication', ['no']],
  ['ignorerhosts', ['yes']],
  ['maxauthtries', ['6']],
  ['maxsessions', ['10']],
  ['maxstartups', ['10:30:100']],
  ['x11forwarding', ['no']],
  ['allowtcpforwarding', ['yes']],
  ['allowagentforwarding', ['yes']],
  ['allowstreamlocalforwarding', ['yes']],
  ['gatewayports', ['no']],
  ['permittunnel', ['no']],
  ['permituserenvironment', ['no']],
  ['strictmodes', ['yes']],
  ['clientaliveinterval', ['0']],
  ['clientalivecountmax', ['3']],
  ['loglevel', ['INFO']],
  ['syslogfacility', ['AUTH']],
  ['usedns', ['no']],
  ['tcpkeepalive', ['yes']],
  ['printmotd', ['yes']],
  ['authorizedkeysfile', ['.ssh/authorized_keys', '.ssh/authorized_keys2']],
  ['chrootdirectory', ['none']],
  ['forcecommand', ['none']],
  ['banner', ['none']],
]);

/** Keywords whose lines add up instead of the first one winning (servconf.c appends each line). */
const ACCUMULATING = new Set([
  'port',
  'listenaddress',
  'hostkey',
  'hostcertificate',
  'allowusers',
  'denyusers',
  'allowgroups',
  'denygroups',
  'acceptenv',
  'subsystem',
]);

/** One place in the order sshd reads its settings. */
interface Entry {
  keyword: string;
  directive?: SshdDirective;
  value: string[];
  path: string;
  line: number;
  source: 'config' | 'command-line';
  block: SshdMatchBlock | undefined;
  /**
   * Reason this place could not be understood. For a setting, its value is unknown. An entry
   * with no keyword is a file that could not be read, so any keyword may be set there.
   */
  problem?: Problem;
}

interface LoadState {
  fs: RootFs;
  entries: Entry[];
  blocks: SshdMatchBlock[];
  documents: Map<string, SshdDocument>;
  problems: Problem[];
  warnings: Problem[];
  filesRead: number;
}

function problem(path: string, code: string, message: Text, line?: number, value?: string): Problem {
  const found: Problem = { path, code, message };
  if (line !== undefined) found.line = line;
  if (value !== undefined) found.value = value;
  return found;
}

function addBarrier(state: LoadState, found: Problem, block: SshdMatchBlock | undefined): void {
  state.problems.push(found);
  state.entries.push({ keyword: '', value: [], path: found.path, line: found.line ?? 0, source: 'config', block, problem: found });
  if (block !== undefined) block.problem ??= found;
}

/** Check values that sshd parses strictly and that the model reads: Port and ListenAddress. */
function valueProblem(keyword: string, values: string[], path: string, line: number): Problem | undefined {
  let portText: string | undefined;
  if (keyword === 'port') portText = values[0];
  if (keyword === 'listenaddress') portText = splitListenAddress(values[0] ?? '').port;
  if (portText === undefined || parsePort(portText) !== undefined) return undefined;
  return problem(
    path,
    'sshd.invalid-port',
    text(
      `invalid port "${portText}": sshd refuses to start; use a number from 1 to 65535`,
      `ポート "${portText}" は不正です。sshd は起動しません。1 から 65535 の数値を指定してください`,
    ),
    line,
    portText,
  );
}

/** Record a setting in reading order; a value sshd would reject becomes a problem of its own. */
function pushEntry(state: LoadState, entry: Entry): void {
  const invalid = entry.problem === undefined ? valueProblem(entry.keyword, entry.value, entry.path, entry.line) : undefined;
  if (invalid !== undefined) {
    entry.problem = invalid;
    state.problems.push(invalid);
  }
  state.entries.push(entry);
}

/* ---------- service settings: where the config is and which options the command line adds ---------- */

interface CommandLineResult {
  configPath: string;
  options: SshdCommandLineOption[];
  entries: Entry[];
  portsFromCommandLine: boolean;
}

/** sshd's getopt string in OpenSSH 9.x: these options take an argument. */
const OPTIONS_WITH_ARGUMENT = new Set(['C', 'E', 'b', 'c', 'f', 'g', 'h', 'k', 'o', 'p', 'u']);

function readShellFile(state: LoadState, path: string): ShellVarsDocument | undefined {
  try {
    const file = state.fs.readTextIfExists(path);
    return file === undefined ? undefined : parseShellVars(file.text, path);
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    addBarrier(state, problemFromError(error), undefined);
    return undefined;
  }
}

/** Check that a service variable's value can be used as written: no quote errors, no shell expansion. */
function usableAssignment(state: LoadState, doc: ShellVarsDocument, assignment: ShellAssignment): boolean {
  const broken = doc.diagnostics.find((found) => found.line === assignment.line && found.severity === 'error');
  if (broken !== undefined) {
    addBarrier(state, problemFromDiagnostic(broken), undefined);
    return false;
  }
  if (/[$`]/.test(assignment.value)) {
    addBarrier(
      state,
      problem(
        doc.path,
        'sshd.service-expansion',
        text(
          `${assignment.name} uses shell expansion, which is not evaluated: the sshd command line is unknown`,
          `${assignment.name} はシェルの展開を使っていますが、評価されません。sshd のコマンドラインが分かりません`,
        ),
        assignment.line,
        assignment.rawValue,
      ),
      undefined,
    );
    return false;
  }
  return true;
}

/** Pick the first non-empty variable, as the shell's `${a:-${b}}` does. */
function firstSet(
  state: LoadState,
  doc: ShellVarsDocument,
  names: string[],
): ShellAssignment | undefined {
  for (const name of names) {
    const assignment = lastAssignment(doc, name);
    if (assignment === undefined || assignment.value === '') continue;
    return usableAssignment(state, doc, assignment) ? assignment : undefined;
  }
  return undefined;
}

/**
 * Build sshd's arguments from /etc/conf.d/sshd the way Alpine's /etc/init.d/sshd does.
 * `cfgfile` defaults to `$SSHD_CONFIG`, then to `${SSHD_CONFDIR:-/etc/ssh}/sshd_config`, and
 * `command_args` defaults to `$SSHD_OPTS`. The script appends `-f $cfgfile` after command_args
 * when cfgfile is not /etc/ssh/sshd_config, so cfgfile overrides a `-f` in command_args.
 */
function openrcArguments(state: LoadState, doc: ShellVarsDocument): { word: string; at: ShellAssignment }[] {
  const words: { word: string; at: ShellAssignment }[] = [];
  const args = firstSet(state, doc, ['command_args', 'SSHD_OPTS']);
  if (args !== undefined) for (const word of splitShellWords(args.value)) words.push({ word, at: args });

  const cfgfile = firstSet(state, doc, ['cfgfile', 'SSHD_CONFIG']);
  if (cfgfile !== undefined && cfgfile.value !== DEFAULT_SSHD_CONFIG) {
    words.push({ word: '-f', at: cfgfile }, { word: cfgfile.value, at: cfgfile });
    return words;
  }
  if (cfgfile !== undefined) return words;

  const confdir = firstSet(state, doc, ['SSHD_CONFDIR']);
  if (confdir !== undefined) {
    const path = posixPath.join(confdir.value, 'sshd_config');
    if (path !== DEFAULT_SSHD_CONFIG) words.push({ word: '-f', at: confdir }, { word: path, at: confdir });
  }
  return words;
}

function commandLineOption(
  state: LoadState,
  result: CommandLineResult,
  option: string,
  value: string,
  at: ShellAssignment,
  path: string,
): void {
  const recorded: SshdCommandLineOption = { option: `-${option}`, value, path, line: at.line, variable: at.name };
  result.options.push(recorded);
  const add = (keyword: string, values: string[]): void => {
    result.entries.push({ keyword, value: values, path, line: at.line, source: 'command-line', block: undefined });
  };

  switch (option) {
    case 'f':
      result.configPath = value;
      return;
    case 'p':
      result.portsFromCommandLine = true;
      add('port', [value]);
      return;
    case 'g':
      add('logingracetime', [value]);
      return;
    case 'h':
      add('hostkey', [value]);
      return;
    case 'c':
      add('hostcertificate', [value]);
      return;
    case '4':
      add('addressfamily', ['inet']);
      return;
    case '6':
      add('addressfamily', ['inet6']);
      return;
    case 'o':
      addOption(state, result, value, at, path);
      return;
  }
}

/** Read one `-o` value with the config-line parser, as sshd does. */
function addOption(state: LoadState, result: CommandLineResult, value: string, at: ShellAssignment, path: string): void {
  const parsed = parseSshdDirective(value, '', at.line, path);
  const failed = parsed.diagnostics.find((found) => found.severity === 'error');
  const directive = parsed.directive;
  if (directive === undefined || failed !== undefined) {
    const reason = failed !== undefined ? problemFromDiagnostic(failed) : undefined;
    // The diagnostic's column counts within the -o value, not within the service file's line.
    if (reason !== undefined) delete reason.column;
    addBarrier(
      state,
      reason ??
        problem(
          path,
          'sshd.bad-command-line-option',
          text(
            `-o "${value}" has no keyword: write it as Keyword=value`,
            `-o "${value}" にキーワードがありません。Keyword=value の形で指定してください`,
          ),
          at.line,
          value,
        ),
      undefined,
    );
    return;
  }
  const keyword = canonicalKeyword(directive.keyword);
  if (keyword === 'match' || keyword === 'include') {
    state.problems.push(
      problem(
        path,
        'sshd.bad-command-line-option',
        text(
          `sshd does not accept ${directive.rawKeyword} as a -o option and refuses to start`,
          `sshd は ${directive.rawKeyword} を -o オプションとして受け付けず、起動しません`,
        ),
        at.line,
        value,
      ),
    );
    return;
  }
  if (result.portsFromCommandLine && keyword === 'port') return;
  result.entries.push({ keyword, directive, value: directive.args, path, line: at.line, source: 'command-line', block: undefined });
}

/** Walk sshd's arguments as its getopt loop does. */
function applyArguments(state: LoadState, words: { word: string; at: ShellAssignment }[], path: string, result: CommandLineResult): void {
  for (let index = 0; index < words.length; index++) {
    const { word, at } = words[index] as { word: string; at: ShellAssignment };
    if (!word.startsWith('-') || word === '-') {
      state.problems.push(
        problem(
          path,
          'sshd.extra-argument',
          text(
            `sshd rejects the extra argument "${word}" and does not start; options start with -`,
            `sshd は余分な引数 "${word}" を受け付けず、起動しません。オプションは - で始めてください`,
          ),
          at.line,
          word,
        ),
      );
      continue;
    }
    for (let letter = 1; letter < word.length; letter++) {
      const option = word[letter] as string;
      if (!OPTIONS_WITH_ARGUMENT.has(option)) {
        commandLineOption(state, result, option, '', at, path);
        continue;
      }
      let value = word.slice(letter + 1);
      if (value === '') value = words[++index]?.word ?? '';
      commandLineOption(state, result, option, value, at, path);
      break;
    }
  }
}

function readCommandLine(state: LoadState, options: SshdLoadOptions): CommandLineResult {
  const result: CommandLineResult = { configPath: DEFAULT_SSHD_CONFIG, options: [], entries: [], portsFromCommandLine: false };
  if (options.readServiceSettings !== false) {
    const openrc = readShellFile(state, OPENRC_SSHD_CONF);
    if (openrc !== undefined) {
      applyArguments(state, openrcArguments(state, openrc), OPENRC_SSHD_CONF, result);
    } else {
      const debian = readShellFile(state, DEBIAN_SSH_DEFAULTS);
      const opts = debian === undefined ? undefined : firstSet(state, debian, ['SSHD_OPTS']);
      if (opts !== undefined) {
        const words = splitShellWords(opts.value).map((word) => ({ word, at: opts }));
        applyArguments(state, words, DEBIAN_SSH_DEFAULTS, result);
      }
    }
  }
  if (options.configPath !== undefined) result.configPath = options.configPath;
  return result;
}

/* ---------- config files ---------- */

function readConfig(state: LoadState, path: string, block: SshdMatchBlock | undefined): SshdDocument | undefined {
  if (++state.filesRead > MAX_FILES_READ) {
    addBarrier(
      state,
      problem(path, 'sshd.too-many-files', text(
        `more than ${MAX_FILES_READ} config files read (an Include loop?): stopped reading here; check the Include lines`,
        `${MAX_FILES_READ} を超える設定ファイルを読んだため(Include のループ?)、ここで読み込みを止めました。Include 行を確認してください`,
      )),
      block,
    );
    return undefined;
  }
  const cached = state.documents.get(path);
  if (cached !== undefined) return cached;

  let source: string;
  try {
    if (state.fs.isDirectory(path)) {
      // sshd reads a directory matched by an Include glob as an empty file (OpenSSH 9.2, glibc).
      source = '';
    } else {
      source = state.fs.readText(path).text;
    }
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    addBarrier(state, problemFromError(error), block);
    return undefined;
  }

  const doc = parseSshd(source, path);
  state.documents.set(path, doc);
  for (const found of doc.diagnostics) {
    if (found.severity === 'error') state.problems.push(problemFromDiagnostic(found));
    else state.warnings.push(problemFromDiagnostic(found));
  }
  return doc;
}

function matchGlob(name: string, pattern: string): boolean {
  // glob(3) without GLOB_BRACE or extensions: only *, ? and [...] are special.
  return picomatch.isMatch(name, pattern, { dot: true, nobrace: true, noextglob: true, noglobstar: true });
}

/** Expand one Include argument as servconf.c does: relative to /etc/ssh, sorted, no match is fine. */
function includeFiles(state: LoadState, pattern: string): string[] {
  const absolute = pattern.startsWith('/') || pattern.startsWith('~') ? pattern : `${SSH_DIR}/${pattern}`;
  // NOTE: sshd calls glob(3) without GLOB_TILDE, so a `~/x` pattern is relative to the directory
  // sshd was started in. That is `/` under OpenRC and systemd, which is how RootFs reads it.
  return state.fs.glob(absolute, matchGlob);
}

function newBlock(directive: SshdDirective, path: string, within: SshdMatchBlock | undefined): SshdMatchBlock {
  const block: SshdMatchBlock = {
    criteria: directive.args.join(' '),
    args: directive.args,
    path,
    line: directive.line,
    matchesAll: directive.args.length === 1 && directive.args[0]?.toLowerCase() === 'all' && (within?.matchesAll ?? true),
    settings: [],
  };
  if (within !== undefined) block.within = within;
  return block;
}

function lineProblem(doc: SshdDocument, directive: SshdDirective): Problem | undefined {
  const found = doc.diagnostics.find(
    (candidate) => candidate.line === directive.line && candidate.severity === 'error' && candidate.code !== 'sshd.unknown-keyword',
  );
  return found === undefined ? undefined : problemFromDiagnostic(found);
}

function addInclude(state: LoadState, doc: SshdDocument, directive: SshdDirective, depth: number, block: SshdMatchBlock | undefined): void {
  const broken = lineProblem(doc, directive);
  if (broken !== undefined) {
    addBarrier(state, broken, block);
    return;
  }
  for (const pattern of directive.args) {
    for (const file of includeFiles(state, pattern)) {
      if (depth + 1 > MAX_INCLUDE_DEPTH) {
        // Blame the Include line that goes too deep, so the message has a file and a line.
        addBarrier(state, includeTooDeep(doc.path, directive.line, file), block);
        return;
      }
      walkFile(state, file, depth + 1, block);
    }
  }
}

function includeTooDeep(path: string, line: number | undefined, included: string): Problem {
  return problem(
    path,
    'sshd.include-too-deep',
    text(
      `Include of ${included} nests more than ${MAX_INCLUDE_DEPTH} levels deep (a file including itself?): sshd refuses to start; remove the loop`,
      `${included} の Include の入れ子が ${MAX_INCLUDE_DEPTH} 段を超えています(自分自身を読み込んでいませんか)。sshd は起動しません。ループを取り除いてください`,
    ),
    line,
  );
}

function addSetting(state: LoadState, doc: SshdDocument, directive: SshdDirective, block: SshdMatchBlock | undefined): void {
  const info = SSHD_KEYWORDS.get(directive.keyword);
  if (info === undefined) return;

  if (block !== undefined && info.scope === 'global') {
    state.problems.push(
      problem(
        doc.path,
        'sshd.global-keyword-in-match',
        text(
          `${info.name} is not allowed inside a Match block: sshd refuses to start; move it above the first Match`,
          `${info.name} は Match ブロック内では使えません。sshd は起動しません。最初の Match より前に移してください`,
        ),
        directive.line,
        directive.rawKeyword,
      ),
    );
    return;
  }
  if (info.status === 'deprecated') return;

  const keyword = canonicalKeyword(directive.keyword);
  const entry: Entry = { keyword, directive, value: directive.args, path: doc.path, line: directive.line, source: 'config', block };
  const broken = lineProblem(doc, directive);
  if (broken !== undefined) entry.problem = broken;
  pushEntry(state, entry);
  block?.settings.push({ keyword, rawKeyword: directive.rawKeyword, value: directive.args, path: doc.path, line: directive.line });
}

/**
 * Read one config file in place, following servconf.c. A Match ends at the end of the file it is
 * in, because sshd restores the including file's Match state after every included file. A file
 * included inside a Match block belongs to that block. Its own Match lines apply only when the
 * enclosing block matches too, because sshd otherwise parses it with SSHCFG_NEVERMATCH.
 */
function walkFile(state: LoadState, path: string, depth: number, enclosing: SshdMatchBlock | undefined): void {
  if (depth > MAX_INCLUDE_DEPTH) {
    addBarrier(
      state,
      problem(
        path,
        'sshd.include-too-deep',
        text(
          `Include nested more than ${MAX_INCLUDE_DEPTH} levels deep (a file including itself?): sshd refuses to start`,
          `Include の入れ子が ${MAX_INCLUDE_DEPTH} 段を超えています(自分自身を読み込んでいませんか)。sshd は起動しません`,
        ),
      ),
      enclosing,
    );
    return;
  }
  const doc = readConfig(state, path, enclosing);
  if (doc === undefined) return;

  let block = enclosing;
  for (const directive of directives(doc)) {
    if (directive.keyword === 'match') {
      block = newBlock(directive, path, enclosing);
      const broken = lineProblem(doc, directive);
      if (broken !== undefined) block.problem = broken;
      state.blocks.push(block);
    } else if (directive.keyword === 'include') {
      addInclude(state, doc, directive, depth, block);
    } else {
      addSetting(state, doc, directive, block);
    }
  }
}

/* ---------- effective values ---------- */

function evidence(entry: Entry): SshdEvidence {
  return { path: entry.path, line: entry.line, value: entry.value };
}

function evaluateGlobal(entries: Entry[], keyword: string, portsFromCommandLine: boolean): SshdEffective {
  const key = canonicalKeyword(keyword);
  const accumulates = ACCUMULATING.has(key);
  const winners: Entry[] = [];
  const others: SshdEvidence[] = [];
  let blocking: Problem | undefined;

  for (const entry of entries) {
    if (entry.block !== undefined) continue;
    const decided = winners.length > 0 && !accumulates;
    if (entry.keyword === '' && entry.problem !== undefined) {
      if (!decided) blocking ??= entry.problem;
      continue;
    }
    if (entry.keyword !== key) continue;
    // sshd ignores Port lines of the config file once -p was given.
    const ignored = key === 'port' && portsFromCommandLine && entry.source === 'config';
    if (entry.problem !== undefined) {
      if (!decided && !ignored) blocking ??= entry.problem;
      others.push(evidence(entry));
    } else if (decided || ignored) {
      others.push(evidence(entry));
    } else {
      winners.push(entry);
    }
  }

  const first = winners[0];
  const result: SshdEffective = { keyword: key, value: [], source: 'unset', others, accumulates, known: blocking === undefined };
  if (blocking !== undefined) result.problem = blocking;
  if (first === undefined) {
    const fallback = SSHD_DEFAULTS.get(key);
    if (fallback !== undefined) {
      result.value = fallback;
      result.source = 'default';
    }
    return result;
  }

  result.value = accumulates ? winners.flatMap((entry) => entry.value) : first.value;
  result.path = first.path;
  result.line = first.line;
  result.source = first.source;
  if (first.directive !== undefined && first.source === 'config') result.directive = first.directive;
  if (accumulates) result.others = [...winners.slice(1).map(evidence), ...others];
  return result;
}

function evaluateMatch(entries: Entry[], keyword: string): SshdMatchOverride[] {
  const key = canonicalKeyword(keyword);
  const found: SshdMatchOverride[] = [];
  const decided = new Set<SshdMatchBlock>();
  const hidden = new Set<SshdMatchBlock>();

  for (const entry of entries) {
    const block = entry.block;
    if (block === undefined || decided.has(block)) continue;
    if (entry.keyword === '' && entry.problem !== undefined) {
      hidden.add(block);
      continue;
    }
    if (entry.keyword !== key) continue;
    decided.add(block);
    const known = !hidden.has(block) && entry.problem === undefined;
    const override: SshdMatchOverride = { block, value: entry.value, path: entry.path, line: entry.line, known };
    if (entry.directive !== undefined) override.directive = entry.directive;
    found.push(override);
  }
  return found;
}

/** Split a ListenAddress argument into host and port as servconf.c does (hpdelim). */
function splitListenAddress(value: string): { host: string; port?: string } {
  const colons = value.split(':').length - 1;
  if (!value.includes('[') && colons >= 2) return { host: value };
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    const host = value.slice(1, close === -1 ? undefined : close);
    const rest = close === -1 ? '' : value.slice(close + 1);
    return rest.startsWith(':') ? { host, port: rest.slice(1) } : { host };
  }
  const colon = value.indexOf(':');
  return colon === -1 ? { host: value } : { host: value.slice(0, colon), port: value.slice(colon + 1) };
}

function parsePort(value: string): number | undefined {
  if (!/^[0-9]+$/.test(value)) return undefined;
  const port = Number(value);
  return port >= 1 && port <= 65535 ? port : undefined;
}

function evaluatePorts(entries: Entry[], portsFromCommandLine: boolean): SshdPorts {
  const portSetting = evaluateGlobal(entries, 'port', portsFromCommandLine);
  const listenSetting = evaluateGlobal(entries, 'listenaddress', portsFromCommandLine);
  const result: SshdPorts = { listen: [], known: portSetting.known && listenSetting.known };
  const blocking = portSetting.problem ?? listenSetting.problem;
  if (blocking !== undefined) result.problem = blocking;

  const usable = (entry: Entry, keyword: string): boolean =>
    entry.block === undefined && entry.keyword === keyword && entry.problem === undefined;
  const portEntries = entries.filter((entry) => usable(entry, 'port') && !(portsFromCommandLine && entry.source === 'config'));
  const listenEntries = entries.filter((entry) => usable(entry, 'listenaddress'));

  // Every Port line sets one port. Without any, sshd listens on 22.
  const ports = portEntries.map((entry) => ({ port: parsePort(entry.value[0] ?? '') as number, entry }));
  const where = (entry: Entry | undefined): Omit<SshdListen, 'port' | 'address'> =>
    entry === undefined ? { source: 'default' } : { path: entry.path, line: entry.line, source: entry.source };
  const portList: { port: number; entry?: Entry }[] = ports.length > 0 ? ports : [{ port: 22 }];

  if (listenEntries.length === 0) {
    for (const { port, entry } of portList) result.listen.push({ port, ...where(entry) });
    return result;
  }

  // A ListenAddress without a port listens on every Port.
  for (const entry of listenEntries) {
    const { host, port } = splitListenAddress(entry.value[0] ?? '');
    if (port !== undefined) {
      result.listen.push({ address: host, port: parsePort(port) as number, ...where(entry) });
      continue;
    }
    for (const listenPort of portList) result.listen.push({ address: host, port: listenPort.port, ...where(entry) });
  }
  return result;
}

/* ---------- entry point ---------- */

function absentModel(configPath: string, state: LoadState, commandLine: SshdCommandLineOption[]): SshdModel {
  return {
    present: false,
    reasonAbsent: text(
      `sshd is not installed: neither ${SSHD_BINARY} nor ${configPath} exists`,
      `sshd はインストールされていません: ${SSHD_BINARY} も ${configPath} も存在しません`,
    ),
    configPath,
    commandLine,
    documents: [],
    global: (keyword) => evaluateGlobal([], keyword, false),
    matchBlocks: [],
    matchOverrides: () => [],
    ports: () => ({ listen: [], known: true }),
    problems: state.problems,
    warnings: state.warnings,
  };
}

export function loadSshd(fs: RootFs, options: SshdLoadOptions = {}): SshdModel {
  const state: LoadState = { fs, entries: [], blocks: [], documents: new Map(), problems: [], warnings: [], filesRead: 0 };
  const commandLine = readCommandLine(state, options);
  const configPath = commandLine.configPath;
  if (!fs.exists(SSHD_BINARY) && !fs.exists(configPath)) return absentModel(configPath, state, commandLine.options);

  // sshd reads its command line before the config file, so with first-value-wins `-o` overrides it.
  for (const entry of commandLine.entries) pushEntry(state, entry);
  if (fs.exists(configPath)) {
    walkFile(state, configPath, 0, undefined);
  } else {
    addBarrier(
      state,
      problem(
        configPath,
        'sshd.config-missing',
        text(
          `${configPath} does not exist: sshd refuses to start without it`,
          `${configPath} が存在しません。sshd はこのファイルなしでは起動しません`,
        ),
      ),
      undefined,
    );
  }

  const { entries, blocks } = state;
  const portsFromCommandLine = commandLine.portsFromCommandLine;
  return {
    present: true,
    configPath,
    commandLine: commandLine.options,
    documents: [...state.documents.values()],
    global: (keyword) => evaluateGlobal(entries, keyword, portsFromCommandLine),
    matchBlocks: blocks,
    matchOverrides: (keyword) => evaluateMatch(entries, keyword),
    ports: () => evaluatePorts(entries, portsFromCommandLine),
    problems: state.problems,
    warnings: state.warnings,
  };
}
