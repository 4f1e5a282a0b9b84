import type { Diagnostic } from '../core/diagnostic.js';
import { text } from '../core/text.js';
import { splitLines } from './shellvars.js';

/**
 * Lossless parser for modprobe.d(5) files, following kmod's libkmod-config.c
 * (kmod_config_parse and getline_wrapped).
 * - A backslash at the very end of a line joins the next line to it. Elsewhere a backslash
 *   makes the next character literal and is dropped.
 * - The first word is the command. Words are separated by spaces and tabs.
 * - `install`, `remove`, `options` and `softdep` take the module name and then the rest of the
 *   line as one argument. `alias` takes a name and a module, and `blacklist` a module.
 * - Module names are compared with `-` read as `_` (kmod's underscores()), except inside
 *   `[...]` where `-` is a range.
 */

export type ModprobeCommandName = 'install' | 'remove' | 'blacklist' | 'alias' | 'options' | 'softdep';

const COMMANDS: ReadonlySet<string> = new Set(['install', 'remove', 'blacklist', 'alias', 'options', 'softdep']);

export interface PhysicalLine {
  raw: string;
  eol: string;
}

export interface ModprobeCommand {
  kind: 'command';
  command: ModprobeCommandName;
  /** 1-based number of the first physical line. */
  line: number;
  /** 1-based number of the last physical line; larger than `line` when continued with `\`. */
  endLine: number;
  /** Module name (for `alias`: the alias name) with `-` read as `_`. May be a glob. */
  module: string;
  /** Module name as written. */
  rawModule: string;
  /** 1-based column of rawModule on the first physical line. */
  moduleColumn: number;
  /**
   * The rest of the logical line after the module name: the command for install/remove, the
   * options, the softdep list, or the module an alias points to. Leading and trailing spaces
   * removed; empty for blacklist.
   */
  argument: string;
  /** The logical line with continuations joined and escapes resolved. */
  logical: string;
  physical: PhysicalLine[];
}

export interface ModprobeOther {
  kind: 'blank' | 'comment' | 'invalid';
  line: number;
  endLine: number;
  logical: string;
  physical: PhysicalLine[];
}

export type ModprobeLine = ModprobeCommand | ModprobeOther;

export interface ModprobeDocument {
  path: string;
  lines: ModprobeLine[];
  diagnostics: Diagnostic[];
}

/** Read `-` as `_` outside brackets, as kmod's underscores() does for names in the config. */
export function normalizeModuleName(name: string): string {
  let out = '';
  let inBracket = false;
  for (const ch of name) {
    if (ch === '[') inBracket = true;
    else if (ch === ']') inBracket = false;
    out += ch === '-' && !inBracket ? '_' : ch;
  }
  return out;
}

/** fnmatch(3) with no flags, which kmod uses to match config names against a module name. */
export function moduleNameMatches(pattern: string, moduleName: string): boolean {
  const normalizedName = normalizeModuleName(moduleName);
  if (!/[*?[]/.test(pattern)) return pattern === normalizedName;
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else if (ch === '[' && pattern.indexOf(']', i + 2) !== -1) {
      const close = pattern.indexOf(']', i + 2);
      let body = pattern.slice(i + 1, close);
      const negated = body.startsWith('!');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else source += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's').test(normalizedName);
}

/** Group physical lines into logical ones; a line ends in a continuation when its last character is an unescaped `\` before `\n`. */
function groupLogicalLines(source: string): { start: number; physical: PhysicalLine[]; logical: string }[] {
  const groups: { start: number; physical: PhysicalLine[]; logical: string }[] = [];
  let current: { start: number; physical: PhysicalLine[]; logical: string } | undefined;

  splitLines(source).forEach((physical, index) => {
    if (current === undefined) current = { start: index + 1, physical: [], logical: '' };
    current.physical.push(physical);
    const { decoded, continued } = decodeEscapes(physical.raw, physical.eol);
    current.logical += decoded;
    if (!continued) {
      groups.push(current);
      current = undefined;
    }
  });
  if (current !== undefined) groups.push(current);
  return groups;
}

/**
 * kmod reads `\r` as an ordinary character: with CRLF endings it stays at the end of the last
 * word, and a trailing backslash is followed by `\r`, so it does not continue the line.
 */
function decodeEscapes(raw: string, eol: string): { decoded: string; continued: boolean } {
  const content = eol === '\r\n' ? `${raw}\r` : raw;
  let decoded = '';
  for (let i = 0; i < content.length; i++) {
    const ch = content[i] as string;
    if (ch !== '\\') {
      decoded += ch;
      continue;
    }
    if (i === content.length - 1) return { decoded, continued: eol === '\n' };
    decoded += content[i + 1];
    i++;
  }
  return { decoded, continued: false };
}

const WORD = /[^\t ]+/g;

function words(value: string): { word: string; index: number; end: number }[] {
  return [...value.matchAll(WORD)].map((match) => ({ word: match[0], index: match.index, end: match.index + match[0].length }));
}

export function parseModprobe(source: string, path: string): ModprobeDocument {
  const lines: ModprobeLine[] = [];
  const diagnostics: Diagnostic[] = [];

  for (const group of groupLogicalLines(source)) {
    const endLine = group.start + group.physical.length - 1;
    const base = { line: group.start, endLine, logical: group.logical, physical: group.physical };
    const trimmed = trimBlanks(group.logical.replace(/\r$/, ''));
    if (trimmed === '') {
      lines.push({ kind: 'blank', ...base });
      continue;
    }
    if (trimmed.startsWith('#')) {
      lines.push({ kind: 'comment', ...base });
      continue;
    }
    lines.push(parseCommand(group.logical, base, path, diagnostics));
  }

  return { path, lines, diagnostics };
}

function parseCommand(
  logical: string,
  base: { line: number; endLine: number; logical: string; physical: PhysicalLine[] },
  path: string,
  diagnostics: Diagnostic[],
): ModprobeLine {
  const tokens = words(logical);
  const command = tokens[0] as { word: string; index: number; end: number };
  const firstRaw = base.physical[0]?.raw ?? '';

  if (!COMMANDS.has(command.word)) {
    const deprecated = command.word === 'include' || command.word === 'config';
    diagnostics.push({
      path,
      line: base.line,
      column: command.index + 1,
      code: deprecated ? 'modprobe.deprecated-command' : 'modprobe.unknown-command',
      severity: deprecated ? 'warning' : 'error',
      value: command.word,
      message: deprecated
        ? text(`\`${command.word}\` is no longer supported by kmod and is ignored`, `\`${command.word}\` は kmod では廃止されており、無視されます`)
        : text(
            `unknown command \`${command.word}\`: modprobe ignores this line`,
            `不明なコマンド \`${command.word}\` です。modprobe はこの行を無視します`,
          ),
    });
    return { kind: 'invalid', ...base };
  }

  const name = tokens[1];
  const commandName = command.word as ModprobeCommandName;
  const argument = name === undefined ? '' : trimBlanks(logical.slice(name.end));
  if (logical.includes('\r')) warnCarriageReturn(base.line, path, diagnostics);
  const needsArgument = commandName !== 'blacklist';
  if (name === undefined || (needsArgument && argument === '')) {
    diagnostics.push({
      path,
      line: base.line,
      column: (name ?? command).index + 1,
      code: 'modprobe.missing-argument',
      severity: 'error',
      value: trimBlanks(logical),
      message: text(
        `\`${commandName}\` needs ${needsArgument ? 'a module name and an argument' : 'a module name'}: modprobe ignores this line`,
        `\`${commandName}\` には${needsArgument ? 'モジュール名と引数' : 'モジュール名'}が必要です。modprobe はこの行を無視します`,
      ),
    });
    return { kind: 'invalid', ...base };
  }

  const column = firstRaw.indexOf(name.word);
  return {
    kind: 'command',
    command: commandName,
    ...base,
    module: normalizeModuleName(name.word),
    rawModule: name.word,
    moduleColumn: column === -1 ? name.index + 1 : column + 1,
    argument: commandName === 'alias' ? normalizeModuleName(words(argument)[0]?.word ?? '') : argument,
  };
}

/** Strip spaces and tabs only: kmod splits words at those two, so a `\r` stays part of a word. */
function trimBlanks(value: string): string {
  return value.replace(/^[\t ]+|[\t ]+$/g, '');
}

function warnCarriageReturn(line: number, path: string, diagnostics: Diagnostic[]): void {
  diagnostics.push({
    path,
    line,
    code: 'modprobe.carriage-return',
    severity: 'warning',
    message: text(
      'line ends with CR (Windows line ending): kmod keeps the CR as part of the last word, so the name or command does not match',
      '行末が CR(Windows の改行)です。kmod は CR を最後の語の一部として扱うため、名前やコマンドが一致しません',
    ),
  });
}

export function serializeModprobe(doc: ModprobeDocument): string {
  return doc.lines.map((line) => line.physical.map((physical) => physical.raw + physical.eol).join('')).join('');
}
