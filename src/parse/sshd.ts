import type { Diagnostic } from '../core/diagnostic.js';
import { text } from '../core/text.js';
import { splitLines } from './shellvars.js';

/**
 * Lossless parser for sshd_config(5). Tokenizing follows OpenSSH's servconf.c and misc.c
 * (`strdelim` for the keyword, `argv_split` for the arguments):
 *
 * - leading spaces, tabs and carriage returns and trailing white space and form feeds are ignored;
 * - a line whose first word starts with `#` is a comment;
 * - the keyword ends at white space, at one `=` or at a double quote, so `Port 22`, `Port=22`
 *   and `Port = 22` are the same;
 * - arguments are split at spaces and tabs; single and double quotes group words and are
 *   removed; a backslash escapes a quote, a backslash or (outside quotes) a space;
 * - an argument that starts with `#` ends the line, so `PermitRootLogin no # why` is valid.
 *
 * `Match` starts a block that lasts until the next `Match` or the end of the file.
 */

/** Scope of a keyword: only before the first Match (`global`) or also inside Match blocks (`any`). */
export type SshdKeywordScope = 'global' | 'any';

/**
 * Treatment of a keyword by sshd. sshd accepts a `deprecated` keyword, logs a message and ignores
 * it. An `alias` sets the keyword named in `aliasOf`.
 */
export type SshdKeywordStatus = 'current' | 'alias' | 'deprecated';

export interface SshdKeywordInfo {
  /** Spelling used in sshd_config(5). */
  name: string;
  scope: SshdKeywordScope;
  status: SshdKeywordStatus;
  /** Lower-case keyword that an alias sets. */
  aliasOf?: string;
  /**
   * First OpenSSH release that accepts it, for keywords newer than 9.1.
   * NOTE: the tests check these only against the installed sshd (9.2 on Debian bookworm).
   */
  since?: string;
  /** Set for keywords added by a distribution's patches rather than by OpenSSH. */
  vendor?: 'debian';
}

function entries(
  names: string,
  scope: SshdKeywordScope,
  extra: Partial<SshdKeywordInfo> = {},
): [string, SshdKeywordInfo][] {
  return names
    .split(/\s+/)
    .filter((name) => name !== '')
    .map((name) => [name.toLowerCase(), { name, scope, status: 'current', ...extra }]);
}

function alias(name: string, target: string, scope: SshdKeywordScope): [string, SshdKeywordInfo] {
  return [name.toLowerCase(), { name, scope, status: 'alias', aliasOf: target.toLowerCase() }];
}

/**
 * Keywords of OpenSSH portable 9.x and 10.x sshd with their scope (SSHCFG_GLOBAL or SSHCFG_ALL),
 * from the keywords[] table in servconf.c of OpenSSH 9.1 and the keyword list in servconf.h of
 * 10.x. The tests check names and scopes against the installed sshd with `sshd -t`. A build
 * without GSSAPI, Kerberos, PAM or lastlog still accepts those keywords as "unsupported".
 * FreeBSD's UseBlacklist and UseBlocklist are left out because portable OpenSSH rejects them.
 */
export const SSHD_KEYWORDS: ReadonlyMap<string, SshdKeywordInfo> = new Map<string, SshdKeywordInfo>([
  ...entries(
    `UsePAM Port HostKey HostKeyAgent PidFile ModuliFile LoginGraceTime SyslogFacility
     HostKeyAlgorithms KerberosOrLocalPasswd KerberosTicketCleanup KerberosGetAFSToken
     GSSAPICleanupCredentials GSSAPIStrictAcceptorCheck ListenAddress AddressFamily PrintMotd
     PrintLastLog IgnoreUserKnownHosts XAuthLocation StrictModes PermitUserEnvironment Compression
     TCPKeepAlive Ciphers MACs MaxStartups PerSourceMaxStartups PerSourceNetBlockSize UseDNS
     HostCertificate KexAlgorithms VersionAddendum FingerprintHash SecurityKeyProvider`,
    'global',
  ),
  ...entries('PerSourcePenalties PerSourcePenaltyExemptList SshdSessionPath', 'global', { since: '9.8' }),
  ...entries('SshdAuthPath PAMServiceName', 'global', { since: '10.0' }),
  ...entries(
    'GSSAPIKeyExchange GSSAPIKexAlgorithms GSSAPIStoreCredentialsOnRekey DebianBanner',
    'global',
    { vendor: 'debian' },
  ),
  ...entries(
    `PermitRootLogin LogLevel LogVerbose HostbasedAuthentication HostbasedUsesNameFromPacketOnly
     HostbasedAcceptedAlgorithms PubkeyAuthentication PubkeyAcceptedAlgorithms PubkeyAuthOptions
     KerberosAuthentication GSSAPIAuthentication PasswordAuthentication
     KbdInteractiveAuthentication IgnoreRhosts X11Forwarding X11DisplayOffset X11UseLocalhost
     PermitEmptyPasswords RekeyLimit AllowTcpForwarding AllowAgentForwarding AllowUsers DenyUsers
     AllowGroups DenyGroups GatewayPorts MaxAuthTries MaxSessions Banner ClientAliveInterval
     ClientAliveCountMax AuthorizedKeysFile AcceptEnv SetEnv PermitTunnel PermitTTY PermitUserRC
     Match PermitOpen PermitListen ForceCommand ChrootDirectory RevokedKeys TrustedUserCAKeys
     AuthorizedPrincipalsFile Include IPQoS AuthorizedKeysCommand AuthorizedKeysCommandUser
     AuthorizedPrincipalsCommand AuthorizedPrincipalsCommandUser AuthenticationMethods
     StreamLocalBindMask StreamLocalBindUnlink AllowStreamLocalForwarding DisableForwarding
     ExposeAuthInfo RDomain CASignatureAlgorithms RequiredRSASize`,
    'any',
  ),
  // NOTE: sshd 9.2 rejects Subsystem inside a Match block, but the 10.x keyword table allows it there.
  ...entries('Subsystem', 'any'),
  ...entries('ChannelTimeout UnusedConnectionTimeout', 'any', { since: '9.2' }),
  ...entries('RefuseConnection', 'any', { since: '10.0' }),
  alias('HostDSAKey', 'HostKey', 'global'),
  alias('HostbasedAcceptedKeyTypes', 'HostbasedAcceptedAlgorithms', 'any'),
  alias('PubkeyAcceptedKeyTypes', 'PubkeyAcceptedAlgorithms', 'any'),
  alias('DSAAuthentication', 'PubkeyAuthentication', 'global'),
  alias('ChallengeResponseAuthentication', 'KbdInteractiveAuthentication', 'any'),
  alias('SKeyAuthentication', 'KbdInteractiveAuthentication', 'any'),
  alias('KeepAlive', 'TCPKeepAlive', 'global'),
  ...entries(
    `PAMAuthenticationViaKbdInt ServerKeyBits KeyRegenerationInterval RhostsAuthentication
     CheckMail UseLogin VerifyReverseMapping ReverseMappingCheck UsePrivilegeSeparation
     KerberosTgtPassing AFSTokenPassing Protocol`,
    'global',
    { status: 'deprecated' },
  ),
  ...entries('RhostsRSAAuthentication RSAAuthentication AuthorizedKeysFile2', 'any', { status: 'deprecated' }),
]);

export function sshdKeywordInfo(keyword: string): SshdKeywordInfo | undefined {
  return SSHD_KEYWORDS.get(keyword.toLowerCase());
}

/** Lower-case keyword with aliases resolved: `ChallengeResponseAuthentication` -> `kbdinteractiveauthentication`. */
export function canonicalKeyword(keyword: string): string {
  const lower = keyword.toLowerCase();
  return SSHD_KEYWORDS.get(lower)?.aliasOf ?? lower;
}

/** One argument of a directive as written. */
export interface SshdArgument {
  /** Value after quote and escape removal. */
  value: string;
  /** 0-based offsets of the argument in the line's `raw` text, quotes included. */
  start: number;
  end: number;
  /** 1-based column of the first character. */
  column: number;
}

export interface SshdDirective {
  kind: 'directive';
  /** 1-based line number. */
  line: number;
  /** Lower-case keyword, quotes removed; aliases are not resolved (see canonicalKeyword). */
  keyword: string;
  /** Keyword as written. */
  rawKeyword: string;
  keywordColumn: number;
  /** Arguments after quote removal; a trailing `# comment` is not an argument. */
  args: string[];
  /** 1-based column of the first argument, or of the end of the line when there is none. */
  argsColumn: number;
  arguments: SshdArgument[];
  /** Line of the `Match` that opened the block this directive is in; unset before the first Match. */
  matchLine?: number;
  /** Raw text of the whole line without its line ending. */
  raw: string;
  eol: string;
}

export interface SshdOtherLine {
  kind: 'blank' | 'comment';
  line: number;
  raw: string;
  eol: string;
}

export type SshdLine = SshdDirective | SshdOtherLine;

export interface SshdDocument {
  path: string;
  lines: SshdLine[];
  diagnostics: Diagnostic[];
}

const LEADING_SPACE = /^[ \t\r]*/;
const TRAILING_SPACE = /[ \t\r\n\f]*$/;

interface KeywordToken {
  keyword: string;
  rawKeyword: string;
  /** Offset of the first argument, after the separator. */
  argsStart: number;
  unclosedQuoteAt?: number;
}

/**
 * Skip what separates the keyword from its arguments: white space with at most one `=` in it.
 * After a quoted keyword strdelim() skips only white space.
 */
function skipSeparator(raw: string, keywordEnd: number, end: number, quoted: boolean): number {
  const skipSpace = (from: number): number => {
    let at = from;
    while (at < end && (raw[at] === ' ' || raw[at] === '\t')) at++;
    return at;
  };
  if (keywordEnd >= end) return end;
  if (quoted) return skipSpace(keywordEnd);
  if (raw[keywordEnd] === '=') return skipSpace(keywordEnd + 1);

  const next = skipSpace(keywordEnd);
  return raw[next] === '=' && next < end ? skipSpace(next + 1) : next;
}

/** Read the keyword the way OpenSSH's strdelim() does. */
function readKeyword(raw: string, start: number, end: number): KeywordToken {
  let i = start;
  while (i < end && !' \t"='.includes(raw[i] as string)) i++;
  let keyword = raw.slice(start, i);
  let keywordEnd = i;
  let unclosedQuoteAt: number | undefined;

  if (raw[i] === '"') {
    const close = raw.indexOf('"', i + 1);
    if (close === -1 || close >= end) {
      unclosedQuoteAt = i;
      keyword += raw.slice(i + 1, end);
      keywordEnd = end;
    } else {
      keyword += raw.slice(i + 1, close);
      keywordEnd = close + 1;
    }
  }

  const next = skipSeparator(raw, keywordEnd, end, raw[i] === '"');
  const token: KeywordToken = { keyword, rawKeyword: raw.slice(start, keywordEnd), argsStart: next };
  if (unclosedQuoteAt !== undefined) token.unclosedQuoteAt = unclosedQuoteAt;
  return token;
}

interface SplitResult {
  arguments: SshdArgument[];
  unclosedQuoteAt?: number;
}

/** Split arguments as OpenSSH's argv_split() with terminate_on_comment set. */
function splitArguments(raw: string, start: number, end: number): SplitResult {
  const found: SshdArgument[] = [];
  let i = start;
  while (i < end) {
    const ch = raw[i] as string;
    if (ch === ' ' || ch === '\t') {
      i++;
      continue;
    }
    if (ch === '#') break;

    const argStart = i;
    let value = '';
    let quote = '';
    let quoteAt = -1;
    for (; i < end; i++) {
      const c = raw[i] as string;
      const following = i + 1 < end ? (raw[i + 1] as string) : '';
      if (c === '\\') {
        if (following === "'" || following === '"' || following === '\\' || (quote === '' && following === ' ')) {
          value += following;
          i++;
        } else {
          value += c;
        }
      } else if (quote === '' && (c === ' ' || c === '\t')) {
        break;
      } else if (quote === '' && (c === '"' || c === "'")) {
        quote = c;
        quoteAt = i;
      } else if (quote !== '' && c === quote) {
        quote = '';
      } else {
        value += c;
      }
    }
    found.push({ value, start: argStart, end: i, column: argStart + 1 });
    if (quote !== '') return { arguments: found, unclosedQuoteAt: quoteAt };
  }
  return { arguments: found };
}

function diagnostic(
  path: string,
  line: number,
  column: number,
  code: string,
  severity: Diagnostic['severity'],
  value: string,
  message: ReturnType<typeof text>,
): Diagnostic {
  return { path, line, column, code, severity, value, message };
}

/** Check the keyword against SSHD_KEYWORDS; sshd refuses to start on an unknown one. */
function keywordDiagnostics(directive: SshdDirective, path: string): Diagnostic[] {
  const info = SSHD_KEYWORDS.get(directive.keyword);
  if (info === undefined) {
    return [
      diagnostic(
        path,
        directive.line,
        directive.keywordColumn,
        'sshd.unknown-keyword',
        'error',
        directive.rawKeyword,
        text(
          `unknown keyword "${directive.rawKeyword}": sshd refuses to start with it; check the spelling in sshd_config(5)`,
          `不明なキーワード "${directive.rawKeyword}" です。sshd はこの設定では起動しません。sshd_config(5) で綴りを確認してください`,
        ),
      ),
    ];
  }
  if (info.status === 'deprecated') {
    return [
      diagnostic(
        path,
        directive.line,
        directive.keywordColumn,
        'sshd.deprecated-keyword',
        'warning',
        directive.rawKeyword,
        text(
          `"${info.name}" is deprecated: sshd ignores this line`,
          `"${info.name}" は廃止されたキーワードです。sshd はこの行を無視します`,
        ),
      ),
    ];
  }
  return [];
}

/**
 * Parse one sshd_config line that is not blank or a comment. Also used for `-o Key=Value`
 * command-line options, which sshd reads with the same function as a config line.
 */
export function parseSshdDirective(
  raw: string,
  eol: string,
  line: number,
  path: string,
): { directive?: SshdDirective; diagnostics: Diagnostic[] } {
  const start = (LEADING_SPACE.exec(raw) as RegExpExecArray)[0].length;
  const end = Math.max(start, raw.length - (TRAILING_SPACE.exec(raw) as RegExpExecArray)[0].length);
  if (start >= end || raw[start] === '#') return { diagnostics: [] };

  const diagnostics: Diagnostic[] = [];
  const token = readKeyword(raw, start, end);
  const split = token.unclosedQuoteAt === undefined ? splitArguments(raw, token.argsStart, end) : { arguments: [] };
  const directive: SshdDirective = {
    kind: 'directive',
    line,
    keyword: token.keyword.toLowerCase(),
    rawKeyword: token.rawKeyword,
    keywordColumn: start + 1,
    args: split.arguments.map((argument) => argument.value),
    argsColumn: (split.arguments[0]?.start ?? token.argsStart) + 1,
    arguments: split.arguments,
    raw,
    eol,
  };

  const quoteAt = token.unclosedQuoteAt ?? split.unclosedQuoteAt;
  if (quoteAt !== undefined) {
    diagnostics.push(
      diagnostic(
        path,
        line,
        quoteAt + 1,
        'sshd.unclosed-quote',
        'error',
        raw.slice(quoteAt, end),
        text(
          'quote is not closed on this line: sshd cannot read it; close the quote',
          'この行で引用符が閉じられていません。sshd はこの行を読めません。引用符を閉じてください',
        ),
      ),
    );
  } else if (directive.args.length === 0) {
    diagnostics.push(
      diagnostic(
        path,
        line,
        directive.argsColumn,
        'sshd.missing-argument',
        'error',
        directive.rawKeyword,
        text(
          `"${directive.rawKeyword}" has no value: sshd refuses to start; add a value or remove the line`,
          `"${directive.rawKeyword}" に値がありません。sshd は起動しません。値を追加するか行を削除してください`,
        ),
      ),
    );
  }
  diagnostics.push(...keywordDiagnostics(directive, path));

  return { directive, diagnostics };
}

export function parseSshd(source: string, path: string): SshdDocument {
  const lines: SshdLine[] = [];
  const diagnostics: Diagnostic[] = [];
  let matchLine: number | undefined;

  splitLines(source).forEach(({ raw, eol }, index) => {
    const line = index + 1;
    const parsed = parseSshdDirective(raw, eol, line, path);
    diagnostics.push(...parsed.diagnostics);
    if (parsed.directive === undefined) {
      const isComment = raw.replace(LEADING_SPACE, '').startsWith('#');
      lines.push({ kind: isComment ? 'comment' : 'blank', line, raw, eol });
      return;
    }
    if (matchLine !== undefined) parsed.directive.matchLine = matchLine;
    if (parsed.directive.keyword === 'match') matchLine = line;
    lines.push(parsed.directive);
  });

  return { path, lines, diagnostics };
}

export function serializeSshd(doc: SshdDocument): string {
  return doc.lines.map((line) => line.raw + line.eol).join('');
}

export function directives(doc: SshdDocument): SshdDirective[] {
  return doc.lines.filter((line): line is SshdDirective => line.kind === 'directive');
}

/** Quote a value for sshd_config when it contains white space, quotes, `#` or backslashes. */
export function quoteSshdArgument(value: string): string {
  if (value !== '' && !/[\s"'#\\]/.test(value)) return value;
  return `"${value.replace(/["\\]/g, (ch) => `\\${ch}`)}"`;
}

/**
 * Return a copy of `directive` whose arguments are `values`. Only the text between the first and
 * the last argument changes, so indentation, the separator and a trailing comment stay as written.
 */
export function withArguments(directive: SshdDirective, values: string[]): SshdDirective {
  const written = values.map(quoteSshdArgument).join(' ');
  const first = directive.arguments[0];
  const last = directive.arguments[directive.arguments.length - 1];
  let raw: string;
  if (first === undefined || last === undefined) {
    const keywordEnd = directive.keywordColumn - 1 + directive.rawKeyword.length;
    raw = `${directive.raw.slice(0, keywordEnd)} ${written}${directive.raw.slice(keywordEnd)}`;
  } else {
    raw = directive.raw.slice(0, first.start) + written + directive.raw.slice(last.end);
  }
  const reparsed = parseSshdDirective(raw, directive.eol, directive.line, '').directive as SshdDirective;
  if (directive.matchLine !== undefined) reparsed.matchLine = directive.matchLine;
  return reparsed;
}
