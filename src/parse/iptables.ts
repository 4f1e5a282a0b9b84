import type { Diagnostic } from '../core/diagnostic.js';
import type { Text } from '../core/text.js';
import { text } from '../core/text.js';
import { splitLines } from './shellvars.js';

/**
 * Lossless parser for the iptables-save / iptables-restore format (IPv4 and IPv6).
 *
 * Lines are classified as iptables-restore 1.8 does. A comment needs `#` as its first byte and
 * a blank line must be empty. `*table`, `:CHAIN` and `COMMIT` count only at the start of a
 * line, and every other line inside a table is an iptables command. Arguments are split with
 * iptables-restore's quoting rules (`add_param_to_argv` in iptables' xshared.c): only double
 * quotes group, `\` escapes the next character inside quotes only, and a closing quote ends
 * the argument.
 */

export interface IptablesToken {
  /** The argument after quote removal. */
  value: string;
  /** 0-based offset of the first byte in the line (an opening quote included). */
  start: number;
  /** 0-based offset just after the last byte (a closing quote included). */
  end: number;
  quoted: boolean;
}

/** One option of a rule: a basic match (`-p`, `-s`, ...), a module option or a target option. */
export interface IptablesOption {
  /** Long name without dashes, aliases resolved: `protocol`, `dport`, `log-prefix`. */
  name: string;
  /** The option as written, e.g. `-p` or `--destination-port`. */
  flag: string;
  args: string[];
  negated: boolean;
  /** Negation written after the option (`--dport ! 22`), which iptables 1.8 rejects. */
  negatedAfter: boolean;
  /** 1-based column of the option (of its `!` when negated before it). */
  column: number;
}

export interface IptablesMatch {
  module: string;
  /** False for the implicit protocol match of `-p tcp --dport 22` without `-m tcp`. */
  explicit: boolean;
  column: number;
  options: IptablesOption[];
}

export interface IptablesTarget {
  name: string;
  /** `-g` (goto) instead of `-j` (jump). */
  goto: boolean;
  column: number;
  options: IptablesOption[];
}

interface LineBase {
  /** 1-based line number. */
  line: number;
  /** The line without its line ending. */
  raw: string;
  eol: string;
}

export interface IptablesSimpleLine extends LineBase {
  kind: 'blank' | 'comment' | 'commit' | 'invalid';
}

export interface IptablesTableLine extends LineBase {
  kind: 'table';
  name: string;
  nameColumn: number;
}

export interface IptablesChainLine extends LineBase {
  kind: 'chain';
  name: string;
  nameColumn: number;
  /** `ACCEPT` or `DROP` for built-in chains, `-` for user chains; empty when missing. */
  policy: string;
  policyColumn: number;
  counters?: string;
}

export type RuleCommand = 'append' | 'insert' | 'delete' | 'replace' | 'check';
export type ChainCommand = 'new-chain' | 'delete-chain' | 'policy' | 'flush' | 'zero' | 'rename-chain';

export interface IptablesRule extends LineBase {
  kind: 'rule';
  command: RuleCommand;
  chain: string;
  chainColumn: number;
  /** Rule number of `-I CHAIN n`, `-R CHAIN n` or `-D CHAIN n`. */
  ruleNumber?: number;
  /** `[packets:bytes]` prefix or `-c packets bytes`. */
  counters?: { packets: string; bytes: string };
  /** Basic matches: protocol, source, destination, in-interface, out-interface, fragment. */
  basic: IptablesOption[];
  matches: IptablesMatch[];
  target?: IptablesTarget;
  tokens: IptablesToken[];
}

export interface IptablesChainCommand extends LineBase {
  kind: 'command';
  command: ChainCommand;
  /** Chain names and values after the command, e.g. `['INPUT', 'DROP']` for `-P INPUT DROP`. */
  args: string[];
  column: number;
  tokens: IptablesToken[];
}

export type IptablesLine =
  | IptablesSimpleLine
  | IptablesTableLine
  | IptablesChainLine
  | IptablesRule
  | IptablesChainCommand;

/** A `*table` ... `COMMIT` section; iptables-restore replaces the whole table with it. */
export interface IptablesTableBlock {
  name: string;
  line: number;
  /** Line of COMMIT; undefined when the file ends without one. */
  commitLine?: number;
  /** Indexes into `lines` of the lines inside the block. */
  lineIndexes: number[];
}

export interface IptablesDocument {
  path: string;
  lines: IptablesLine[];
  blocks: IptablesTableBlock[];
  diagnostics: Diagnostic[];
}

export const BUILTIN_CHAINS: Readonly<Record<string, readonly string[]>> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** Verdicts of the core and the target extensions shipped with iptables 1.8. */
const KNOWN_TARGETS = new Set([
  'ACCEPT', 'DROP', 'RETURN', 'QUEUE', 'REJECT', 'LOG', 'NFLOG', 'ULOG', 'NFQUEUE', 'MARK',
  'CONNMARK', 'MASQUERADE', 'SNAT', 'DNAT', 'REDIRECT', 'NETMAP', 'TCPMSS', 'TRACE', 'AUDIT',
  'CHECKSUM', 'CLASSIFY', 'DSCP', 'TOS', 'TTL', 'HL', 'TEE', 'TPROXY', 'SET', 'SECMARK',
  'CONNSECMARK', 'NOTRACK', 'CT', 'LED', 'IDLETIMER', 'RATEEST', 'SYNPROXY', 'CLUSTERIP', 'HMARK',
  'ECN', 'DNPT', 'SNPT', 'TCPOPTSTRIP', 'MIRROR', 'TARPIT',
]);

// ---------------------------------------------------------------------------------------------
// Option knowledge. getopt hands an option to the match or target that registered it, so the
// owner of `--dport` in `-p tcp -m state --state NEW --dport 22` is tcp, not state.

const MODULE_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  tcp: ['sport', 'source-port', 'dport', 'destination-port', 'tcp-flags', 'syn', 'tcp-option'],
  udp: ['sport', 'source-port', 'dport', 'destination-port'],
  udplite: ['sport', 'source-port', 'dport', 'destination-port'],
  sctp: ['sport', 'source-port', 'dport', 'destination-port', 'chunk-types'],
  dccp: ['sport', 'source-port', 'dport', 'destination-port', 'dccp-types', 'dccp-option'],
  icmp: ['icmp-type'],
  icmp6: ['icmpv6-type'],
  multiport: ['sports', 'source-ports', 'dports', 'destination-ports', 'ports'],
  state: ['state'],
  conntrack: [
    'ctstate', 'ctproto', 'ctorigsrc', 'ctorigdst', 'ctreplsrc', 'ctrepldst', 'ctorigsrcport',
    'ctorigdstport', 'ctreplsrcport', 'ctrepldstport', 'ctstatus', 'ctexpire', 'ctdir',
  ],
  recent: ['set', 'rcheck', 'update', 'remove', 'seconds', 'reap', 'hitcount', 'rttl', 'name', 'mask', 'rsource', 'rdest'],
  limit: ['limit', 'limit-burst'],
  hashlimit: [
    'hashlimit', 'hashlimit-upto', 'hashlimit-above', 'hashlimit-burst', 'hashlimit-mode',
    'hashlimit-srcmask', 'hashlimit-dstmask', 'hashlimit-name', 'hashlimit-htable-size',
    'hashlimit-htable-max', 'hashlimit-htable-expire', 'hashlimit-htable-gcinterval',
    'hashlimit-rate-match', 'hashlimit-rate-interval',
  ],
  connlimit: ['connlimit-upto', 'connlimit-above', 'connlimit-mask', 'connlimit-saddr', 'connlimit-daddr'],
  comment: ['comment'],
  iprange: ['src-range', 'dst-range'],
  mac: ['mac-source'],
  owner: ['uid-owner', 'gid-owner', 'socket-exists', 'suppl-groups'],
  addrtype: ['src-type', 'dst-type', 'limit-iface-in', 'limit-iface-out'],
  mark: ['mark'],
  connmark: ['mark'],
  length: ['length'],
  ttl: ['ttl-eq', 'ttl-gt', 'ttl-lt'],
  hl: ['hl-eq', 'hl-gt', 'hl-lt'],
  pkttype: ['pkt-type'],
  set: ['match-set', 'return-nomatch', 'update-counters', 'packets-eq', 'bytes-eq'],
  string: ['string', 'hex-string', 'algo', 'from', 'to', 'icase'],
  rpfilter: ['loose', 'validmark', 'accept-local', 'invert'],
  physdev: ['physdev-in', 'physdev-out', 'physdev-is-in', 'physdev-is-out', 'physdev-is-bridged'],
  LOG: ['log-level', 'log-prefix', 'log-tcp-sequence', 'log-tcp-options', 'log-ip-options', 'log-uid', 'log-macdecode'],
  REJECT: ['reject-with'],
  NFLOG: ['nflog-group', 'nflog-prefix', 'nflog-range', 'nflog-size', 'nflog-threshold'],
  MARK: ['set-mark', 'set-xmark', 'and-mark', 'or-mark', 'xor-mark'],
  CONNMARK: ['set-mark', 'set-xmark', 'save-mark', 'restore-mark', 'nfmask', 'ctmask', 'mask'],
  TCPMSS: ['set-mss', 'clamp-mss-to-pmtu'],
  DNAT: ['to-destination', 'random', 'persistent'],
  SNAT: ['to-source', 'random', 'random-fully', 'persistent'],
  MASQUERADE: ['to-ports', 'random', 'random-fully'],
  REDIRECT: ['to-ports', 'random'],
  NFQUEUE: ['queue-num', 'queue-balance', 'queue-bypass', 'fail-open', 'queue-cpu-fanout'],
  CT: ['notrack', 'helper', 'ctevents', 'expevents', 'zone', 'zone-orig', 'zone-reply', 'timeout'],
};

const NO_ARGUMENT = new Set([
  'fragment', 'syn', 'set', 'rcheck', 'update', 'remove', 'rsource', 'rdest', 'rttl', 'reap',
  'log-tcp-sequence', 'log-tcp-options', 'log-ip-options', 'log-uid', 'log-macdecode', 'random',
  'random-fully', 'persistent', 'queue-bypass', 'fail-open', 'queue-cpu-fanout',
  'clamp-mss-to-pmtu', 'notrack', 'loose', 'validmark', 'accept-local', 'invert', 'socket-exists',
  'suppl-groups', 'limit-iface-in', 'limit-iface-out', 'connlimit-saddr', 'connlimit-daddr',
  'save-mark', 'restore-mark', 'icase', 'physdev-is-in', 'physdev-is-out', 'physdev-is-bridged',
  'return-nomatch', 'update-counters', 'hashlimit-rate-match',
]);

const TWO_ARGUMENTS = new Set(['tcp-flags', 'set-counters']);

/** Long option names of the options every rule has, keyed by every spelling iptables accepts. */
const BASIC_OPTIONS: Readonly<Record<string, string>> = {
  '-p': 'protocol', '--protocol': 'protocol',
  '-s': 'source', '--source': 'source', '--src': 'source',
  '-d': 'destination', '--destination': 'destination', '--dst': 'destination',
  '-i': 'in-interface', '--in-interface': 'in-interface',
  '-o': 'out-interface', '--out-interface': 'out-interface',
  '-f': 'fragment', '--fragment': 'fragment',
};

const RULE_COMMANDS: Readonly<Record<string, RuleCommand>> = {
  '-A': 'append', '--append': 'append',
  '-I': 'insert', '--insert': 'insert',
  '-D': 'delete', '--delete': 'delete',
  '-R': 'replace', '--replace': 'replace',
  '-C': 'check', '--check': 'check',
};

const CHAIN_COMMANDS: Readonly<Record<string, ChainCommand>> = {
  '-N': 'new-chain', '--new-chain': 'new-chain', '--new': 'new-chain',
  '-X': 'delete-chain', '--delete-chain': 'delete-chain',
  '-P': 'policy', '--policy': 'policy',
  '-F': 'flush', '--flush': 'flush',
  '-Z': 'zero', '--zero': 'zero',
  '-E': 'rename-chain', '--rename-chain': 'rename-chain',
};

/** Option aliases that name the same thing; the first spelling is the one used in `name`. */
const OPTION_ALIASES: Readonly<Record<string, string>> = {
  'source-port': 'sport',
  'destination-port': 'dport',
  'source-ports': 'sports',
  'destination-ports': 'dports',
};

/** Return the implicit match that `-p NAME` loads, as iptables maps protocol names to extensions. */
export function protocolModule(protocol: string): string | undefined {
  switch (protocol.toLowerCase()) {
    case 'tcp':
    case '6':
      return 'tcp';
    case 'udp':
    case '17':
      return 'udp';
    case 'udplite':
    case '136':
      return 'udplite';
    case 'icmp':
    case '1':
      return 'icmp';
    case 'ipv6-icmp':
    case 'icmpv6':
    case 'icmp6':
    case '58':
      return 'icmp6';
    case 'sctp':
    case '132':
      return 'sctp';
    case 'dccp':
    case '33':
      return 'dccp';
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

export interface TokenizeResult {
  tokens: IptablesToken[];
  /** 0-based offset of a double quote that is never closed. */
  unclosedQuoteAt?: number;
}

/** Split one line into arguments exactly as iptables-restore does, recording offsets. */
export function tokenizeRestoreLine(line: string, from = 0): TokenizeResult {
  const tokens: IptablesToken[] = [];
  let value = '';
  let start = -1;
  let quoted = false;
  let quoteOpen = false;
  let quoteAt = -1;
  let escaped = false;

  const emit = (end: number): void => {
    tokens.push({ value, start, end, quoted });
    value = '';
    start = -1;
    quoted = false;
  };

  for (let i = from; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoteOpen) {
      if (escaped) {
        value += ch;
        escaped = false;
      } else if (ch === '\\') {
        escaped = true;
      } else if (ch === '"') {
        // A closing quote always ends the argument, even an empty one.
        quoteOpen = false;
        emit(i + 1);
      } else {
        value += ch;
      }
      continue;
    }
    if (ch === '"') {
      quoteOpen = true;
      quoted = true;
      quoteAt = i;
      if (start === -1) start = i;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\n') {
      if (start !== -1) emit(i);
      continue;
    }
    if (start === -1) start = i;
    value += ch;
  }

  // iptables-restore keeps the text after an unclosed quote as the last argument, but drops an
  // empty one.
  if (start !== -1 && value !== '') emit(line.length);
  return quoteOpen ? { tokens, unclosedQuoteAt: quoteAt } : { tokens };
}

// ---------------------------------------------------------------------------------------------
// Line parser

interface ParseContext {
  path: string;
  diagnostics: Diagnostic[];
}

function report(
  context: ParseContext,
  code: string,
  severity: 'error' | 'warning',
  line: number,
  column: number,
  value: string,
  message: Text,
): void {
  context.diagnostics.push({ path: context.path, line, column, code, severity, value, message });
}

function isOptionLike(token: IptablesToken | undefined): boolean {
  if (token === undefined || token.quoted) return false;
  return /^-[A-Za-z]$/.test(token.value) || /^--[A-Za-z]/.test(token.value);
}

/** Parts of a rule collected while its options are read. */
interface RuleBuilder {
  command: { kind: 'rule'; value: RuleCommand } | { kind: 'chain'; value: ChainCommand } | undefined;
  commandColumn: number;
  commandArgs: string[];
  chain: string | undefined;
  chainColumn: number;
  basic: IptablesOption[];
  matches: IptablesMatch[];
  target: IptablesTarget | undefined;
  /** Matches and the target in the order written, so an option goes to the latest that registered it. */
  owners: (IptablesMatch | IptablesTarget)[];
  counters?: { packets: string; bytes: string };
  ruleNumber?: number;
}

function ownerKnows(owner: IptablesMatch | IptablesTarget, name: string): boolean {
  const key = 'module' in owner ? owner.module : owner.name;
  return MODULE_OPTIONS[key]?.includes(name) ?? false;
}

function canonicalName(flag: string): string {
  const bare = flag.replace(/^--?/, '');
  return OPTION_ALIASES[bare] ?? bare;
}

function argumentCount(name: string): number {
  if (NO_ARGUMENT.has(name)) return 0;
  if (TWO_ARGUMENTS.has(name)) return 2;
  return 1;
}

function isKnownOption(name: string): boolean {
  if (NO_ARGUMENT.has(name) || TWO_ARGUMENTS.has(name)) return true;
  return Object.values(MODULE_OPTIONS).some((options) => options.includes(name));
}

/**
 * Find the match or target that owns a long option: the latest one that registered it, else
 * the implicit match of `-p`, else the latest one written (its options are not in our tables).
 */
function findOwner(builder: RuleBuilder, name: string, column: number): IptablesMatch | IptablesTarget | undefined {
  for (let i = builder.owners.length - 1; i >= 0; i--) {
    const owner = builder.owners[i] as IptablesMatch | IptablesTarget;
    if (ownerKnows(owner, name)) return owner;
  }

  const protocol = builder.basic.find((option) => option.name === 'protocol' && !option.negated);
  const implicit = protocol === undefined ? undefined : protocolModule(protocol.args[0] ?? '');
  if (implicit !== undefined && MODULE_OPTIONS[implicit]?.includes(name)) {
    const match: IptablesMatch = { module: implicit, explicit: false, column, options: [] };
    builder.matches.push(match);
    builder.owners.push(match);
    return match;
  }

  return builder.owners[builder.owners.length - 1];
}

function missingArgument(context: ParseContext, line: number, column: number, flag: string): void {
  report(
    context,
    'iptables.missing-argument',
    'error',
    line,
    column,
    flag,
    text(`option ${flag} requires an argument`, `オプション ${flag} には引数が必要です`),
  );
}

/** Parse the arguments of one command line inside a table into a rule or a chain command. */
function parseCommandLine(context: ParseContext, lineNumber: number, raw: string, eol: string): IptablesLine {
  let from = 0;
  let counters: { packets: string; bytes: string } | undefined;
  const prefix = /^\[(\d+):(\d+)\]/.exec(raw);
  if (prefix !== null) {
    counters = { packets: prefix[1] as string, bytes: prefix[2] as string };
    from = prefix[0].length;
  } else if (raw.startsWith('[')) {
    report(context, 'iptables.bad-counters', 'error', lineNumber, 1, raw.split(/[ \t]/)[0] ?? raw,
      text('invalid [packets:bytes] counters', '[パケット数:バイト数] のカウンタが不正です'));
    return { kind: 'invalid', line: lineNumber, raw, eol };
  }

  const tokenized = tokenizeRestoreLine(raw, from);
  if (tokenized.unclosedQuoteAt !== undefined) {
    report(context, 'iptables.unclosed-quote', 'error', lineNumber, tokenized.unclosedQuoteAt + 1,
      raw.slice(tokenized.unclosedQuoteAt),
      text(
        'double quote is not closed: iptables-restore takes the rest of the line, target included, as one argument',
        'ダブルクォートが閉じられていません。iptables-restore は行の残り(ターゲットを含む)を1つの引数として扱います',
      ));
  }
  const tokens = tokenized.tokens;

  const builder: RuleBuilder = {
    command: undefined,
    commandColumn: 1,
    commandArgs: [],
    chain: undefined,
    chainColumn: 1,
    basic: [],
    matches: [],
    target: undefined,
    owners: [],
    ...(counters === undefined ? {} : { counters }),
  };

  if (!readOptions(context, lineNumber, tokens, builder)) return { kind: 'invalid', line: lineNumber, raw, eol };
  return buildLine(context, lineNumber, raw, eol, tokens, builder);
}

/** Walk the tokens of a command line; returns false when the line cannot be understood. */
function readOptions(context: ParseContext, lineNumber: number, tokens: IptablesToken[], builder: RuleBuilder): boolean {
  let ok = true;
  let index = 0;
  let negate: IptablesToken | undefined;

  const take = (): IptablesToken | undefined => tokens[index++];

  while (index < tokens.length) {
    const token = take() as IptablesToken;
    const column = token.start + 1;
    const flag = token.value;

    if (flag === '!' && !token.quoted) {
      negate = token;
      continue;
    }
    const optionColumn = negate === undefined ? column : negate.start + 1;

    const ruleCommand = token.quoted ? undefined : RULE_COMMANDS[flag];
    const chainCommand = token.quoted ? undefined : CHAIN_COMMANDS[flag];
    if (ruleCommand !== undefined || chainCommand !== undefined) {
      if (builder.command !== undefined) {
        report(context, 'iptables.multiple-commands', 'error', lineNumber, column, flag,
          text(`more than one command on the line (${flag})`, `1行に複数のコマンドがあります (${flag})`));
        ok = false;
      }
      builder.commandColumn = column;
      if (ruleCommand !== undefined) {
        builder.command = { kind: 'rule', value: ruleCommand };
        const chain = take();
        if (chain === undefined) {
          missingArgument(context, lineNumber, column, flag);
          return false;
        }
        builder.chain = chain.value;
        builder.chainColumn = chain.start + 1;
        const next = tokens[index];
        if (ruleCommand !== 'append' && ruleCommand !== 'check' && next !== undefined && /^\d+$/.test(next.value)) {
          builder.ruleNumber = Number(next.value);
          index++;
        }
      } else if (chainCommand !== undefined) {
        builder.command = { kind: 'chain', value: chainCommand };
        while (index < tokens.length && !isOptionLike(tokens[index]) && tokens[index]?.value !== '!') {
          builder.commandArgs.push((take() as IptablesToken).value);
        }
        let needed = 0;
        if (chainCommand === 'new-chain') needed = 1;
        if (chainCommand === 'policy' || chainCommand === 'rename-chain') needed = 2;
        if (builder.commandArgs.length < needed) {
          missingArgument(context, lineNumber, column, flag);
          ok = false;
        }
      }
      negate = undefined;
      continue;
    }

    if (!token.quoted && (flag === '-c' || flag === '--set-counters')) {
      const packets = take();
      const bytes = take();
      if (packets === undefined || bytes === undefined) {
        missingArgument(context, lineNumber, column, flag);
        return false;
      }
      builder.counters = { packets: packets.value, bytes: bytes.value };
      continue;
    }

    const basicName = token.quoted ? undefined : BASIC_OPTIONS[flag];
    if (basicName !== undefined) {
      const option = readOptionArguments(context, lineNumber, tokens, index, flag, basicName, optionColumn, negate !== undefined, true);
      index = option.next;
      if (option.option === undefined) return false;
      builder.basic.push(option.option);
      negate = undefined;
      continue;
    }

    if (!token.quoted && (flag === '-m' || flag === '--match')) {
      if (negate !== undefined) {
        report(context, 'iptables.negated-match', 'error', lineNumber, negate.start + 1, '!',
          text('"!" cannot stand before -m', '"!" は -m の前に置けません'));
        ok = false;
      }
      const name = take();
      if (name === undefined) {
        missingArgument(context, lineNumber, column, flag);
        return false;
      }
      const match: IptablesMatch = { module: name.value, explicit: true, column, options: [] };
      builder.matches.push(match);
      builder.owners.push(match);
      negate = undefined;
      continue;
    }

    if (!token.quoted && (flag === '-j' || flag === '--jump' || flag === '-g' || flag === '--goto')) {
      const name = take();
      if (name === undefined) {
        missingArgument(context, lineNumber, column, flag);
        return false;
      }
      if (builder.target !== undefined) {
        report(context, 'iptables.multiple-targets', 'error', lineNumber, column, flag,
          text('more than one -j or -g on the line', '1行に複数の -j または -g があります'));
        ok = false;
      }
      const target: IptablesTarget = { name: name.value, goto: flag === '-g' || flag === '--goto', column, options: [] };
      builder.target = target;
      builder.owners.push(target);
      negate = undefined;
      continue;
    }

    if (!token.quoted && flag.startsWith('--') && flag.length > 2) {
      const name = canonicalName(flag);
      const owner = findOwner(builder, name, optionColumn);
      const option = readOptionArguments(context, lineNumber, tokens, index, flag, name, optionColumn, negate !== undefined, isKnownOption(name));
      index = option.next;
      if (option.option === undefined) return false;
      if (owner === undefined) {
        report(context, 'iptables.unknown-option', 'error', lineNumber, column, flag,
          text(`unknown option ${flag}: no match (-m) or target (-j) before it takes it`,
            `不明なオプション ${flag}: これを受け付けるマッチ (-m) やターゲット (-j) が前にありません`));
        ok = false;
      } else {
        owner.options.push(option.option);
      }
      negate = undefined;
      continue;
    }

    report(context, 'iptables.unexpected-argument', 'error', lineNumber, column, flag,
      text(`unexpected argument "${flag}"`, `予期しない引数 "${flag}" があります`));
    ok = false;
    negate = undefined;
  }

  if (negate !== undefined) {
    report(context, 'iptables.dangling-negation', 'error', lineNumber, negate.start + 1, '!',
      text('"!" at the end of the line negates nothing', '行末の "!" は何も否定していません'));
    ok = false;
  }
  return ok;
}

/** Read an option's arguments, including the old `--opt ! value` negation. */
function readOptionArguments(
  context: ParseContext,
  lineNumber: number,
  tokens: IptablesToken[],
  index: number,
  flag: string,
  name: string,
  column: number,
  negatedBefore: boolean,
  known: boolean,
): { option?: IptablesOption; next: number } {
  let count = argumentCount(name);
  let negatedAfter = false;

  // getopt gives a required argument the next word, whatever it looks like. For an option
  // missing from our tables, a following option-like word means it takes no argument.
  if (!known && count === 1 && (tokens[index] === undefined || isOptionLike(tokens[index]))) count = 0;

  if (count > 0 && tokens[index]?.value === '!' && !(tokens[index] as IptablesToken).quoted) {
    negatedAfter = true;
    report(context, 'iptables.negation-after-option', 'warning', lineNumber, (tokens[index] as IptablesToken).start + 1, '!',
      text(`"${flag} ! value" is the old negation syntax, which iptables 1.8 rejects: write "! ${flag} value"`,
        `"${flag} ! 値" は古い否定の書き方で、iptables 1.8 では拒否されます。"! ${flag} 値" と書いてください`));
    index++;
  }

  const args: string[] = [];
  for (let i = 0; i < count; i++) {
    const argument = tokens[index];
    if (argument === undefined) {
      missingArgument(context, lineNumber, column, flag);
      return { next: index };
    }
    args.push(argument.value);
    index++;
  }

  return {
    option: { name, flag, args, negated: negatedBefore || negatedAfter, negatedAfter, column },
    next: index,
  };
}

function buildLine(
  context: ParseContext,
  lineNumber: number,
  raw: string,
  eol: string,
  tokens: IptablesToken[],
  builder: RuleBuilder,
): IptablesLine {
  if (builder.command === undefined) {
    report(context, 'iptables.no-command', 'error', lineNumber, (tokens[0]?.start ?? 0) + 1, raw.trim(),
      text('no command (-A, -I, -N, -P, ...) on the line', '行にコマンド (-A, -I, -N, -P など) がありません'));
    return { kind: 'invalid', line: lineNumber, raw, eol };
  }

  if (builder.command.kind === 'chain') {
    return {
      kind: 'command',
      line: lineNumber,
      raw,
      eol,
      command: builder.command.value,
      args: builder.commandArgs,
      column: builder.commandColumn,
      tokens,
    };
  }

  return {
    kind: 'rule',
    line: lineNumber,
    raw,
    eol,
    command: builder.command.value,
    chain: builder.chain ?? '',
    chainColumn: builder.chainColumn,
    ...(builder.ruleNumber === undefined ? {} : { ruleNumber: builder.ruleNumber }),
    ...(builder.counters === undefined ? {} : { counters: builder.counters }),
    basic: builder.basic,
    matches: builder.matches,
    ...(builder.target === undefined ? {} : { target: builder.target }),
    tokens,
  };
}

function parseChainLine(context: ParseContext, lineNumber: number, raw: string, eol: string, table: string): IptablesLine {
  const tokens = tokenizeRestoreLine(raw, 1).tokens;
  const name = tokens[0];
  if (name === undefined) {
    report(context, 'iptables.missing-chain-name', 'error', lineNumber, 1, raw,
      text('chain line without a chain name', 'チェーン名のないチェーン行です'));
    return { kind: 'invalid', line: lineNumber, raw, eol };
  }

  const policy = tokens[1];
  const counters = tokens[2];
  if (policy === undefined) {
    report(context, 'iptables.missing-policy', 'error', lineNumber, name.end + 1, name.value,
      text(`chain ${name.value} has no policy: write ACCEPT, DROP or "-"`,
        `チェーン ${name.value} にポリシーがありません。ACCEPT、DROP または "-" を書いてください`));
  } else if (BUILTIN_CHAINS[table]?.includes(name.value) && policy.value !== 'ACCEPT' && policy.value !== 'DROP') {
    report(context, 'iptables.bad-policy', 'error', lineNumber, policy.start + 1, policy.value,
      text(`invalid policy "${policy.value}" for built-in chain ${name.value}: use ACCEPT or DROP`,
        `組み込みチェーン ${name.value} のポリシー "${policy.value}" は不正です。ACCEPT か DROP を使ってください`));
  }

  return {
    kind: 'chain',
    line: lineNumber,
    raw,
    eol,
    name: name.value,
    nameColumn: name.start + 1,
    policy: policy?.value ?? '',
    policyColumn: policy === undefined ? raw.length + 1 : policy.start + 1,
    ...(counters === undefined ? {} : { counters: counters.value }),
  };
}

/** Parse iptables-restore input. Problems become diagnostics instead of exceptions. */
export function parseIptables(source: string, path: string): IptablesDocument {
  const context: ParseContext = { path, diagnostics: [] };
  const lines: IptablesLine[] = [];
  const blocks: IptablesTableBlock[] = [];
  let block: IptablesTableBlock | undefined;
  let crlfReported = false;

  splitLines(source).forEach(({ raw, eol }, index) => {
    const lineNumber = index + 1;
    if (eol === '\r\n' && !crlfReported) {
      crlfReported = true;
      report(context, 'iptables.crlf', 'error', lineNumber, raw.length + 1, '\\r\\n',
        text('the file has CRLF (Windows) line endings, which iptables-restore rejects',
          'ファイルの改行が CRLF (Windows 形式) です。iptables-restore はこれを受け付けません'));
    }

    const parsed = classifyLine(context, lineNumber, raw, eol, block);
    lines.push(parsed);

    if (parsed.kind === 'table') {
      block = { name: parsed.name, line: lineNumber, lineIndexes: [] };
      blocks.push(block);
    } else if (block !== undefined) {
      block.lineIndexes.push(index);
      if (parsed.kind === 'commit') {
        block.commitLine = lineNumber;
        block = undefined;
      }
    }
  });

  if (block !== undefined) {
    report(context, 'iptables.missing-commit', 'error', block.line, 1, block.name,
      text(`table ${block.name} is not ended by COMMIT: iptables-restore loads nothing from it`,
        `テーブル ${block.name} が COMMIT で終わっていません。iptables-restore はこのテーブルを読み込みません`));
  }

  checkChains(context, lines, blocks);
  return { path, lines, blocks, diagnostics: context.diagnostics };
}

function classifyLine(
  context: ParseContext,
  lineNumber: number,
  raw: string,
  eol: string,
  block: IptablesTableBlock | undefined,
): IptablesLine {
  if (raw === '') return { kind: 'blank', line: lineNumber, raw, eol };
  if (raw.startsWith('#')) return { kind: 'comment', line: lineNumber, raw, eol };

  if (raw.startsWith('COMMIT')) {
    if (block === undefined) {
      report(context, 'iptables.commit-outside-table', 'error', lineNumber, 1, raw,
        text('COMMIT without a *table line before it', '対応する *table 行のない COMMIT です'));
      return { kind: 'invalid', line: lineNumber, raw, eol };
    }
    if (raw !== 'COMMIT') {
      report(context, 'iptables.commit-trailing-text', 'error', lineNumber, 7, raw.slice(6),
        text('text after COMMIT: iptables-restore accepts only "COMMIT" alone on the line',
          'COMMIT の後ろに文字があります。iptables-restore は "COMMIT" だけの行しか受け付けません'));
    }
    return { kind: 'commit', line: lineNumber, raw, eol };
  }

  if (raw.startsWith('*')) {
    if (block !== undefined) {
      report(context, 'iptables.table-inside-table', 'error', lineNumber, 1, raw,
        text(`table ${block.name} is not ended by COMMIT before this table`,
          `このテーブルの前に、テーブル ${block.name} が COMMIT で終わっていません`));
    }
    const name = tokenizeRestoreLine(raw, 1).tokens[0];
    const tableName = name?.value ?? '';
    if (BUILTIN_CHAINS[tableName] === undefined) {
      report(context, 'iptables.unknown-table', 'error', lineNumber, 2, tableName,
        text(`unknown table "${tableName}": use filter, nat, mangle, raw or security`,
          `不明なテーブル "${tableName}" です。filter、nat、mangle、raw、security のいずれかを使ってください`));
    }
    return { kind: 'table', line: lineNumber, raw, eol, name: tableName, nameColumn: (name?.start ?? 1) + 1 };
  }

  if (raw.trim() === '') {
    report(context, 'iptables.whitespace-line', 'error', lineNumber, 1, raw,
      text('line holds only spaces or tabs, which iptables-restore rejects: make it empty',
        '空白だけの行は iptables-restore が受け付けません。空行にしてください'));
    return { kind: 'invalid', line: lineNumber, raw, eol };
  }
  if (raw.trimStart().startsWith('#')) {
    report(context, 'iptables.indented-comment', 'error', lineNumber, raw.length - raw.trimStart().length + 1, raw.trim(),
      text('a comment must start at the first column: iptables-restore reads an indented "#" as a command',
        'コメントは行頭から始めてください。iptables-restore は字下げされた "#" をコマンドとして読みます'));
    return { kind: 'invalid', line: lineNumber, raw, eol };
  }

  if (block === undefined) {
    report(context, 'iptables.outside-table', 'error', lineNumber, 1, raw.trim(),
      text('line outside a table: start the table with a *filter (or other *table) line',
        'テーブルの外の行です。*filter などの *table 行でテーブルを始めてください'));
    return { kind: 'invalid', line: lineNumber, raw, eol };
  }

  if (raw.startsWith(':')) return parseChainLine(context, lineNumber, raw, eol, block.name);
  return parseCommandLine(context, lineNumber, raw, eol);
}

/** Report rules on chains that the table neither has built in nor declares, and unknown jumps. */
function checkChains(context: ParseContext, lines: IptablesLine[], blocks: IptablesTableBlock[]): void {
  for (const block of blocks) {
    const declared = new Set(BUILTIN_CHAINS[block.name] ?? []);
    for (const index of block.lineIndexes) {
      const line = lines[index] as IptablesLine;
      if (line.kind === 'chain') declared.add(line.name);
      if (line.kind === 'command' && line.command === 'new-chain' && line.args[0] !== undefined) declared.add(line.args[0]);
      if (line.kind === 'command' && line.command === 'rename-chain' && line.args[1] !== undefined) declared.add(line.args[1]);
    }

    for (const index of block.lineIndexes) {
      const line = lines[index] as IptablesLine;
      if (line.kind !== 'rule') continue;
      if (!declared.has(line.chain)) {
        report(context, 'iptables.unknown-chain', 'error', line.line, line.chainColumn, line.chain,
          text(`chain ${line.chain} is not declared in table ${block.name}: add ":${line.chain} - [0:0]"`,
            `チェーン ${line.chain} はテーブル ${block.name} で宣言されていません。":${line.chain} - [0:0]" を追加してください`));
      }
      const target = line.target;
      if (target !== undefined && !declared.has(target.name) && !KNOWN_TARGETS.has(target.name)) {
        report(context, 'iptables.unknown-target', 'warning', line.line, target.column, target.name,
          text(`${target.name} is neither a chain of table ${block.name} nor a known target`,
            `${target.name} はテーブル ${block.name} のチェーンでも既知のターゲットでもありません`));
      }
    }
  }
}

export function serializeIptables(doc: IptablesDocument): string {
  return doc.lines.map((line) => line.raw + line.eol).join('');
}

/** Parse the output of `iptables-save` or `ip6tables-save`; it is the same format. */
export function parseIptablesSave(output: string, path = '(iptables-save)'): IptablesDocument {
  return parseIptables(output, path);
}

// ---------------------------------------------------------------------------------------------
// Table state: what the kernel holds after iptables-restore has run the last block of a table.

export interface ChainState {
  name: string;
  builtin: boolean;
  /** Policy of a built-in chain; iptables-restore leaves an undeclared one at ACCEPT. */
  policy?: string;
  /** Line that set the policy; undefined when it is the default. */
  policyLine?: number;
  rules: IptablesRule[];
}

export interface TableState {
  name: string;
  /** Line of the `*table` line of the block that defines the table. */
  line: number;
  committed: boolean;
  chains: Map<string, ChainState>;
}

/** Build a key from a rule's conditions and target without positions, to find the rule `-D` names. */
function ruleSpecKey(rule: IptablesRule): string {
  const options = (list: IptablesOption[]): unknown[] => list.map((option) => [option.name, option.negated, option.args]);
  return JSON.stringify([
    options(rule.basic),
    rule.matches.map((match) => [match.module, options(match.options)]),
    rule.target === undefined ? null : [rule.target.name, rule.target.goto, options(rule.target.options)],
  ]);
}

/**
 * Replay the last block of `table` as iptables-restore would, so that `-I`, `-D`, `-F`, `-P`
 * and `-X` lines take effect. Returns undefined when the file has no block for the table.
 */
export function resolveTable(doc: IptablesDocument, table: string): TableState | undefined {
  const block = [...doc.blocks].reverse().find((candidate) => candidate.name === table);
  if (block === undefined) return undefined;

  const chains = new Map<string, ChainState>();
  for (const name of BUILTIN_CHAINS[table] ?? []) chains.set(name, { name, builtin: true, policy: 'ACCEPT', rules: [] });

  for (const index of block.lineIndexes) {
    const line = doc.lines[index] as IptablesLine;
    if (line.kind === 'chain') applyChainLine(chains, line);
    else if (line.kind === 'command') applyChainCommand(chains, line);
    else if (line.kind === 'rule') applyRule(chains, line);
  }

  return { name: table, line: block.line, committed: block.commitLine !== undefined, chains };
}

function applyChainLine(chains: Map<string, ChainState>, line: IptablesChainLine): void {
  const existing = chains.get(line.name);
  if (existing?.builtin === true) {
    existing.policy = line.policy;
    existing.policyLine = line.line;
    return;
  }
  if (existing === undefined) chains.set(line.name, { name: line.name, builtin: false, rules: [] });
}

function applyChainCommand(chains: Map<string, ChainState>, line: IptablesChainCommand): void {
  const [first, second] = line.args;
  switch (line.command) {
    case 'new-chain':
      if (first !== undefined && !chains.has(first)) chains.set(first, { name: first, builtin: false, rules: [] });
      break;
    case 'delete-chain':
      for (const chain of [...chains.values()]) {
        if (!chain.builtin && (first === undefined || chain.name === first)) chains.delete(chain.name);
      }
      break;
    case 'policy': {
      const chain = first === undefined ? undefined : chains.get(first);
      if (chain !== undefined && second !== undefined) {
        chain.policy = second;
        chain.policyLine = line.line;
      }
      break;
    }
    case 'flush':
      for (const chain of chains.values()) if (first === undefined || chain.name === first) chain.rules = [];
      break;
    case 'rename-chain': {
      const chain = first === undefined ? undefined : chains.get(first);
      if (chain !== undefined && second !== undefined && !chain.builtin) {
        chains.delete(chain.name);
        chain.name = second;
        chains.set(second, chain);
      }
      break;
    }
    case 'zero':
      break;
  }
}

function applyRule(chains: Map<string, ChainState>, rule: IptablesRule): void {
  const chain = chains.get(rule.chain);
  if (chain === undefined) return;
  switch (rule.command) {
    case 'append':
      chain.rules.push(rule);
      break;
    case 'insert': {
      const at = Math.min(Math.max((rule.ruleNumber ?? 1) - 1, 0), chain.rules.length);
      chain.rules.splice(at, 0, rule);
      break;
    }
    case 'replace':
      if (rule.ruleNumber !== undefined && rule.ruleNumber >= 1 && rule.ruleNumber <= chain.rules.length) {
        chain.rules[rule.ruleNumber - 1] = rule;
      }
      break;
    case 'delete': {
      const at = rule.ruleNumber !== undefined
        ? rule.ruleNumber - 1
        : chain.rules.findIndex((candidate) => ruleSpecKey(candidate) === ruleSpecKey(rule));
      if (at >= 0 && at < chain.rules.length) chain.rules.splice(at, 1);
      break;
    }
    case 'check':
      break;
  }
}

/** Find a rule's match option by long name, in the basic matches and then in every match (or only `module`). */
export function findOption(rule: IptablesRule, name: string, module?: string): IptablesOption | undefined {
  if (module === undefined) {
    const basic = rule.basic.find((option) => option.name === name);
    if (basic !== undefined) return basic;
  }
  for (const match of rule.matches) {
    if (module !== undefined && match.module !== module) continue;
    const option = match.options.find((candidate) => candidate.name === name);
    if (option !== undefined) return option;
  }
  return undefined;
}
