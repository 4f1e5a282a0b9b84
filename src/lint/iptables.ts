import { text } from '../core/text.js';
import type { Text } from '../core/text.js';
import { familyFromContent, familyFromPath } from '../model/firewall-family.js';
import { findShadowedRules } from '../model/firewall-shadow.js';
import { analyzeRuleset, firewallFiles, findUnreachableRules } from '../model/firewall.js';
import type { FilterFacts } from '../model/firewall.js';
import { findOption, parseIptables, resolveTable } from '../parse/iptables.js';
import type { IptablesDocument, IptablesOption, IptablesRule } from '../parse/iptables.js';
import { RootFs } from '../target/rootfs.js';
import type { Finding, LintInput, Linter } from './types.js';
import { findingsFromDiagnostics } from './types.js';

/**
 * Linters for iptables-save / iptables-restore files, one per address family. The family comes
 * from `--type`, else from the file name (rules.v6, rules6-save, ip6tables...), else from the
 * options the file uses.
 */

const TABLE_LINE = /^\*(filter|nat|mangle|raw|security)\s*$/m;
const CHAIN_LINE = /^:[^\s]+ (ACCEPT|DROP|-)( \[\d+:\d+\])?\s*$/m;
const COMMAND_LINE = /^(\[\d+:\d+\] )?-[AINPX] \S/m;

function detectRestoreFormat(content: string): number {
  if (!TABLE_LINE.test(content)) return 0;
  if (/^COMMIT\s*$/m.test(content) && (CHAIN_LINE.test(content) || COMMAND_LINE.test(content))) return 0.9;
  return 0.6;
}

function finding(doc: IptablesDocument, rule: { line: number } | undefined, code: string, severity: Finding['severity'], message: Text, extra: Partial<Finding> = {}): Finding {
  return { path: doc.path, ...(rule === undefined ? {} : { line: rule.line }), code, severity, message, ...extra };
}

// ---------------------------------------------------------------------------------------------
// Options of the other family

interface FamilyMismatch {
  option: IptablesOption;
  fix: string;
}

function isIpv4Address(value: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+(\/[\d.]+)?$/.test(value.split(',')[0] ?? '');
}

function isIpv6Address(value: string): boolean {
  return (value.split(',')[0] ?? '').includes(':');
}

/** Find options that only the other family's iptables has. */
function familyMismatches(rule: IptablesRule, family: 4 | 6): FamilyMismatch[] {
  const out: FamilyMismatch[] = [];
  const protocol = rule.basic.find((option) => option.name === 'protocol');
  const protocolName = (protocol?.args[0] ?? '').toLowerCase();
  for (const option of rule.basic) {
    const value = option.args[0] ?? '';
    if (option.name === 'source' || option.name === 'destination') {
      if (family === 6 && isIpv4Address(value)) out.push({ option, fix: 'an IPv6 address' });
      if (family === 4 && isIpv6Address(value)) out.push({ option, fix: 'an IPv4 address' });
    }
    if (option.name === 'fragment' && family === 6) out.push({ option, fix: '-m frag' });
  }
  if (protocol !== undefined) {
    if (family === 6 && ['icmp', '1'].includes(protocolName)) out.push({ option: protocol, fix: '-p ipv6-icmp' });
    if (family === 4 && ['ipv6-icmp', 'icmpv6', 'icmp6', '58'].includes(protocolName)) out.push({ option: protocol, fix: '-p icmp' });
  }
  for (const match of rule.matches) {
    for (const option of match.options) {
      if (family === 6 && option.name === 'icmp-type') out.push({ option, fix: '--icmpv6-type' });
      if (family === 4 && option.name === 'icmpv6-type') out.push({ option, fix: '--icmp-type' });
      if (family === 6 && match.module === 'ttl') out.push({ option, fix: '-m hl --hl-eq/--hl-lt/--hl-gt' });
      if (family === 4 && match.module === 'hl') out.push({ option, fix: '-m ttl --ttl-eq/--ttl-lt/--ttl-gt' });
    }
  }
  const rejectWith = rule.target?.options.find((option) => option.name === 'reject-with');
  if (rejectWith !== undefined) {
    const value = rejectWith.args[0] ?? '';
    if (family === 6 && value.startsWith('icmp-')) out.push({ option: rejectWith, fix: value.replace(/^icmp-/, 'icmp6-') });
    if (family === 4 && value.startsWith('icmp6-')) out.push({ option: rejectWith, fix: value.replace(/^icmp6-/, 'icmp-') });
  }
  return out;
}

function familyFindings(doc: IptablesDocument, family: 4 | 6, source: 'type' | 'path' | 'content'): Finding[] {
  const program = family === 6 ? 'ip6tables' : 'iptables';
  const other = family === 6 ? 'iptables' : 'ip6tables';
  const why = { type: 'by --type', path: 'by its file name', content: 'by the options it uses' }[source];
  const whyJa = { type: '--type の指定', path: 'ファイル名', content: '使われているオプション' }[source];
  const out: Finding[] = [];
  for (const line of doc.lines) {
    if (line.kind !== 'rule') continue;
    for (const { option, fix } of familyMismatches(line, family)) {
      const written = [option.flag, ...option.args].join(' ');
      out.push(finding(doc, line, family === 6 ? 'iptables.ipv4-option-in-ipv6' : 'iptables.ipv6-option-in-ipv4', 'error',
        text(
          `${written} belongs to ${other}, but this is an IPv${family} rule file (${why}): ${program}-restore rejects it or it never matches; use ${fix}`,
          `${written} は ${other} のオプションですが、このファイルは IPv${family} のルールファイルです(${whyJa}から判断)。${program}-restore が拒否するか、決して一致しません。${fix} を使ってください`,
        ),
        { column: option.column, value: written }));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reachability

function ruleText(rule: IptablesRule): string {
  return rule.raw.trim();
}

function reachabilityFindings(doc: IptablesDocument): Finding[] {
  const out: Finding[] = [];
  const tables = [...new Set(doc.blocks.map((block) => block.name))];
  for (const name of tables) {
    const table = resolveTable(doc, name);
    if (table === undefined) continue;
    for (const item of findUnreachableRules(table)) {
      out.push(finding(doc, item.rule, 'iptables.unreachable-rule', 'warning',
        text(
          `rule in ${name}/${item.chain} can never match: line ${item.shadowedBy.line} (${ruleText(item.shadowedBy)}) ends the chain for every packet; move this rule above it`,
          `${name}/${item.chain} のこのルールは決して一致しません。${item.shadowedBy.line} 行目(${ruleText(item.shadowedBy)})がすべてのパケットでチェーンを終わらせます。このルールをそれより前に移してください`,
        ),
        { column: item.rule.chainColumn, value: ruleText(item.rule) }));
    }
    for (const item of findShadowedRules(table)) {
      out.push(finding(doc, item.rule, 'iptables.shadowed-rule', 'warning',
        text(
          `rule in ${name}/${item.chain} can never match: line ${item.shadowedBy.line} (${ruleText(item.shadowedBy)}) already takes every packet it matches; remove it or move it above line ${item.shadowedBy.line}`,
          `${name}/${item.chain} のこのルールは決して一致しません。${item.shadowedBy.line} 行目(${ruleText(item.shadowedBy)})が、このルールに一致するパケットをすべて先に処理します。削除するか ${item.shadowedBy.line} 行目より前に移してください`,
        ),
        { column: item.rule.chainColumn, value: ruleText(item.rule) }));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Guide checks on the filter table

function lineOf(evidence: { line?: number }[]): { line: number } | undefined {
  const line = evidence.find((item) => item.line !== undefined)?.line;
  return line === undefined ? undefined : { line };
}

function filterFindings(doc: IptablesDocument, facts: FilterFacts): Finding[] {
  const out: Finding[] = [];
  const inputOpen = facts.inputDefault.value === 'ACCEPT';
  if (inputOpen) {
    out.push(finding(doc, lineOf(facts.inputPolicy.evidence), 'iptables.input-accept', 'error',
      text(
        'INPUT accepts every packet that no rule drops: its policy is ACCEPT and no final rule drops the rest; set ":INPUT DROP" or end INPUT with "-j DROP"',
        'INPUT はどのルールにも破棄されないパケットをすべて受け入れます。ポリシーが ACCEPT で、最後に残りを破棄するルールがありません。":INPUT DROP" にするか、INPUT の最後に "-j DROP" を置いてください',
      ),
      { value: facts.inputPolicy.value }));
  }

  for (const ssh of facts.ssh) {
    if (inputOpen || ssh.allowed.value) continue;
    out.push(finding(doc, lineOf(ssh.allowed.evidence), 'iptables.ssh-blocked', 'error',
      text(
        `new connections to the SSH port ${ssh.port} are dropped, which locks administrators out; add "-A INPUT -p tcp --dport ${ssh.port} -m conntrack --ctstate NEW -j ACCEPT" before the drop`,
        `SSH ポート ${ssh.port} への新しい接続が破棄され、管理者が締め出されます。破棄より前に "-A INPUT -p tcp --dport ${ssh.port} -m conntrack --ctstate NEW -j ACCEPT" を追加してください`,
      ),
      { value: String(ssh.port) }));
  }

  if (facts.icmpEcho.bypassedByConntrack.value) {
    const at = lineOf(facts.icmpEcho.bypassedByConntrack.evidence);
    out.push(finding(doc, at, 'iptables.echo-limit-bypassed', 'warning',
      text(
        'this rule accepts echo requests before their rate limit: conntrack files every request of one ping process under one ESTABLISHED entry, so a flood is answered in full; move the echo-request rules above it',
        'このルールが echo 要求を流量制限より先に許可します。conntrack は 1 つの ping プロセスの要求をすべて 1 つの ESTABLISHED エントリーにまとめるため、大量の要求にすべて応答します。echo-request のルールをこれより前に移してください',
      )));
  }

  for (const scan of facts.antiScan) {
    if (!scan.reachable || scan.acceptedBefore.length === 0) continue;
    const accepts = scan.acceptedBefore.map((item) => item.line).join(', ');
    out.push(finding(doc, lineOf(scan.rules), 'iptables.anti-scan-after-accept', 'warning',
      text(
        `the ${scan.kind} scan drop comes after ACCEPT rules that may take the same packets (line ${accepts}); move the anti-scan rules above them`,
        `${scan.kind} スキャンの破棄ルールが、同じパケットを許可し得る ACCEPT ルール(${accepts} 行目)より後にあります。スキャン対策のルールをそれより前に移してください`,
      )));
  }
  return out;
}

function stateMatchFindings(doc: IptablesDocument): Finding[] {
  const out: Finding[] = [];
  for (const line of doc.lines) {
    if (line.kind !== 'rule') continue;
    const state = line.matches.find((match) => match.module === 'state');
    if (state === undefined) continue;
    const states = findOption(line, 'state', 'state')?.args[0] ?? '';
    out.push(finding(doc, line, 'iptables.state-match', 'warning',
      text(
        `-m state is deprecated; write -m conntrack --ctstate ${states}`.trimEnd(),
        `-m state は非推奨です。-m conntrack --ctstate ${states} と書いてください`.trimEnd(),
      ),
      { column: state.column, value: '-m state' }));
  }
  return out;
}

/** Report an IPv4 rule file on a target with IPv6 on and no IPv6 rule set loaded at boot. */
function missingIpv6Findings(doc: IptablesDocument, input: LintInput): Finding[] {
  const { root, profile, ipv6Enabled } = input.options;
  // NOTE: disable_ipv6 in the target's sysctl files is not read here (the audit reads it), so
  // only the profile's `ipv6: false` or the caller's ipv6Enabled turns this check off.
  const enabled = ipv6Enabled ?? profile?.ipv6 ?? true;
  if (root === undefined || !enabled) return [];
  const files = firewallFiles(new RootFs(root));
  if (files.ipv6.loaded?.exists === true) return [];
  const expected = files.ipv6.loaded?.path ?? '/etc/iptables/rules6-save';
  return [
    finding(doc, undefined, 'iptables.no-ipv6-ruleset', 'warning',
      text(
        `${root} has no IPv6 rule set (${expected} is missing) although IPv6 may be enabled, so IPv6 traffic is not filtered; install one (generate firewall --install) or set "ipv6: false" in the profile and disable IPv6`,
        `${root} には IPv6 のルールセットがありません(${expected} がありません)。IPv6 が有効なら IPv6 の通信は素通りです。ルールセットを入れる(generate firewall --install)か、プロファイルに "ipv6: false" を設定して IPv6 を無効にしてください`,
      )),
  ];
}

/** Lint as the given family: the linter chosen by detection or by `--type` decides it. */
function lintRules(input: LintInput, family: 4 | 6): Finding[] {
  const doc = parseIptables(input.content, input.path);
  const findings: Finding[] = findingsFromDiagnostics(doc.diagnostics);

  const fromPath = familyFromPath(input.path);
  let source: 'type' | 'path' | 'content' = 'type';
  if (fromPath === family) source = 'path';
  else if (fromPath === undefined && familyFromContent(input.content) === family) source = 'content';
  findings.push(...familyFindings(doc, family, source));
  findings.push(...reachabilityFindings(doc));
  findings.push(...stateMatchFindings(doc));

  const sshPorts = input.options.profile?.sshPorts;
  const analysis = analyzeRuleset(doc, family, sshPorts === undefined || sshPorts.length === 0 ? {} : { sshPorts });
  if (analysis.filter !== undefined) findings.push(...filterFindings(doc, analysis.filter));
  if (family === 4) findings.push(...missingIpv6Findings(doc, input));
  return findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

export const iptablesLinter: Linter = {
  type: 'iptables',
  description: text('iptables-save / iptables-restore rules (IPv4)', 'iptables-save / iptables-restore のルール(IPv4)'),
  detect(content, filePath) {
    const score = detectRestoreFormat(content);
    if (score === 0) return 0;
    return (familyFromPath(filePath) ?? familyFromContent(content)) === 4 ? score : score - 0.1;
  },
  lint: (input) => lintRules(input, 4),
};

export const ip6tablesLinter: Linter = {
  type: 'ip6tables',
  description: text('ip6tables-save / ip6tables-restore rules (IPv6)', 'ip6tables-save / ip6tables-restore のルール(IPv6)'),
  detect(content, filePath) {
    const score = detectRestoreFormat(content);
    if (score === 0) return 0;
    return (familyFromPath(filePath) ?? familyFromContent(content)) === 6 ? score : score - 0.1;
  },
  lint: (input) => lintRules(input, 6),
};
