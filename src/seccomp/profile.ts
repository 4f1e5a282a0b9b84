import { parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Node, ParseError } from 'jsonc-parser';
import type { Text } from '../core/text.js';
import { text } from '../core/text.js';
import type { Finding } from '../lint/types.js';
import { GO_ARCHES, KNOWN_ARCHES } from './arch.js';

/**
 * Typed form of a Docker/OCI seccomp profile, as `docker run --security-opt seccomp=FILE` and
 * the `seccomp-profile` key of daemon.json read it. Every part keeps its byte offset in the file
 * so that findings can name a line.
 */
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: Located<string>[];
  archMap: ArchMapEntry[];
  syscalls: SeccompRule[];
  offset: number;
}

export interface Located<T> {
  value: T;
  offset: number;
}

export interface ArchMapEntry {
  architecture: string;
  subArchitectures: string[];
  offset: number;
}

/** One entry of `syscalls`: names, an action and optional conditions. */
export interface SeccompRule {
  /** Position in the `syscalls` array, 0-based. */
  index: number;
  names: Located<string>[];
  action: string;
  errnoRet?: number;
  args: SeccompArg[];
  includes: RuleFilter;
  excludes: RuleFilter;
  offset: number;
}

export interface SeccompArg {
  index: number;
  /** 64-bit unsigned values; JSON numbers above 2^53 keep their exact digits here. */
  value: bigint;
  valueTwo: bigint;
  op: string;
  offset: number;
}

/** `includes` or `excludes` of a rule: architectures (profile names), capabilities, minimum kernel. */
export interface RuleFilter {
  arches: string[];
  caps: string[];
  minKernel?: string;
}

export const ACTIONS = new Set([
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
]);

export const OPERATORS = new Set(['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']);

/** Actions that let the call run. */
export const ALLOW_ACTIONS = new Set(['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG']);

/** Largest errno the kernel passes back (MAX_ERRNO in linux/err.h). */
export const MAX_ERRNO = 4095;

const TOP_LEVEL_KEYS = new Set(['defaultAction', 'defaultErrnoRet', 'architectures', 'archMap', 'syscalls', 'flags', 'listenerPath', 'listenerMetadata']);
const RULE_KEYS = new Set(['name', 'names', 'action', 'errnoRet', 'args', 'includes', 'excludes', 'comment']);
const ARG_KEYS = new Set(['index', 'value', 'valueTwo', 'op']);
const FILTER_KEYS = new Set(['arches', 'caps', 'minKernel']);

export interface ParsedProfile {
  profile?: SeccompProfile;
  findings: Finding[];
}

/** Converts byte offsets of the content into 1-based lines and columns. */
export class Positions {
  private readonly lineStarts: number[] = [0];

  constructor(content: string) {
    for (let i = 0; i < content.length; i++) if (content.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  at(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.lineStarts[middle] as number) <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - (this.lineStarts[low] as number) + 1 };
  }
}

/** Collects findings with positions while the profile is read. */
class Reader {
  readonly findings: Finding[] = [];
  private readonly positions: Positions;

  constructor(
    readonly path: string,
    readonly content: string,
  ) {
    this.positions = new Positions(content);
  }

  report(offset: number, code: string, severity: Finding['severity'], message: Text, value?: string): void {
    const finding: Finding = { path: this.path, ...this.positions.at(offset), code, severity, message };
    if (value !== undefined) finding.value = value;
    this.findings.push(finding);
  }

  invalid(node: Node, message: Text): void {
    this.report(node.offset, 'seccomp.invalid-value', 'error', message, this.content.slice(node.offset, node.offset + Math.min(node.length, 60)));
  }

  properties(node: Node, where: string, known: Set<string>): Map<string, Node> {
    const result = new Map<string, Node>();
    for (const property of node.children ?? []) {
      const [key, value] = property.children ?? [];
      if (key === undefined || value === undefined) continue;
      const name = String(key.value);
      if (!known.has(name)) {
        this.report(key.offset, 'seccomp.unknown-field', 'warning', text(
          `unknown field "${name}" in ${where}; runtimes ignore it (known: ${[...known].join(', ')})`,
          `${where} に不明なフィールド "${name}" があります。ランタイムは無視します(使えるもの: ${[...known].join(', ')})`,
        ), name);
      }
      result.set(name, value);
    }
    return result;
  }

  string(node: Node | undefined, where: string): string | undefined {
    if (node === undefined) return undefined;
    if (node.type !== 'string') {
      this.invalid(node, text(`${where} must be a string`, `${where} は文字列でなければなりません`));
      return undefined;
    }
    return node.value as string;
  }

  stringArray(node: Node | undefined, where: string): Located<string>[] {
    if (node === undefined || node.type === 'null') return [];
    if (node.type !== 'array') {
      this.invalid(node, text(`${where} must be an array of strings`, `${where} は文字列の配列でなければなりません`));
      return [];
    }
    const result: Located<string>[] = [];
    for (const item of node.children ?? []) {
      const value = this.string(item, `${where}[]`);
      if (value !== undefined) result.push({ value, offset: item.offset });
    }
    return result;
  }

  integer(node: Node | undefined, where: string, max: number): number | undefined {
    if (node === undefined) return undefined;
    const raw = this.content.slice(node.offset, node.offset + node.length);
    if (node.type !== 'number' || !/^\d+$/.test(raw) || Number(raw) > max) {
      this.invalid(node, text(`${where} must be an integer from 0 to ${max}`, `${where} は 0 から ${max} までの整数でなければなりません`));
      return undefined;
    }
    return Number(raw);
  }

  /** Reads a 64-bit unsigned value from its digits, so that values above 2^53 stay exact. */
  uint64(node: Node | undefined, where: string): bigint | undefined {
    if (node === undefined) return 0n;
    const raw = this.content.slice(node.offset, node.offset + node.length);
    if (node.type !== 'number' || !/^\d+$/.test(raw) || BigInt(raw) > 0xffffffffffffffffn) {
      this.invalid(node, text(`${where} must be an integer from 0 to 2^64-1`, `${where} は 0 から 2^64-1 までの整数でなければなりません`));
      return undefined;
    }
    return BigInt(raw);
  }

  action(node: Node | undefined, where: string, offset: number): string | undefined {
    if (node === undefined) {
      this.report(offset, 'seccomp.missing-field', 'error', text(`${where} is missing`, `${where} がありません`));
      return undefined;
    }
    const action = this.string(node, where);
    if (action === undefined) return undefined;
    if (!ACTIONS.has(action)) {
      this.report(node.offset, 'seccomp.unknown-action', 'error', text(
        `unknown action "${action}" in ${where}; use one of ${[...ACTIONS].join(', ')}`,
        `${where} の "${action}" は不明なアクションです。${[...ACTIONS].join(', ')} のいずれかを使ってください`,
      ), action);
      return undefined;
    }
    return action;
  }

  arch(item: Located<string>, where: string): boolean {
    if (KNOWN_ARCHES.has(item.value)) return true;
    this.report(item.offset, 'seccomp.unknown-arch', 'error', text(
      `unknown architecture "${item.value}" in ${where}; names look like SCMP_ARCH_X86_64 or SCMP_ARCH_AARCH64`,
      `${where} の "${item.value}" は不明なアーキテクチャです。SCMP_ARCH_X86_64 や SCMP_ARCH_AARCH64 のような名前を使ってください`,
    ), item.value);
    return false;
  }
}

function firstJsonError(errors: ParseError[]): ParseError | undefined {
  return errors[0];
}

/** Parses and checks the structure of a profile; `profile` is absent when the file cannot be used at all. */
export function parseProfile(content: string, path: string): ParsedProfile {
  const reader = new Reader(path, content);
  const errors: ParseError[] = [];
  const root = parseTree(content, errors, { disallowComments: true, allowTrailingComma: false });
  const error = firstJsonError(errors);
  if (error !== undefined || root === undefined) {
    const offset = error?.offset ?? 0;
    const reason = error === undefined ? 'empty file' : printParseErrorCode(error.error);
    reader.report(offset, 'seccomp.invalid-json', 'error', text(
      `invalid JSON (${reason}); fix the syntax at this position`,
      `JSON として正しくありません(${reason})。この位置の構文を直してください`,
    ));
    return { findings: reader.findings };
  }
  if (root.type !== 'object') {
    reader.invalid(root, text('a profile must be a JSON object', 'プロファイルは JSON オブジェクトでなければなりません'));
    return { findings: reader.findings };
  }

  const top = reader.properties(root, 'the profile', TOP_LEVEL_KEYS);
  const defaultAction = reader.action(top.get('defaultAction'), '"defaultAction"', root.offset);
  const profile: SeccompProfile = { defaultAction: defaultAction ?? '', architectures: [], archMap: [], syscalls: [], offset: root.offset };
  const defaultErrnoRet = reader.integer(top.get('defaultErrnoRet'), '"defaultErrnoRet"', MAX_ERRNO);
  if (defaultErrnoRet !== undefined) profile.defaultErrnoRet = defaultErrnoRet;
  if (defaultAction === 'SCMP_ACT_NOTIFY') {
    reader.report(top.get('defaultAction')?.offset ?? 0, 'seccomp.notify-default', 'error', text(
      'SCMP_ACT_NOTIFY cannot be the default action; runc and crun reject it because the notifying process itself would be stopped',
      'SCMP_ACT_NOTIFY は既定のアクションにできません。通知を受けるプロセス自体が止まるため runc と crun は拒否します',
    ));
  }

  profile.architectures = reader.stringArray(top.get('architectures'), '"architectures"').filter((item) => reader.arch(item, '"architectures"'));
  profile.archMap = readArchMap(reader, top.get('archMap'));
  const archMapNode = top.get('archMap');
  if (profile.architectures.length > 0 && profile.archMap.length > 0 && archMapNode !== undefined) {
    reader.report(archMapNode.offset, 'seccomp.arch-and-archmap', 'error', text(
      'the profile has both "architectures" and "archMap"; Docker rejects such a profile, so keep only one of them',
      '"architectures" と "archMap" の両方があります。Docker はこのプロファイルを拒否するので、どちらか一方だけにしてください',
    ));
  }

  const syscalls = top.get('syscalls');
  if (syscalls !== undefined && syscalls.type !== 'null') {
    if (syscalls.type !== 'array') reader.invalid(syscalls, text('"syscalls" must be an array of rules', '"syscalls" はルールの配列でなければなりません'));
    else (syscalls.children ?? []).forEach((node, index) => {
      const rule = readRule(reader, node, index);
      if (rule !== undefined) profile.syscalls.push(rule);
    });
  }

  if (defaultAction === undefined) return { findings: reader.findings };
  return { profile, findings: reader.findings };
}

function readArchMap(reader: Reader, node: Node | undefined): ArchMapEntry[] {
  if (node === undefined || node.type === 'null') return [];
  if (node.type !== 'array') {
    reader.invalid(node, text('"archMap" must be an array of {"architecture", "subArchitectures"}', '"archMap" は {"architecture", "subArchitectures"} の配列でなければなりません'));
    return [];
  }
  const entries: ArchMapEntry[] = [];
  for (const item of node.children ?? []) {
    if (item.type !== 'object') {
      reader.invalid(item, text('an "archMap" entry must be an object', '"archMap" の要素はオブジェクトでなければなりません'));
      continue;
    }
    const fields = reader.properties(item, 'an "archMap" entry', new Set(['architecture', 'subArchitectures']));
    const architectureNode = fields.get('architecture');
    const architecture = reader.string(architectureNode, '"archMap[].architecture"');
    if (architecture === undefined || architectureNode === undefined) {
      if (architectureNode === undefined) reader.report(item.offset, 'seccomp.missing-field', 'error', text('an "archMap" entry has no "architecture"', '"archMap" の要素に "architecture" がありません'));
      continue;
    }
    if (!reader.arch({ value: architecture, offset: architectureNode.offset }, '"archMap"')) continue;
    const subArchitectures = reader.stringArray(fields.get('subArchitectures'), '"archMap[].subArchitectures"').filter((sub) => reader.arch(sub, '"subArchitectures"'));
    entries.push({ architecture, subArchitectures: subArchitectures.map((sub) => sub.value), offset: item.offset });
  }
  return entries;
}

function readRule(reader: Reader, node: Node, index: number): SeccompRule | undefined {
  const where = `syscalls[${index}]`;
  if (node.type !== 'object') {
    reader.invalid(node, text(`${where} must be an object`, `${where} はオブジェクトでなければなりません`));
    return undefined;
  }
  const fields = reader.properties(node, where, RULE_KEYS);
  const action = reader.action(fields.get('action'), `${where}.action`, node.offset);

  let names = reader.stringArray(fields.get('names'), `${where}.names`);
  const single = fields.get('name');
  if (single !== undefined) {
    const name = reader.string(single, `${where}.name`);
    if (fields.has('names')) {
      reader.report(single.offset, 'seccomp.name-and-names', 'error', text(
        `${where} has both "name" and "names"; Docker rejects such a rule, so move the name into "names"`,
        `${where} に "name" と "names" の両方があります。Docker はこのルールを拒否するので、名前を "names" に移してください`,
      ));
    } else if (name !== undefined) {
      names = [{ value: name, offset: single.offset }];
    }
  }
  if (!fields.has('names') && single === undefined) {
    reader.report(node.offset, 'seccomp.missing-field', 'error', text(`${where} has no "names"`, `${where} に "names" がありません`));
  } else if (names.length === 0 && single === undefined) {
    reader.report(fields.get('names')?.offset ?? node.offset, 'seccomp.empty-rule', 'warning', text(`${where} names no system call, so it does nothing`, `${where} はシステムコールを 1 つも指定していないので何もしません`));
  }

  const errnoRet = reader.integer(fields.get('errnoRet'), `${where}.errnoRet`, MAX_ERRNO);
  if (errnoRet !== undefined && action !== undefined && action !== 'SCMP_ACT_ERRNO' && action !== 'SCMP_ACT_TRACE') {
    reader.report(fields.get('errnoRet')?.offset ?? node.offset, 'seccomp.errno-ignored', 'warning', text(
      `${where}.errnoRet applies only to SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not ${action}`,
      `${where}.errnoRet は SCMP_ACT_ERRNO と SCMP_ACT_TRACE にだけ効き、${action} には効きません`,
    ));
  }

  const args = readArgs(reader, fields.get('args'), where);
  const includes = readFilter(reader, fields.get('includes'), `${where}.includes`);
  const excludes = readFilter(reader, fields.get('excludes'), `${where}.excludes`);
  if (action === undefined || args === undefined || includes === undefined || excludes === undefined) return undefined;

  const rule: SeccompRule = { index, names, action, args, includes, excludes, offset: node.offset };
  if (errnoRet !== undefined) rule.errnoRet = errnoRet;
  return rule;
}

function readArgs(reader: Reader, node: Node | undefined, where: string): SeccompArg[] | undefined {
  if (node === undefined || node.type === 'null') return [];
  if (node.type !== 'array') {
    reader.invalid(node, text(`${where}.args must be an array`, `${where}.args は配列でなければなりません`));
    return undefined;
  }
  const args: SeccompArg[] = [];
  let valid = true;
  for (const item of node.children ?? []) {
    if (item.type !== 'object') {
      reader.invalid(item, text(`${where}.args[] must be an object`, `${where}.args[] はオブジェクトでなければなりません`));
      valid = false;
      continue;
    }
    const fields = reader.properties(item, `${where}.args[]`, ARG_KEYS);
    const indexNode = fields.get('index');
    const index = reader.integer(indexNode, `${where}.args[].index`, 5);
    if (indexNode === undefined) reader.report(item.offset, 'seccomp.missing-field', 'error', text(`${where}.args[] has no "index"`, `${where}.args[] に "index" がありません`));
    const value = reader.uint64(fields.get('value'), `${where}.args[].value`);
    const valueTwo = reader.uint64(fields.get('valueTwo'), `${where}.args[].valueTwo`);
    const opNode = fields.get('op');
    const op = reader.string(opNode, `${where}.args[].op`);
    if (opNode === undefined) reader.report(item.offset, 'seccomp.missing-field', 'error', text(`${where}.args[] has no "op"`, `${where}.args[] に "op" がありません`));
    else if (op !== undefined && !OPERATORS.has(op)) {
      reader.report(opNode.offset, 'seccomp.unknown-operator', 'error', text(
        `unknown operator "${op}" in ${where}.args; use one of ${[...OPERATORS].join(', ')}`,
        `${where}.args の "${op}" は不明な演算子です。${[...OPERATORS].join(', ')} のいずれかを使ってください`,
      ), op);
    }
    if (index === undefined || value === undefined || valueTwo === undefined || op === undefined || !OPERATORS.has(op)) {
      valid = false;
      continue;
    }
    args.push({ index, value, valueTwo, op, offset: item.offset });
  }
  return valid ? args : undefined;
}

function readFilter(reader: Reader, node: Node | undefined, where: string): RuleFilter | undefined {
  if (node === undefined || node.type === 'null') return { arches: [], caps: [] };
  if (node.type !== 'object') {
    reader.invalid(node, text(`${where} must be an object`, `${where} はオブジェクトでなければなりません`));
    return undefined;
  }
  const fields = reader.properties(node, where, FILTER_KEYS);

  const arches: string[] = [];
  for (const item of reader.stringArray(fields.get('arches'), `${where}.arches`)) {
    const arch = GO_ARCHES[item.value];
    if (arch === undefined) {
      reader.report(item.offset, 'seccomp.unknown-arch', 'error', text(
        `unknown architecture "${item.value}" in ${where}.arches; these use Go names such as amd64, x86, x32, arm64, arm`,
        `${where}.arches の "${item.value}" は不明なアーキテクチャです。amd64、x86、x32、arm64、arm のような Go の名前を使ってください`,
      ), item.value);
      continue;
    }
    arches.push(arch);
  }

  const caps = reader.stringArray(fields.get('caps'), `${where}.caps`);
  for (const cap of caps) {
    if (!/^CAP_[A-Z_]+$/.test(cap.value)) {
      reader.report(cap.offset, 'seccomp.invalid-value', 'error', text(`${where}.caps: "${cap.value}" is not a capability name such as CAP_SYS_ADMIN`, `${where}.caps: "${cap.value}" は CAP_SYS_ADMIN のようなケーパビリティ名ではありません`), cap.value);
    }
  }

  const filter: RuleFilter = { arches, caps: caps.map((cap) => cap.value) };
  const minKernelNode = fields.get('minKernel');
  const minKernel = reader.string(minKernelNode, `${where}.minKernel`);
  if (minKernel !== undefined && minKernelNode !== undefined) {
    if (/^\d+\.\d+$/.test(minKernel)) filter.minKernel = minKernel;
    else reader.invalid(minKernelNode, text(`${where}.minKernel must look like "4.8"`, `${where}.minKernel は "4.8" のような形でなければなりません`));
  }
  return filter;
}
