import { text } from '../core/text.js';
import type { IptablesDocument, IptablesOption, IptablesRule, TableState } from '../parse/iptables.js';
import { findOption, resolveTable } from '../parse/iptables.js';
import { lastAssignment, parseShellVars } from '../parse/shellvars.js';
import type { RootFs } from '../target/rootfs.js';
import { TargetError } from '../target/rootfs.js';
import { findShadowedRules } from './firewall-shadow.js';
import type { Problem } from './problem.js';
import { problemFromDiagnostic, problemFromError } from './problem.js';

/**
 * Firewall model: the rule files the init system loads, and the effect of a rule set on the
 * packets the hardening guide cares about. The analysis covers the filter table and is generic.
 * It evaluates sample packets ("probes") through the chains instead of looking for the guide's
 * exact lines.
 */

export interface Evidence {
  path: string;
  line: number;
}

// ---------------------------------------------------------------------------------------------
// Rule files

export type FirewallFileRole = 'openrc' | 'netfilter-persistent' | 'guide';

export interface FirewallFileChoice {
  path: string;
  /** Convention that names the file. */
  role: FirewallFileRole;
  /** True when the path comes from the default, not from a conf.d assignment. */
  isDefault: boolean;
  /** The conf.d assignment that names the file. */
  evidence?: Evidence;
  exists: boolean;
}

export interface FamilyFiles {
  family: 4 | 6;
  /** The file the init system loads at boot; undefined when no convention applies. */
  loaded?: FirewallFileChoice;
  /** Other rule files found, e.g. the guide's rules.v4 next to an OpenRC rules-save. */
  others: { path: string; role: FirewallFileRole }[];
  /** `SAVE_ON_STOP`: OpenRC overwrites the loaded file with the live rules when the service stops. */
  saveOnStop?: { value: boolean; evidence: Evidence };
}

export interface FirewallFiles {
  init: 'openrc' | 'netfilter-persistent' | 'unknown';
  ipv4: FamilyFiles;
  ipv6: FamilyFiles;
  problems: Problem[];
}

const OPENRC_FILES = {
  4: { confd: '/etc/conf.d/iptables', variable: 'IPTABLES_SAVE', fallback: '/etc/iptables/rules-save', service: '/etc/init.d/iptables' },
  6: { confd: '/etc/conf.d/ip6tables', variable: 'IP6TABLES_SAVE', fallback: '/etc/iptables/rules6-save', service: '/etc/init.d/ip6tables' },
} as const;

const PERSISTENT_FILES = { 4: '/etc/iptables/rules.v4', 6: '/etc/iptables/rules.v6' } as const;

function safeExists(fs: RootFs, path: string): boolean {
  try {
    return fs.exists(path);
  } catch {
    return false;
  }
}

function detectInit(fs: RootFs): FirewallFiles['init'] {
  if (safeExists(fs, '/etc/init.d/iptables') || safeExists(fs, '/etc/init.d/ip6tables')) return 'openrc';
  const persistent = ['/usr/sbin/netfilter-persistent', '/etc/init.d/netfilter-persistent', '/usr/share/netfilter-persistent'];
  if (persistent.some((path) => safeExists(fs, path))) return 'netfilter-persistent';
  if (safeExists(fs, '/sbin/openrc') || safeExists(fs, '/sbin/openrc-run') || safeExists(fs, '/etc/runlevels')) return 'openrc';
  return 'unknown';
}

/** Read the OpenRC conf.d file of one family: the save path and SAVE_ON_STOP. */
function readOpenRcConf(fs: RootFs, family: 4 | 6, problems: Problem[]): Pick<FamilyFiles, 'loaded' | 'saveOnStop'> {
  const spec = OPENRC_FILES[family];
  let source: string | undefined;
  try {
    source = fs.readTextIfExists(spec.confd)?.text;
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    problems.push(problemFromError(error));
    return {};
  }

  const result: Pick<FamilyFiles, 'loaded' | 'saveOnStop'> = {};
  const doc = source === undefined ? undefined : parseShellVars(source, spec.confd);
  const assignment = doc === undefined ? undefined : lastAssignment(doc, spec.variable);
  const saveOnStop = doc === undefined ? undefined : lastAssignment(doc, 'SAVE_ON_STOP');
  if (saveOnStop !== undefined) {
    result.saveOnStop = { value: saveOnStop.value.toLowerCase() === 'yes', evidence: { path: spec.confd, line: saveOnStop.line } };
  }

  if (assignment !== undefined && /[$`]/.test(assignment.value)) {
    problems.push({
      path: spec.confd,
      line: assignment.line,
      column: assignment.valueColumn,
      code: 'firewall.save-path-expansion',
      value: assignment.rawValue,
      message: text(
        `${spec.variable} uses shell expansion, so the file it names cannot be known without running the shell`,
        `${spec.variable} はシェルの展開を使っているため、シェルを実行しないとファイル名がわかりません`,
      ),
    });
    return result;
  }

  const path = assignment === undefined || assignment.value === '' ? spec.fallback : assignment.value;
  result.loaded = {
    path,
    role: 'openrc',
    isDefault: assignment === undefined || assignment.value === '',
    ...(assignment === undefined ? {} : { evidence: { path: spec.confd, line: assignment.line } }),
    exists: safeExists(fs, path),
  };
  return result;
}

function familyFiles(fs: RootFs, family: 4 | 6, init: FirewallFiles['init'], problems: Problem[]): FamilyFiles {
  const files: FamilyFiles = { family, others: [] };
  if (init === 'openrc') Object.assign(files, readOpenRcConf(fs, family, problems));
  if (init === 'netfilter-persistent') {
    const path = PERSISTENT_FILES[family];
    files.loaded = { path, role: 'netfilter-persistent', isDefault: true, exists: safeExists(fs, path) };
  }

  const candidates: { path: string; role: FirewallFileRole }[] = [
    { path: PERSISTENT_FILES[family], role: family === 4 ? 'guide' : 'netfilter-persistent' },
    { path: OPENRC_FILES[family].fallback, role: 'openrc' },
  ];
  for (const candidate of candidates) {
    if (candidate.path !== files.loaded?.path && safeExists(fs, candidate.path)) files.others.push(candidate);
  }
  return files;
}

/**
 * Find the rule files of both families and the one the init system loads: OpenRC reads the path
 * in `IPTABLES_SAVE` / `IP6TABLES_SAVE` of /etc/conf.d (default /etc/iptables/rules-save and
 * rules6-save), Debian's netfilter-persistent reads /etc/iptables/rules.v4 and rules.v6.
 */
export function firewallFiles(fs: RootFs): FirewallFiles {
  const problems: Problem[] = [];
  const init = detectInit(fs);
  return {
    init,
    ipv4: familyFiles(fs, 4, init, problems),
    ipv6: familyFiles(fs, 6, init, problems),
    problems,
  };
}

// ---------------------------------------------------------------------------------------------
// Probes: sample packets evaluated through the chains.

type Tri = 'yes' | 'no' | 'maybe';

const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG'] as const;

interface Probe {
  /** Undefined: any protocol. */
  protocol?: 'tcp' | 'udp' | 'icmp' | 'icmpv6';
  dport?: number;
  tcpFlags?: ReadonlySet<string>;
  icmpType?: number;
  /** Connection tracking state; undefined: any. */
  state?: 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID';
  loopback: boolean;
  /** The source sends faster than any rate limit and more often than 4 new connections a minute. */
  flooding: boolean;
}

function and(values: Tri[]): Tri {
  if (values.includes('no')) return 'no';
  if (values.includes('maybe')) return 'maybe';
  return 'yes';
}

function negate(value: Tri, negated: boolean): Tri {
  if (!negated || value === 'maybe') return value;
  return value === 'yes' ? 'no' : 'yes';
}

function protocolNumber(name: string): number | undefined {
  const names: Record<string, number> = { all: 0, icmp: 1, tcp: 6, udp: 17, 'ipv6-icmp': 58, icmpv6: 58, icmp6: 58 };
  const lower = name.toLowerCase();
  if (lower in names) return names[lower];
  return /^\d+$/.test(lower) ? Number(lower) : undefined;
}

const PROBE_PROTOCOLS = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 } as const;

function matchProtocol(option: IptablesOption, probe: Probe): Tri {
  const ruleProtocol = protocolNumber(option.args[0] ?? '');
  if (ruleProtocol === 0) return negate('yes', option.negated);
  if (probe.protocol === undefined || ruleProtocol === undefined) return 'maybe';
  return negate(PROBE_PROTOCOLS[probe.protocol] === ruleProtocol ? 'yes' : 'no', option.negated);
}

function isAnyAddress(value: string): boolean {
  return ['0.0.0.0/0', '0/0', '::/0', '0.0.0.0/0.0.0.0'].includes(value);
}

function matchInterface(option: IptablesOption, probe: Probe): Tri {
  const name = option.args[0] ?? '';
  if (name === '+') return negate('yes', option.negated);
  if (option.name === 'out-interface') return 'maybe';
  const isLoopbackName = name === 'lo' || name === 'lo+';
  if (probe.loopback) return negate(isLoopbackName ? 'yes' : 'no', option.negated);
  return isLoopbackName ? negate('no', option.negated) : 'maybe';
}

function matchBasic(option: IptablesOption, probe: Probe): Tri {
  switch (option.name) {
    case 'protocol':
      return matchProtocol(option, probe);
    case 'source':
    case 'destination':
      return isAnyAddress(option.args[0] ?? '') ? negate('yes', option.negated) : 'maybe';
    case 'in-interface':
    case 'out-interface':
      return matchInterface(option, probe);
    case 'fragment':
      // Probes are whole, unfragmented packets.
      return negate('no', option.negated);
    default:
      return 'maybe';
  }
}

const SERVICE_PORTS: Record<string, number> = { ssh: 22, http: 80, https: 443, domain: 53, smtp: 25, ftp: 21, telnet: 23 };

/** Parse `22`, `1:1024`, `:1024`, `1024:` or a service name into an inclusive range. */
export function parsePortRange(value: string): [number, number] | undefined {
  const single = (part: string, fallback: number): number | undefined => {
    if (part === '') return fallback;
    if (/^\d+$/.test(part)) return Number(part);
    return SERVICE_PORTS[part.toLowerCase()];
  };
  const [low, high] = value.includes(':') ? value.split(':', 2) : [value, value];
  const from = single(low ?? '', 0);
  const to = single(high ?? '', 65535);
  return from === undefined || to === undefined ? undefined : [from, to];
}

function matchPorts(values: string[], port: number | undefined): Tri {
  if (port === undefined) return 'maybe';
  for (const value of values) {
    const range = parsePortRange(value);
    if (range === undefined) return 'maybe';
    if (port >= range[0] && port <= range[1]) return 'yes';
  }
  return 'no';
}

function parseFlagList(value: string): Set<string> | undefined {
  if (value === 'ALL') return new Set(TCP_FLAGS);
  if (value === 'NONE') return new Set();
  const flags = value.split(',');
  return flags.every((flag) => (TCP_FLAGS as readonly string[]).includes(flag)) ? new Set(flags) : undefined;
}

function matchTcpFlags(maskText: string, compareText: string, probe: Probe): Tri {
  const mask = parseFlagList(maskText);
  const compare = parseFlagList(compareText);
  if (mask === undefined || compare === undefined || probe.tcpFlags === undefined) return 'maybe';
  for (const flag of mask) {
    if (probe.tcpFlags.has(flag) !== compare.has(flag)) return 'no';
  }
  return 'yes';
}

const ICMP_TYPES: Record<4 | 6, Record<string, number>> = {
  4: { 'echo-reply': 0, pong: 0, 'destination-unreachable': 3, 'source-quench': 4, redirect: 5, 'echo-request': 8, ping: 8, 'time-exceeded': 11, 'parameter-problem': 12 },
  6: { 'destination-unreachable': 1, 'packet-too-big': 2, 'time-exceeded': 3, 'parameter-problem': 4, 'echo-request': 128, ping: 128, 'echo-reply': 129, pong: 129 },
};

function matchIcmpType(value: string, probe: Probe, family: 4 | 6): Tri {
  if (value === 'any') return 'yes';
  if (probe.icmpType === undefined) return 'maybe';
  const numeric = /^(\d+)(\/\d+)?$/.exec(value);
  const type = numeric !== null ? Number(numeric[1]) : ICMP_TYPES[family][value];
  if (type === undefined) return 'maybe';
  return type === probe.icmpType ? 'yes' : 'no';
}

function matchStates(value: string, probe: Probe): Tri {
  if (probe.state === undefined) return 'maybe';
  return value.split(',').includes(probe.state) ? 'yes' : 'no';
}

/** The brute-force threshold the guide sets for SSH: 4 new connections within 60 seconds. */
export const BRUTE_FORCE_LIMIT = { hitcount: 4, seconds: 60 };

function matchRecent(options: IptablesOption[], probe: Probe): Tri {
  const check = options.find((option) => option.name === 'update' || option.name === 'rcheck');
  if (check === undefined) return 'yes';
  // NOTE: the check is not paired with a `--set` of the same --name, so a list that nothing
  // fills is taken as counting connections.
  const hitcountText = options.find((option) => option.name === 'hitcount')?.args[0];
  const secondsText = options.find((option) => option.name === 'seconds')?.args[0];
  const hitcount = hitcountText === undefined ? undefined : Number(hitcountText);
  const seconds = secondsText === undefined ? undefined : Number(secondsText);

  let result: Tri;
  if (probe.flooding) {
    // A client opening BRUTE_FORCE_LIMIT.hitcount connections per BRUTE_FORCE_LIMIT.seconds is
    // caught when the rule needs no more hits within a window at least that long.
    const fewEnoughHits = hitcount === undefined || hitcount <= BRUTE_FORCE_LIMIT.hitcount;
    const longEnoughWindow = seconds === undefined || seconds >= BRUTE_FORCE_LIMIT.seconds;
    result = fewEnoughHits && longEnoughWindow ? 'yes' : 'no';
  } else {
    result = hitcount !== undefined && hitcount >= 2 ? 'no' : 'maybe';
  }
  return negate(result, check.negated);
}

function matchLimit(module: string, options: IptablesOption[], probe: Probe): Tri {
  // hashlimit-above matches the packets over the rate, the other forms those under it.
  const above = module === 'hashlimit' && options.some((option) => option.name === 'hashlimit-above');
  let result: Tri = probe.flooding ? 'no' : 'yes';
  if (above) result = probe.flooding ? 'yes' : 'no';
  const negated = options.some((option) => option.negated);
  return negate(result, negated);
}

function matchModuleOption(module: string, option: IptablesOption, probe: Probe, family: 4 | 6): Tri {
  const first = option.args[0] ?? '';
  switch (option.name) {
    case 'dport':
      return negate(matchPorts([first], probe.dport), option.negated);
    case 'dports':
    case 'ports':
      return negate(matchPorts(first.split(','), probe.dport), option.negated);
    case 'tcp-flags':
      return negate(matchTcpFlags(first, option.args[1] ?? '', probe), option.negated);
    case 'syn':
      return negate(matchTcpFlags('FIN,SYN,RST,ACK', 'SYN', probe), option.negated);
    case 'icmp-type':
    case 'icmpv6-type':
      return negate(matchIcmpType(first, probe, family), option.negated);
    case 'state':
    case 'ctstate':
      return negate(matchStates(first, probe), option.negated);
    case 'comment':
      return 'yes';
    default:
      return module === 'comment' ? 'yes' : 'maybe';
  }
}

const MODULE_PROTOCOL: Record<string, Probe['protocol']> = { tcp: 'tcp', udp: 'udp', icmp: 'icmp', icmp6: 'icmpv6' };

function matchModule(module: string, options: IptablesOption[], probe: Probe, family: 4 | 6): Tri {
  if (module === 'recent') return matchRecent(options, probe);
  if (module === 'limit' || module === 'hashlimit') return matchLimit(module, options, probe);
  const protocol = MODULE_PROTOCOL[module];
  let protocolResult: Tri = 'yes';
  if (protocol !== undefined && probe.protocol !== undefined && protocol !== probe.protocol) protocolResult = 'no';
  return and([protocolResult, ...options.map((option) => matchModuleOption(module, option, probe, family))]);
}

function matchRule(rule: IptablesRule, probe: Probe, family: 4 | 6): Tri {
  return and([
    ...rule.basic.map((option) => matchBasic(option, probe)),
    ...rule.matches.map((match) => matchModule(match.module, match.options, probe, family)),
  ]);
}

/** True when the rule matches every packet: no conditions, or only ones that are always true. */
export function matchesEverything(rule: IptablesRule): boolean {
  const basicAlwaysTrue = rule.basic.every((option) => {
    if (option.negated) return false;
    if (option.name === 'protocol') return protocolNumber(option.args[0] ?? '') === 0;
    if (option.name === 'source' || option.name === 'destination') return isAnyAddress(option.args[0] ?? '');
    if (option.name === 'in-interface' || option.name === 'out-interface') return option.args[0] === '+';
    return false;
  });
  return basicAlwaysTrue && rule.matches.every((match) => match.module === 'comment');
}

// ---------------------------------------------------------------------------------------------
// Chain walking

const VERDICTS = new Set(['ACCEPT', 'DROP', 'REJECT', 'QUEUE', 'NFQUEUE']);

/** Target extensions that never end a packet's walk through the chain. */
const CONTINUING_TARGETS = new Set([
  'LOG', 'NFLOG', 'ULOG', 'MARK', 'CONNMARK', 'CLASSIFY', 'DSCP', 'TOS', 'TTL', 'HL', 'TCPMSS',
  'CT', 'NOTRACK', 'TRACE', 'AUDIT', 'SECMARK', 'CONNSECMARK', 'SET', 'CHECKSUM', 'TEE', 'LED',
  'IDLETIMER', 'RATEEST', 'HMARK', 'ECN', 'TCPOPTSTRIP',
]);

type TargetKind = 'verdict' | 'return' | 'chain' | 'continue' | 'unknown';

function targetKind(rule: IptablesRule, table: TableState): TargetKind {
  const name = rule.target?.name;
  if (name === undefined) return 'continue';
  if (VERDICTS.has(name)) return 'verdict';
  if (name === 'RETURN') return 'return';
  if (table.chains.has(name)) return 'chain';
  if (CONTINUING_TARGETS.has(name)) return 'continue';
  return 'unknown';
}

/** End of a chain for every packet that enters it: a verdict, a return, or none. */
export type ChainEnd =
  | { kind: 'verdict'; verdict: string; chain: string; index: number; via: IptablesRule[] }
  | { kind: 'return'; index: number }
  | { kind: 'falls-through' }
  | { kind: 'unknown' };

/** Find the rule at which the chain stops for every packet, if there is one, and what it does. */
function findChainEnd(table: TableState, chainName: string, stack: string[]): { end: ChainEnd; mayReturnBefore: boolean } {
  const chain = table.chains.get(chainName);
  if (chain === undefined || stack.includes(chainName)) return { end: { kind: 'unknown' }, mayReturnBefore: true };
  let mayReturn = false;

  for (const [index, rule] of chain.rules.entries()) {
    const kind = targetKind(rule, table);
    const unconditional = matchesEverything(rule);
    if (kind === 'return' || (kind === 'chain' && rule.target?.goto === true)) {
      if (unconditional) return { end: { kind: 'return', index }, mayReturnBefore: mayReturn };
      mayReturn = true;
      continue;
    }
    if (kind === 'chain') {
      const callee = findChainEnd(table, rule.target?.name ?? '', [...stack, chainName]);
      // Packets that come back from the callee go on with the next rule here.
      if (callee.end.kind !== 'verdict' || callee.mayReturnBefore) continue;
      if (unconditional) {
        const end: ChainEnd = { ...callee.end, via: [rule, ...callee.end.via] };
        return { end, mayReturnBefore: mayReturn };
      }
      continue;
    }
    if (kind === 'verdict' && unconditional) {
      return { end: { kind: 'verdict', verdict: rule.target?.name ?? '', chain: chainName, index, via: [] }, mayReturnBefore: mayReturn };
    }
  }
  return { end: { kind: 'falls-through' }, mayReturnBefore: mayReturn };
}

/** Return the index of the first rule of a chain after which no rule is reached. */
function findShadowingRule(table: TableState, chainName: string): number | undefined {
  // Cached per table, because reachability checks ask once per rule.
  let cache = shadowingCache.get(table);
  if (cache === undefined) {
    cache = new Map();
    shadowingCache.set(table, cache);
  }
  if (!cache.has(chainName)) cache.set(chainName, computeShadowingRule(table, chainName));
  return cache.get(chainName);
}

const shadowingCache = new WeakMap<TableState, Map<string, number | undefined>>();

function computeShadowingRule(table: TableState, chainName: string): number | undefined {
  const chain = table.chains.get(chainName);
  if (chain === undefined) return undefined;
  for (const [index, rule] of chain.rules.entries()) {
    if (!matchesEverything(rule)) continue;
    const kind = targetKind(rule, table);
    if (kind === 'verdict' || kind === 'return') return index;
    if (kind === 'chain') {
      if (rule.target?.goto === true) return index;
      const callee = findChainEnd(table, rule.target?.name ?? '', [chainName]);
      if (callee.end.kind === 'verdict' && !callee.mayReturnBefore) return index;
    }
  }
  return undefined;
}

interface TraceStep {
  rule: IptablesRule;
  chain: string;
  match: Tri;
  /** All enclosing jumps matched the probe for certain. */
  certain: boolean;
}

interface ProbeResult {
  verdict: string;
  /** The rules that decided, outermost jump first; empty when the policy decided. */
  decidedBy: IptablesRule[];
  byPolicy: boolean;
  trace: TraceStep[];
}

type WalkEnd = { kind: 'verdict'; verdict: string; rules: IptablesRule[] } | { kind: 'return' } | { kind: 'falls-through' };

function walkChain(
  table: TableState,
  family: 4 | 6,
  chainName: string,
  probe: Probe,
  certain: boolean,
  stack: string[],
  trace: TraceStep[],
): WalkEnd {
  const chain = table.chains.get(chainName);
  if (chain === undefined || stack.includes(chainName) || stack.length > 32) return { kind: 'falls-through' };

  for (const rule of chain.rules) {
    const match = matchRule(rule, probe, family);
    trace.push({ rule, chain: chainName, match, certain });
    if (match === 'no') continue;
    const matchedForCertain = certain && match === 'yes';
    const kind = targetKind(rule, table);

    if (kind === 'verdict' && matchedForCertain) return { kind: 'verdict', verdict: rule.target?.name ?? '', rules: [rule] };
    if (kind === 'return' && matchedForCertain) return { kind: 'return' };
    if (kind === 'chain') {
      const end = walkChain(table, family, rule.target?.name ?? '', probe, matchedForCertain, [...stack, chainName], trace);
      if (end.kind === 'verdict') return { ...end, rules: [rule, ...end.rules] };
      if (rule.target?.goto === true && matchedForCertain) return { kind: 'return' };
    }
  }
  return { kind: 'falls-through' };
}

function evaluateProbe(table: TableState, family: 4 | 6, chainName: string, probe: Probe): ProbeResult {
  const trace: TraceStep[] = [];
  const end = walkChain(table, family, chainName, probe, true, [], trace);
  if (end.kind === 'verdict') return { verdict: end.verdict, decidedBy: end.rules, byPolicy: false, trace };
  return { verdict: table.chains.get(chainName)?.policy ?? 'ACCEPT', decidedBy: [], byPolicy: true, trace };
}

// ---------------------------------------------------------------------------------------------
// Analysis

export interface Fact<T> {
  value: T;
  /** Lines that decide the value: the deciding rule (and the jumps to it) or the policy line. */
  evidence: Evidence[];
}

export interface PolicyFact extends Fact<string> {
  /** False when the chain has no `:CHAIN` line and keeps the built-in default ACCEPT. */
  declared: boolean;
}

export interface DefaultFact extends Fact<string> {
  /** `rule` when an unconditional terminal rule decides before the policy is reached. */
  source: 'policy' | 'rule';
}

export interface SshFinding {
  port: number;
  /** A new connection to the port is accepted. */
  allowed: Fact<boolean>;
  /** A client opening 4 connections within 60 seconds is dropped or rejected. */
  bruteForceLimited: Fact<boolean>;
}

export interface IcmpEchoFinding {
  /** Echo requests within the rate limit are accepted. */
  accepted: Fact<boolean>;
  /** No echo request is accepted without a rate limit (true when none is accepted at all). */
  rateLimited: Fact<boolean>;
  /**
   * The rate limit exists but an ESTABLISHED rule accepts the flood first: conntrack files all
   * echo requests of one ping process (same identifier) under one entry, ESTABLISHED after the
   * first reply. Evidence is the rule that accepts them.
   */
  bypassedByConntrack: Fact<boolean>;
}

export type AntiScanKind = 'null' | 'fin' | 'xmas' | 'syn-fin' | 'syn-rst';

export interface AntiScanFinding {
  kind: AntiScanKind;
  /** Rules that drop the scan packet by its TCP flags, in INPUT or a chain it jumps to. */
  rules: Evidence[];
  present: boolean;
  /** At least one of those rules is reached. */
  reachable: boolean;
  /** ACCEPT rules that may take the scan packet before the first reachable drop rule. */
  acceptedBefore: Evidence[];
  /** What decides the scan packet when no drop rule for it is reached, e.g. a drop of INVALID packets. */
  decidedBefore?: { verdict: string; evidence: Evidence[] };
}

export interface UnreachableRule {
  chain: string;
  rule: Evidence;
  /** The earlier rule that ends the chain for every packet this rule would match. */
  shadowedBy: Evidence;
}

export interface AllowedPorts {
  protocol: 'tcp' | 'udp';
  ranges: [number, number][];
  /** The rule has other conditions (addresses, interfaces, rate limits), so not every client is allowed. */
  restricted: boolean;
  evidence: Evidence[];
}

export interface FirewallAnalysis {
  family: 4 | 6;
  path: string;
  /** False when the document has errors, so a fact may not describe what the kernel would load. */
  complete: boolean;
  problems: Problem[];
  /** Undefined when the document has no filter table. */
  filter?: FilterFacts;
}

export interface FilterFacts {
  inputPolicy: PolicyFact;
  forwardPolicy: PolicyFact;
  outputPolicy: PolicyFact;
  inputDefault: DefaultFact;
  forwardDefault: DefaultFact;
  loopbackAccepted: Fact<boolean>;
  establishedAccepted: Fact<boolean>;
  invalidDropped: Fact<boolean>;
  ssh: SshFinding[];
  icmpEcho: IcmpEchoFinding;
  logBeforeFinalDrop: Fact<boolean>;
  antiScan: AntiScanFinding[];
  unreachable: UnreachableRule[];
  usesStateMatch: Fact<boolean>;
  allowedPorts: AllowedPorts[];
}

export interface AnalyzeOptions {
  /** TCP ports SSH listens on; default [22]. */
  sshPorts?: number[];
}

/**
 * Analyse the filter table of an iptables-restore document. Facts come from evaluating sample
 * packets through the chains, so rules written in any order or style are judged by their effect.
 */
export function analyzeRuleset(doc: IptablesDocument, family: 4 | 6, options: AnalyzeOptions = {}): FirewallAnalysis {
  const problems = doc.diagnostics.filter((diagnostic) => diagnostic.severity === 'error').map(problemFromDiagnostic);
  const table = resolveTable(doc, 'filter');
  const analysis: FirewallAnalysis = { family, path: doc.path, complete: problems.length === 0, problems };
  if (table === undefined) return analysis;

  const evidence = (rule: IptablesRule): Evidence => ({ path: doc.path, line: rule.line });
  const context: AnalysisContext = { table, family, evidence, path: doc.path };
  analysis.filter = {
    inputPolicy: policyFact(context, 'INPUT'),
    forwardPolicy: policyFact(context, 'FORWARD'),
    outputPolicy: policyFact(context, 'OUTPUT'),
    inputDefault: defaultFact(context, 'INPUT'),
    forwardDefault: defaultFact(context, 'FORWARD'),
    loopbackAccepted: probeFact(context, { loopback: true, flooding: false }, (verdict) => verdict === 'ACCEPT'),
    establishedAccepted: establishedFact(context),
    invalidDropped: invalidFact(context),
    ssh: (options.sshPorts ?? [22]).map((port) => sshFinding(context, port)),
    icmpEcho: icmpEchoFinding(context),
    logBeforeFinalDrop: logBeforeDropFact(context),
    antiScan: antiScanFindings(context),
    unreachable: unreachableRules(context),
    usesStateMatch: stateMatchFact(context),
    allowedPorts: allowedPorts(context),
  };
  return analysis;
}

interface AnalysisContext {
  table: TableState;
  family: 4 | 6;
  path: string;
  evidence: (rule: IptablesRule) => Evidence;
}

function policyFact(context: AnalysisContext, chainName: string): PolicyFact {
  const chain = context.table.chains.get(chainName);
  const line = chain?.policyLine;
  return {
    value: chain?.policy ?? 'ACCEPT',
    evidence: line === undefined ? [] : [{ path: context.path, line }],
    declared: line !== undefined,
  };
}

function defaultFact(context: AnalysisContext, chainName: string): DefaultFact {
  const { end } = findChainEnd(context.table, chainName, []);
  if (end.kind === 'verdict') {
    const chain = context.table.chains.get(end.chain);
    const finalRule = chain?.rules[end.index];
    const rules = finalRule === undefined ? end.via : [...end.via, finalRule];
    return { value: end.verdict, source: 'rule', evidence: rules.map(context.evidence) };
  }
  const policy = policyFact(context, chainName);
  return { value: policy.value, source: 'policy', evidence: policy.evidence };
}

function verdictEvidence(context: AnalysisContext, result: ProbeResult): Evidence[] {
  if (!result.byPolicy) return result.decidedBy.map(context.evidence);
  return policyFact(context, 'INPUT').evidence;
}

function probeFact(context: AnalysisContext, probe: Probe, accepts: (verdict: string) => boolean): Fact<boolean> {
  const result = evaluateProbe(context.table, context.family, 'INPUT', probe);
  return { value: accepts(result.verdict), evidence: verdictEvidence(context, result) };
}

function establishedFact(context: AnalysisContext): Fact<boolean> {
  const states = ['ESTABLISHED', 'RELATED'] as const;
  const results = states.map((state) => evaluateProbe(context.table, context.family, 'INPUT', { state, loopback: false, flooding: false }));
  const evidence = results.flatMap((result) => verdictEvidence(context, result));
  const unique = evidence.filter((item, index) => evidence.findIndex((other) => other.line === item.line) === index);
  return { value: results.every((result) => result.verdict === 'ACCEPT'), evidence: unique };
}

/** Decide whether every INVALID packet is dropped: DROP or REJECT, and no ACCEPT may take one first. */
function invalidFact(context: AnalysisContext): Fact<boolean> {
  const result = evaluateProbe(context.table, context.family, 'INPUT', { state: 'INVALID', loopback: false, flooding: false });
  const acceptedFirst = result.trace.filter((step) => step.match === 'maybe' && step.rule.target?.name === 'ACCEPT');
  const dropped = result.verdict === 'DROP' || result.verdict === 'REJECT';
  return {
    value: dropped && acceptedFirst.length === 0,
    evidence: [...acceptedFirst.map((step) => context.evidence(step.rule)), ...verdictEvidence(context, result)],
  };
}

function sshFinding(context: AnalysisContext, port: number): SshFinding {
  const base: Probe = { protocol: 'tcp', dport: port, tcpFlags: new Set(['SYN']), state: 'NEW', loopback: false, flooding: false };
  const client = evaluateProbe(context.table, context.family, 'INPUT', base);
  const attacker = evaluateProbe(context.table, context.family, 'INPUT', { ...base, flooding: true });
  const allowed = client.verdict === 'ACCEPT';
  const stopped = attacker.verdict === 'DROP' || attacker.verdict === 'REJECT';
  return {
    port,
    allowed: { value: allowed, evidence: verdictEvidence(context, client) },
    bruteForceLimited: { value: allowed && stopped, evidence: verdictEvidence(context, attacker) },
  };
}

function icmpEchoFinding(context: AnalysisContext): IcmpEchoFinding {
  const base: Probe = {
    protocol: context.family === 4 ? 'icmp' : 'icmpv6',
    icmpType: context.family === 4 ? 8 : 128,
    state: 'NEW',
    loopback: false,
    flooding: false,
  };
  const normal = evaluateProbe(context.table, context.family, 'INPUT', base);
  const flood = evaluateProbe(context.table, context.family, 'INPUT', { ...base, flooding: true });
  const repeated = evaluateProbe(context.table, context.family, 'INPUT', { ...base, state: 'ESTABLISHED', flooding: true });
  const accepted = normal.verdict === 'ACCEPT';
  const rateLimited = !accepted || flood.verdict !== 'ACCEPT';
  const bypassed = accepted && rateLimited && repeated.verdict === 'ACCEPT';
  return {
    accepted: { value: accepted, evidence: verdictEvidence(context, normal) },
    rateLimited: { value: rateLimited, evidence: verdictEvidence(context, accepted ? flood : normal) },
    bypassedByConntrack: { value: bypassed, evidence: bypassed ? verdictEvidence(context, repeated) : [] },
  };
}

const LOG_TARGETS = new Set(['LOG', 'NFLOG', 'ULOG']);

/** Tell whether a rule logs a rate-limited sample of every packet: LOG with a limit and no other condition. */
function isRateLimitedLog(rule: IptablesRule | undefined): boolean {
  if (rule === undefined || !LOG_TARGETS.has(rule.target?.name ?? '')) return false;
  const limited = rule.matches.some((match) => match.module === 'limit' || match.module === 'hashlimit');
  const otherwiseUnconditional =
    rule.basic.length === 0 && rule.matches.every((match) => ['limit', 'hashlimit', 'comment'].includes(match.module));
  return limited && otherwiseUnconditional;
}

function logBeforeDropFact(context: AnalysisContext): Fact<boolean> {
  const { end } = findChainEnd(context.table, 'INPUT', []);
  const input = context.table.chains.get('INPUT');

  if (end.kind !== 'verdict') {
    // The policy decides: the log rule must be the last rule of INPUT.
    const last = input?.rules[input.rules.length - 1];
    const policy = policyFact(context, 'INPUT');
    const dropping = policy.value === 'DROP';
    const logged = dropping && isRateLimitedLog(last);
    return { value: logged, evidence: [...(logged && last !== undefined ? [context.evidence(last)] : []), ...policy.evidence] };
  }
  if (end.verdict !== 'DROP' && end.verdict !== 'REJECT') return { value: false, evidence: [] };

  const finalChain = context.table.chains.get(end.chain);
  const finalRule = finalChain?.rules[end.index];
  const candidates = [finalChain?.rules[end.index - 1]];
  // A jump to a logging drop chain may also be preceded by the log rule in INPUT itself.
  const firstJump = end.via[0];
  if (firstJump !== undefined && input !== undefined) candidates.push(input.rules[input.rules.indexOf(firstJump) - 1]);

  const log = candidates.find(isRateLimitedLog);
  const drops = [...end.via, ...(finalRule === undefined ? [] : [finalRule])].map(context.evidence);
  return { value: log !== undefined, evidence: [...(log === undefined ? [] : [context.evidence(log)]), ...drops] };
}

const SCAN_PACKETS: Record<AntiScanKind, string[]> = {
  null: [],
  fin: ['FIN'],
  xmas: ['FIN', 'PSH', 'URG'],
  'syn-fin': ['SYN', 'FIN'],
  'syn-rst': ['SYN', 'RST'],
};

/** Chains reached from `start` through jumps and gotos, `start` first. */
function reachableChains(table: TableState, start: string, onlyReachableRules: boolean): string[] {
  const seen = [start];
  for (let i = 0; i < seen.length; i++) {
    const name = seen[i] as string;
    const rules = table.chains.get(name)?.rules ?? [];
    const shadow = onlyReachableRules ? findShadowingRule(table, name) : undefined;
    const live = shadow === undefined ? rules : rules.slice(0, shadow + 1);
    for (const rule of live) {
      const target = rule.target?.name;
      if (target !== undefined && table.chains.has(target) && !seen.includes(target)) seen.push(target);
    }
  }
  return seen;
}

function isReachable(table: TableState, chainName: string, rule: IptablesRule, liveChains: string[]): boolean {
  if (!liveChains.includes(chainName)) return false;
  const rules = table.chains.get(chainName)?.rules ?? [];
  const shadow = findShadowingRule(table, chainName);
  return shadow === undefined || rules.indexOf(rule) <= shadow;
}

function dropsPacket(context: AnalysisContext, rule: IptablesRule): boolean {
  const name = rule.target?.name ?? '';
  if (name === 'DROP' || name === 'REJECT') return true;
  if (!context.table.chains.has(name)) return false;
  const { end, mayReturnBefore } = findChainEnd(context.table, name, []);
  return end.kind === 'verdict' && !mayReturnBefore && (end.verdict === 'DROP' || end.verdict === 'REJECT');
}

/**
 * Check the five scans of the guide. Linux connection tracking classifies their flag
 * combinations as INVALID (the `tcp_valid_flags` table in nf_conntrack_proto_tcp.c), so each
 * probe is an INVALID TCP packet with exactly those flags.
 */
function antiScanFindings(context: AnalysisContext): AntiScanFinding[] {
  const chains = reachableChains(context.table, 'INPUT', false);
  const liveChains = reachableChains(context.table, 'INPUT', true);

  return (Object.keys(SCAN_PACKETS) as AntiScanKind[]).map((kind) => {
    const probe: Probe = { protocol: 'tcp', tcpFlags: new Set(SCAN_PACKETS[kind]), state: 'INVALID', loopback: false, flooding: false };
    const flagsOnly: Probe = { protocol: 'tcp', tcpFlags: probe.tcpFlags, loopback: false, flooding: false };

    const found: { chain: string; rule: IptablesRule }[] = [];
    for (const chain of chains) {
      for (const rule of context.table.chains.get(chain)?.rules ?? []) {
        const flags = findOption(rule, 'tcp-flags') ?? findOption(rule, 'syn');
        if (flags === undefined || flags.negated || !dropsPacket(context, rule)) continue;
        const byFlags = matchModuleOption('tcp', flags, flagsOnly, context.family);
        if (byFlags === 'yes' && matchRule(rule, flagsOnly, context.family) !== 'no') found.push({ chain, rule });
      }
    }

    const reachable = found.filter((item) => isReachable(context.table, item.chain, item.rule, liveChains));
    const finding: AntiScanFinding = {
      kind,
      rules: found.map((item) => context.evidence(item.rule)),
      present: found.length > 0,
      reachable: reachable.length > 0,
      acceptedBefore: [],
    };

    const result = evaluateProbe(context.table, context.family, 'INPUT', probe);
    const firstDrop = reachable[0]?.rule;
    const stop = firstDrop === undefined ? result.trace.length : result.trace.findIndex((step) => step.rule === firstDrop);
    const before = stop === -1 ? result.trace : result.trace.slice(0, stop);
    finding.acceptedBefore = before
      .filter((step) => step.match !== 'no' && step.rule.target?.name === 'ACCEPT')
      .map((step) => context.evidence(step.rule));
    const reachedDrop = firstDrop !== undefined && stop !== -1;
    if (!reachedDrop) finding.decidedBefore = { verdict: result.verdict, evidence: verdictEvidence(context, result) };
    return finding;
  });
}

/** Rules of any table that no packet reaches, each with the unconditional rule above it that ends its chain. */
export function findUnreachableRules(table: TableState): { chain: string; rule: IptablesRule; shadowedBy: IptablesRule }[] {
  const out: { chain: string; rule: IptablesRule; shadowedBy: IptablesRule }[] = [];
  for (const chain of table.chains.values()) {
    const shadow = findShadowingRule(table, chain.name);
    if (shadow === undefined) continue;
    const shadowing = chain.rules[shadow] as IptablesRule;
    for (const rule of chain.rules.slice(shadow + 1)) out.push({ chain: chain.name, rule, shadowedBy: shadowing });
  }
  return out;
}

/**
 * Tell whether a packet that matches the rule never reaches the next rule of the chain: the
 * target is a verdict, RETURN, a goto, or a jump to a chain that always ends in a verdict.
 */
export function ruleEndsChain(table: TableState, rule: IptablesRule): boolean {
  const kind = targetKind(rule, table);
  if (kind === 'verdict' || kind === 'return') return true;
  if (kind !== 'chain') return false;
  if (rule.target?.goto === true) return true;
  const callee = findChainEnd(table, rule.target?.name ?? '', []);
  return callee.end.kind === 'verdict' && !callee.mayReturnBefore;
}

/** Rules no packet reaches: after an unconditional terminal rule, or under an earlier rule that covers them. */
function unreachableRules(context: AnalysisContext): UnreachableRule[] {
  return [...findUnreachableRules(context.table), ...findShadowedRules(context.table)].map((item) => ({
    chain: item.chain,
    rule: context.evidence(item.rule),
    shadowedBy: context.evidence(item.shadowedBy),
  }));
}

function stateMatchFact(context: AnalysisContext): Fact<boolean> {
  const rules = [...context.table.chains.values()].flatMap((chain) => chain.rules);
  const users = rules.filter((rule) => rule.matches.some((match) => match.module === 'state'));
  return { value: users.length > 0, evidence: users.map(context.evidence) };
}

/** Modules that do not narrow which clients may connect to an accepted port. */
const NEUTRAL_MODULES = new Set(['tcp', 'udp', 'multiport', 'state', 'conntrack', 'comment']);

function portRanges(rule: IptablesRule): [number, number][] {
  const dport = findOption(rule, 'dport');
  const dports = findOption(rule, 'dports') ?? findOption(rule, 'ports');
  const option = dport ?? dports;
  if (option === undefined || option.negated) return [[0, 65535]];
  const values = option === dports ? (option.args[0] ?? '').split(',') : [option.args[0] ?? ''];
  return values.map(parsePortRange).filter((range): range is [number, number] => range !== undefined);
}

/** TCP and UDP ports that INPUT accepts new connections on, for comparison with listening sockets. */
function allowedPorts(context: AnalysisContext): AllowedPorts[] {
  const out: AllowedPorts[] = [];
  const liveChains = reachableChains(context.table, 'INPUT', true);
  for (const chainName of liveChains) {
    for (const rule of context.table.chains.get(chainName)?.rules ?? []) {
      if (rule.target?.name !== 'ACCEPT' || !isReachable(context.table, chainName, rule, liveChains)) continue;
      const newConnection: Probe = { state: 'NEW', loopback: false, flooding: false };
      if (matchRule(rule, newConnection, context.family) === 'no') continue;

      const protocolOption = rule.basic.find((option) => option.name === 'protocol');
      const protocol = protocolOption === undefined || protocolOption.negated ? undefined : protocolNumber(protocolOption.args[0] ?? '');
      let protocols: ('tcp' | 'udp')[] = [];
      if (protocol === undefined || protocol === 0) protocols = ['tcp', 'udp'];
      if (protocol === 6) protocols = ['tcp'];
      if (protocol === 17) protocols = ['udp'];
      const restricted =
        rule.basic.some((option) => option.name !== 'protocol') ||
        rule.matches.some((match) => !NEUTRAL_MODULES.has(match.module)) ||
        chainName !== 'INPUT';
      for (const name of protocols) {
        out.push({ protocol: name, ranges: portRanges(rule), restricted, evidence: [context.evidence(rule)] });
      }
    }
  }
  return out;
}
