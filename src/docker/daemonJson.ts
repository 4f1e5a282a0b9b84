import { applyEdits, findNodeAtLocation, getNodeValue, modify, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Node as JsonNode, ParseError } from 'jsonc-parser';
import type { DockerExpectation } from '../catalog/types.js';
import { lineColumnAt } from '../core/diagnostic.js';
import { text } from '../core/text.js';
import type { Text } from '../core/text.js';
import type { Finding } from '../lint/types.js';
import { DAEMON_KEYS, suggestDaemonKey } from './dockerdOptions.js';

/**
 * /etc/docker/daemon.json read with the position of every key, judged against the guide, and
 * merged with the guide's keys by text edits, so that every other key, its order, the
 * indentation and the line endings stay as they were.
 */

export const DAEMON_JSON_PATH = '/etc/docker/daemon.json';

/** The daemon.json of the guide's Docker section, in its order. */
export const GUIDE_DAEMON_SETTINGS: [string, unknown][] = [
  ['icc', false],
  ['userns-remap', 'default'],
  ['no-new-privileges', true],
  ['seccomp-profile', '/etc/docker/seccomp.json'],
  ['live-restore', true],
  ['userland-proxy', false],
  ['log-driver', 'json-file'],
  ['log-opts', { 'max-size': '10m', 'max-file': '3' }],
];

export interface DaemonKey {
  key: string;
  value: unknown;
  line: number;
  column: number;
}

export interface DaemonJson {
  path: string;
  source: string;
  /** Top-level keys in file order; a repeated key appears once per occurrence. */
  keys: DaemonKey[];
  /** The parsed object; undefined when the file is not valid JSON or not an object. */
  config?: Record<string, unknown>;
  /** Syntax errors, a top level that is not an object, repeated keys. */
  findings: Finding[];
}

/** Parse daemon.json as dockerd does: plain JSON, no comments, no trailing commas. */
export function parseDaemonJson(rawSource: string, path: string): DaemonJson {
  const result: DaemonJson = { path, source: rawSource, keys: [], findings: [] };
  // A byte order mark is replaced by a space so that offsets, and so columns, stay as in the file.
  const source = rawSource.startsWith('\uFEFF') ? ' ' + rawSource.slice(1) : rawSource;
  if (source !== rawSource) {
    result.findings.push({
      path,
      line: 1,
      column: 1,
      code: 'daemon-json.byte-order-mark',
      severity: 'warning',
      message: text('the file starts with a UTF-8 byte order mark, which Go’s JSON decoder in dockerd may reject; save the file without it', 'ファイルが UTF-8 の BOM で始まっています。dockerd の Go の JSON デコーダーが受け付けない場合があるので、BOM なしで保存してください'),
    });
  }
  const errors: ParseError[] = [];
  const tree = parseTree(source, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  for (const error of errors) {
    const { line, column } = lineColumnAt(source, error.offset);
    // printParseErrorCode gives names such as `PropertyNameExpected`: split them into words.
    const errorName = printParseErrorCode(error.error)
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toLowerCase();
    result.findings.push({
      path,
      line,
      column,
      code: 'daemon-json.syntax',
      severity: 'error',
      message: text(`invalid JSON (${errorName}); dockerd will not start until this is fixed`, `JSON が正しくありません(${errorName})。直すまで dockerd は起動しません`),
      value: source.slice(error.offset, error.offset + Math.max(error.length, 1)),
    });
  }
  if (errors.length > 0 || tree === undefined) return result;
  if (tree.type !== 'object') {
    result.findings.push({ path, line: 1, column: 1, code: 'daemon-json.not-an-object', severity: 'error', message: text('daemon.json must be a JSON object ({ ... })', 'daemon.json は JSON オブジェクト({ ... })でなければなりません') });
    return result;
  }

  const seen = new Set<string>();
  for (const property of tree.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    if (keyNode === undefined) continue;
    const key = String(keyNode.value);
    const { line, column } = lineColumnAt(source, keyNode.offset);
    result.keys.push({ key, value: valueNode === undefined ? undefined : getNodeValue(valueNode), line, column });
    if (seen.has(key)) {
      result.findings.push({
        path,
        line,
        column,
        code: 'daemon-json.duplicate-key',
        severity: 'warning',
        message: text(`"${key}" appears more than once; dockerd uses the last one, so remove the others`, `"${key}" が複数回現れます。dockerd は最後のものを使うので、他は削除してください`),
        value: key,
      });
    }
    seen.add(key);
  }
  result.config = getNodeValue(tree) as Record<string, unknown>;
  return result;
}

/** Return the last occurrence of a top-level key, as dockerd reads it. */
export function daemonKey(daemon: DaemonJson, key: string): DaemonKey | undefined {
  for (let i = daemon.keys.length - 1; i >= 0; i--) {
    const entry = daemon.keys[i] as DaemonKey;
    if (entry.key === key) return entry;
  }
  return undefined;
}

/** Judge one key's value against the guide and describe the expected value. Seccomp files are checked by the caller. */
export function judgeDaemonValue(value: unknown, expectation: DockerExpectation): { ok: boolean; expected: Text } {
  if ('equals' in expectation) {
    const literal = JSON.stringify(expectation.equals);
    return { ok: value === expectation.equals, expected: text(literal, literal) };
  }
  if ('nonEmpty' in expectation) {
    return { ok: typeof value === 'string' && value !== '', expected: text('a non-empty string such as "default"', '"default" などの空でない文字列') };
  }
  if ('logOpts' in expectation) {
    const ok = typeof value === 'object' && value !== null && !Array.isArray(value) && expectation.logOpts.every((key) => typeof (value as Record<string, unknown>)[key] === 'string');
    return { ok, expected: text(`an object with ${expectation.logOpts.join(' and ')} as strings`, `${expectation.logOpts.join(' と ')} を文字列で持つオブジェクト`) };
  }
  return { ok: typeof value === 'string' && value.startsWith('/'), expected: text('the absolute path of a valid seccomp profile', '正しい seccomp プロファイルの絶対パス') };
}

/** Listen addresses from `hosts` or `-H` that are TCP: anything but unix://, fd://, npipe:// and ssh://. */
export function tcpHosts(hosts: unknown): string[] {
  let list: unknown[] = [];
  if (Array.isArray(hosts)) list = hosts;
  else if (typeof hosts === 'string') list = [hosts];
  return list.map(String).filter((host) => !/^(unix|fd|npipe|ssh):\/\//.test(host));
}

/**
 * Check the file itself: keys dockerd does not know (it then does not start), and a TCP
 * listener without client certificate checks. `flagHosts` are `-H` values from the command line.
 */
export function lintDaemonStructure(daemon: DaemonJson, flagHosts: string[] = [], flagTlsVerify = false): Finding[] {
  const findings: Finding[] = [];
  if (daemon.config === undefined) return findings;

  for (const entry of daemon.keys) {
    if (DAEMON_KEYS.has(entry.key)) continue;
    const suggestion = suggestDaemonKey(entry.key);
    const hint = suggestion === undefined ? text('check the spelling against your Docker version', 'お使いの Docker のバージョンで綴りを確認してください') : text(`did you mean "${suggestion}"?`, `"${suggestion}" の誤りではありませんか`);
    findings.push({
      path: daemon.path,
      line: entry.line,
      column: entry.column,
      code: 'daemon-json.unknown-key',
      severity: 'warning',
      message: text(`"${entry.key}" is not a dockerd 20.10 option, and dockerd does not start with a key it does not know; ${hint.en}`, `"${entry.key}" は dockerd 20.10 のオプションではなく、dockerd は知らないキーがあると起動しません。${hint.ja}`),
      value: entry.key,
    });
  }

  const hostsEntry = daemonKey(daemon, 'hosts');
  const tcp = [...tcpHosts(hostsEntry?.value), ...tcpHosts(flagHosts)];
  const tlsVerify = daemon.config.tlsverify === true || flagTlsVerify;
  if (tcp.length > 0 && !tlsVerify) {
    const tls = daemon.config.tls === true;
    const en = tls
      ? `the API listens on ${tcp.join(', ')} with TLS but without "tlsverify", so any client can connect and control the host; set "tlsverify": true with "tlscacert", "tlscert" and "tlskey", or listen on the unix socket only`
      : `the API listens on ${tcp.join(', ')} without TLS, so anyone who reaches the port controls the host; set "tlsverify": true with "tlscacert", "tlscert" and "tlskey", or listen on the unix socket only`;
    const ja = tls
      ? `API が ${tcp.join('、')} で TLS 付き・"tlsverify" なしで待ち受けており、どのクライアントも接続してホストを操作できます。"tlsverify": true と "tlscacert"、"tlscert"、"tlskey" を設定するか、unix ソケットだけで待ち受けてください`
      : `API が ${tcp.join('、')} で TLS なしで待ち受けており、ポートに届く誰もがホストを操作できます。"tlsverify": true と "tlscacert"、"tlscert"、"tlskey" を設定するか、unix ソケットだけで待ち受けてください`;
    const finding: Finding = { path: daemon.path, code: 'daemon-json.tcp-without-tls', severity: 'error', message: text(en, ja), value: tcp.join(' ') };
    if (hostsEntry !== undefined) {
      finding.line = hostsEntry.line;
      finding.column = hostsEntry.column;
    }
    findings.push(finding);
  }
  return findings;
}

/** Indentation and line ending of an existing JSON text, so that inserted keys look like their neighbours. */
function detectFormatting(source: string): { insertSpaces: boolean; tabSize: number; eol: string } {
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const indented = /\n([ \t]+)"/.exec(source);
  if (indented === null) return { insertSpaces: true, tabSize: 2, eol };
  const indent = indented[1] as string;
  if (indent.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: indent.length, eol };
}

export interface MergeDecision {
  key: string;
  /** `kept`: the file already has an accepted value; `set`: added or changed; `skipped`: left alone for the reason given. */
  action: 'kept' | 'set' | 'skipped';
  reason?: Text;
}

export interface MergeOptions {
  /** Keys to leave out, with the reason (set as dockerd flags, swarm mode, missing seccomp file). */
  skip?: Map<string, Text>;
  /** Replace the guide's seccomp-profile path. */
  seccompProfile?: string;
  /** Whether a `seccomp-profile` value already in the file names a usable profile; unknown counts as usable. */
  seccompUsable?: (path: string) => boolean;
}

/**
 * Set the guide's keys in `source` (daemon.json text, or undefined for a new file) and return the
 * new text. Keys that already have an accepted value are untouched; inside `log-opts` only missing options
 * are added. Throws nothing: invalid input must be rejected by the caller with parseDaemonJson first.
 */
export function mergeGuideSettings(source: string | undefined, options: MergeOptions = {}): { content: string; decisions: MergeDecision[] } {
  let content = source === undefined || source.trim() === '' ? '{}' : source;
  const isNew = content === '{}';
  const formatting = isNew ? { insertSpaces: true, tabSize: 2, eol: '\n' } : detectFormatting(content);
  const decisions: MergeDecision[] = [];
  const edit = (path: (string | number)[], value: unknown): void => {
    content = applyEdits(content, modify(content, path, value, { formattingOptions: formatting }));
  };

  for (const [key, guideValue] of GUIDE_DAEMON_SETTINGS) {
    const skip = options.skip?.get(key);
    if (skip !== undefined) {
      decisions.push({ key, action: 'skipped', reason: skip });
      continue;
    }
    const tree = parseTree(content);
    const current = tree === undefined ? undefined : findNodeAtLocation(tree, [key]);
    const value = current === undefined ? undefined : getNodeValue(current);

    if (key === 'log-opts') {
      const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
      if (!isObject) {
        edit([key], guideValue);
        decisions.push({ key, action: 'set' });
        continue;
      }
      let changed = false;
      for (const [option, optionValue] of Object.entries(guideValue as Record<string, string>)) {
        if (typeof (value as Record<string, unknown>)[option] === 'string') continue;
        edit([key, option], optionValue);
        changed = true;
      }
      decisions.push({ key, action: changed ? 'set' : 'kept' });
      continue;
    }

    if (key === 'seccomp-profile') {
      const usable = typeof value === 'string' && value.startsWith('/') && (options.seccompUsable?.(value) ?? true);
      const profilePath = options.seccompProfile ?? (guideValue as string);
      if (usable && (options.seccompProfile === undefined || value === profilePath)) {
        decisions.push({ key, action: 'kept' });
        continue;
      }
      edit([key], profilePath);
      decisions.push({ key, action: 'set' });
      continue;
    }

    if (key === 'userns-remap') {
      if (typeof value === 'string' && value !== '') {
        decisions.push({ key, action: 'kept' });
        continue;
      }
    } else if (value === guideValue) {
      decisions.push({ key, action: 'kept' });
      continue;
    }
    edit([key], guideValue);
    decisions.push({ key, action: 'set' });
  }

  if (isNew && !content.endsWith('\n')) content += '\n';
  return { content, decisions };
}
