import type { FirewallFact } from '../../catalog/types.js';
import { text } from '../../core/text.js';
import type { Text } from '../../core/text.js';
import { analyzeRuleset, firewallFiles } from '../../model/firewall.js';
import type { FirewallAnalysis, FirewallFiles } from '../../model/firewall.js';
import { parseProcNet } from '../../model/sockets.js';
import type { ListeningSocket } from '../../model/sockets.js';
import { parseIptables, parseIptablesSave } from '../../parse/iptables.js';
import type { AuditContext, Evaluator } from '../context.js';
import { problemsOutcome } from '../context.js';
import type { Evidence, Outcome } from '../types.js';
import { fail, notApplicable, pass } from '../types.js';
import { sshdModel } from './sshd.js';
import { sysctlModel } from './sysctl.js';

const IPTABLES_PROGRAMS = ['/sbin/iptables', '/usr/sbin/iptables', '/sbin/iptables-restore', '/usr/sbin/iptables-restore'];
const ANTI_SCAN_NAMES = { null: 'NULL', fin: 'FIN without ACK', xmas: 'Xmas', 'syn-fin': 'SYN+FIN', 'syn-rst': 'SYN+RST' } as const;

const A_RULE_FILE = text('a rule file', 'ルールファイル');
const MISSING = text('missing', 'なし');

export function filesModel(context: AuditContext): FirewallFiles {
  return context.model('firewall-files', () => firewallFiles(context.target.fs));
}

/** SSH ports: the profile's, else the ones sshd listens on, else 22. */
export function sshPorts(context: AuditContext): number[] {
  if (context.profile.sshPorts !== undefined && context.profile.sshPorts.length > 0) return context.profile.sshPorts;
  const sshd = sshdModel(context);
  if (sshd.present) {
    const ports = [...new Set(sshd.ports().listen.map((listen) => listen.port))];
    if (ports.length > 0) return ports;
  }
  return [22];
}

interface RuleSource {
  /** `undefined` when there is no rule file or no loaded rule set. */
  analysis?: FirewallAnalysis;
  /** Source of the rules (a file path or the save program), for messages. */
  where: string;
  missing?: Text;
}

function persistedRules(context: AuditContext, family: 4 | 6): RuleSource {
  return context.model(`firewall-persisted-${family}`, (): RuleSource => {
    const files = filesModel(context)[family === 4 ? 'ipv4' : 'ipv6'];
    const loaded = files.loaded;
    if (loaded === undefined || !loaded.exists) {
      const path = loaded?.path ?? (family === 4 ? '/etc/iptables/rules-save' : '/etc/iptables/rules6-save');
      return {
        where: path,
        missing: text(`no rule file at ${path}, which the firewall service loads at boot`, `起動時にファイアウォールのサービスが読み込む ${path} にルールファイルがありません`),
      };
    }
    const read = context.readText(loaded.path);
    if (read.problem !== undefined) {
      return { where: loaded.path, analysis: { family, path: loaded.path, complete: false, problems: [read.problem] } };
    }
    const doc = parseIptables(read.text ?? '', loaded.path);
    return { where: loaded.path, analysis: analyzeRuleset(doc, family, { sshPorts: sshPorts(context) }) };
  });
}

function loadedRules(context: AuditContext, family: 4 | 6): RuleSource | undefined {
  const runtime = context.target.runtime;
  if (runtime === undefined) return undefined;
  return context.model(`firewall-loaded-${family}`, (): RuleSource | undefined => {
    const program = family === 4 ? 'iptables-save' : 'ip6tables-save';
    const output = runtime.firewallSave(family);
    if (output === undefined || !output.ok) return undefined;
    const doc = parseIptablesSave(output.stdout, `(${program})`);
    const analysis = analyzeRuleset(doc, family, { sshPorts: sshPorts(context) });
    if (analysis.filter === undefined) {
      return { where: program, missing: text(`no filter rules are loaded (${program} prints none)`, `フィルタールールが読み込まれていません(${program} の出力が空です)`) };
    }
    return { where: program, analysis };
  });
}

interface FactResult {
  ok: boolean;
  evidence: Evidence[];
  detail: Text;
}

/** Judge one fact of an analysed rule set. */
function judge(analysis: FirewallAnalysis, fact: FirewallFact): FactResult {
  const facts = analysis.filter;
  if (facts === undefined) return { ok: false, evidence: [{ path: analysis.path }], detail: text('the file has no *filter table', 'ファイルに *filter テーブルがありません') };
  const boolFact = (value: { value: boolean; evidence: Evidence[] }, yes: Text, no: Text): FactResult => ({ ok: value.value, evidence: value.evidence, detail: value.value ? yes : no });

  switch (fact) {
    case 'persisted':
      return { ok: true, evidence: [{ path: analysis.path }], detail: text(`rules in ${analysis.path}`, `${analysis.path} にルールがあります`) };
    case 'input-policy': {
      const ok = facts.inputDefault.value === 'DROP' || facts.inputDefault.value === 'REJECT';
      return { ok, evidence: facts.inputDefault.evidence, detail: text(`INPUT ends in ${facts.inputDefault.value} (policy ${facts.inputPolicy.value})`, `INPUT の最終的な扱いは ${facts.inputDefault.value} です(ポリシー ${facts.inputPolicy.value})`) };
    }
    case 'forward-policy': {
      const ok = facts.forwardDefault.value === 'DROP' || facts.forwardDefault.value === 'REJECT';
      return { ok, evidence: facts.forwardDefault.evidence, detail: text(`FORWARD ends in ${facts.forwardDefault.value} (policy ${facts.forwardPolicy.value})`, `FORWARD の最終的な扱いは ${facts.forwardDefault.value} です(ポリシー ${facts.forwardPolicy.value})`) };
    }
    case 'loopback':
      return boolFact(facts.loopbackAccepted, text('traffic on lo is accepted', 'lo の通信は許可されています'), text('traffic on lo is not accepted', 'lo の通信が許可されていません'));
    case 'established':
      return boolFact(facts.establishedAccepted, text('ESTABLISHED,RELATED is accepted', 'ESTABLISHED,RELATED は許可されています'), text('replies (ESTABLISHED,RELATED) are not accepted', '応答(ESTABLISHED,RELATED)が許可されていません'));
    case 'invalid':
      return boolFact(facts.invalidDropped, text('INVALID packets are dropped', 'INVALID のパケットは破棄されます'), text('INVALID packets are not dropped', 'INVALID のパケットが破棄されていません'));
    case 'ssh': {
      const bad = facts.ssh.filter((finding) => !finding.allowed.value || !finding.bruteForceLimited.value);
      const evidence = facts.ssh.flatMap((finding) => [...finding.allowed.evidence, ...finding.bruteForceLimited.evidence]);
      if (bad.length === 0) return { ok: true, evidence, detail: text(`SSH port(s) ${facts.ssh.map((finding) => finding.port).join(', ')} allowed and rate-limited`, `SSH ポート ${facts.ssh.map((finding) => finding.port).join(', ')} は許可され、流量制限があります`) };
      const blocked = bad.filter((finding) => !finding.allowed.value).map((finding) => finding.port);
      const unlimited = bad.filter((finding) => finding.allowed.value && !finding.bruteForceLimited.value).map((finding) => finding.port);
      const en: string[] = [];
      const ja: string[] = [];
      if (blocked.length > 0) {
        en.push(`SSH port(s) ${blocked.join(', ')} not allowed: the administrator would be locked out`);
        ja.push(`SSH ポート ${blocked.join(', ')} が許可されていません(管理者が締め出されます)`);
      }
      if (unlimited.length > 0) {
        en.push(`SSH port(s) ${unlimited.join(', ')} have no brute-force limit (recent: drop the 4th new connection within 60 s)`);
        ja.push(`SSH ポート ${unlimited.join(', ')} に総当たり対策の制限がありません(recent で 60 秒以内の 4 回目の新規接続を破棄)`);
      }
      return { ok: false, evidence, detail: text(en.join('; '), ja.join('。')) };
    }
    case 'icmp-rate-limit': {
      const bypass = facts.icmpEcho.bypassedByConntrack;
      if (bypass.value) {
        const at = bypass.evidence.map((item) => `${item.path}:${item.line}`).join(', ');
        return {
          ok: false,
          evidence: [...facts.icmpEcho.rateLimited.evidence, ...bypass.evidence],
          detail: text(
            `the echo rate limit comes after the ESTABLISHED accept at ${at}, which takes every later request of a ping flood (conntrack files them as ESTABLISHED); move the echo-request rules above it`,
            `echo の流量制限が ${at} の ESTABLISHED 許可より後にあり、ping の大量送信の 2 回目以降の要求はすべてそこで許可されます(conntrack は ESTABLISHED として扱います)。echo-request のルールをそれより前に移してください`,
          ),
        };
      }
      return boolFact(facts.icmpEcho.rateLimited, text('echo requests are rate-limited', 'echo 要求には流量制限があります'), text('echo requests are accepted without a rate limit', 'echo 要求が流量制限なしで許可されています'));
    }
    case 'log-before-drop':
      return boolFact(facts.logBeforeFinalDrop, text('a rate-limited LOG precedes the final drop', '最後の DROP の前に流量制限付きの LOG があります'), text('no rate-limited LOG before the final drop', '最後の DROP の前に流量制限付きの LOG がありません'));
    case 'anti-scan': {
      const bad = facts.antiScan.filter((finding) => !finding.present || !finding.reachable || finding.acceptedBefore.length > 0);
      const evidence = facts.antiScan.flatMap((finding) => [...finding.rules, ...finding.acceptedBefore]);
      if (bad.length === 0) return { ok: true, evidence, detail: text('all five anti-scan drops are reachable', '5 種類のスキャン対策はすべて到達可能です') };
      const describe = (finding: (typeof bad)[number]): [string, string] => {
        const name = ANTI_SCAN_NAMES[finding.kind];
        if (!finding.present) return [`${name}: missing`, `${name}: ありません`];
        if (!finding.reachable) return [`${name}: unreachable`, `${name}: 到達できません`];
        const at = finding.acceptedBefore.map((item) => `${item.path}:${item.line}`).join(', ');
        return [`${name}: accepted earlier at ${at}`, `${name}: それより前の ${at} で許可されます`];
      };
      return { ok: false, evidence, detail: text(bad.map((finding) => describe(finding)[0]).join('; '), bad.map((finding) => describe(finding)[1]).join('、')) };
    }
    case 'unreachable': {
      const rules = facts.unreachable;
      const evidence = rules.flatMap((rule) => [rule.rule, rule.shadowedBy]);
      if (rules.length === 0) return { ok: true, evidence: [], detail: text('every rule can match', 'すべてのルールが一致し得ます') };
      const list = rules.map((rule) => `${rule.rule.path}:${rule.rule.line} (after ${rule.shadowedBy.path}:${rule.shadowedBy.line})`).join(', ');
      const listJa = rules.map((rule) => `${rule.rule.path}:${rule.rule.line}(${rule.shadowedBy.path}:${rule.shadowedBy.line} の後)`).join('、');
      return { ok: false, evidence, detail: text(`${rules.length} rule(s) can never match: ${list}; move them above the rule that ends the chain`, `決して一致しないルールが ${rules.length} 個あります: ${listJa}。チェーンを終わらせるルールより前に移してください`) };
    }
    case 'conntrack':
      return {
        ok: !facts.usesStateMatch.value,
        evidence: facts.usesStateMatch.evidence,
        detail: facts.usesStateMatch.value
          ? text('uses the deprecated -m state; write -m conntrack --ctstate instead', '非推奨の -m state を使っています。-m conntrack --ctstate に書き換えてください')
          : text('uses -m conntrack', '-m conntrack を使っています'),
      };
    case 'ipv6-ruleset':
      return { ok: true, evidence: [{ path: analysis.path }], detail: text('an IPv6 rule set exists', 'IPv6 のルールセットがあります') };
  }
}

function ipv6Disabled(context: AuditContext): boolean {
  const effective = sysctlModel(context).get('net.ipv6.conf.all.disable_ipv6');
  return effective !== undefined && effective.value.trim() === '1';
}

export const evaluateFirewall: Evaluator<'firewall'> = (check, _control, context) => {
  const fs = context.target.fs;
  const files = filesModel(context);
  const persisted = persistedRules(context, check.family);
  const installed = IPTABLES_PROGRAMS.some((path) => fs.exists(path)) || persisted.analysis !== undefined;
  if (!installed) return notApplicable(text('iptables is not installed on this target', 'このターゲットには iptables がインストールされていません'));

  if (check.family === 6 && persisted.analysis === undefined && (context.profile.ipv6 === false || ipv6Disabled(context))) {
    if (check.fact === 'ipv6-ruleset') {
      return pass([], { reason: text('IPv6 is not used on this site (profile ipv6: false or disable_ipv6 = 1)', 'このサイトでは IPv6 を使いません(プロファイルの ipv6: false または disable_ipv6 = 1)') });
    }
    return notApplicable(text('IPv6 is not used on this site and has no rule set', 'このサイトでは IPv6 を使わず、ルールセットもありません'));
  }

  if (persisted.analysis === undefined) {
    const other = files[check.family === 4 ? 'ipv4' : 'ipv6'].others[0];
    const missing = persisted.missing ?? text('no rule file', 'ルールファイルがありません');
    const evidence = [{ path: persisted.where }, ...(other === undefined ? [] : [{ path: other.path, detail: 'not loaded at boot' }])];
    if (check.fact !== 'persisted') {
      return fail(
        text(`${missing.en}; nothing to check (see firewall.ipv${check.family}.persisted)`, `${missing.ja}。確認できるルールがありません(firewall.ipv${check.family}.persisted を参照)`),
        evidence,
        { expected: A_RULE_FILE, actual: MISSING },
      );
    }
    if (other !== undefined) {
      const variable = check.family === 4 ? 'IPTABLES_SAVE' : 'IP6TABLES_SAVE';
      const confd = check.family === 4 ? '/etc/conf.d/iptables' : '/etc/conf.d/ip6tables';
      return fail(
        text(
          `${missing.en}. ${other.path} exists but nothing loads it at boot; set ${variable}="${other.path}" in ${confd} or install netfilter-persistent`,
          `${missing.ja}。${other.path} はありますが、起動時に読み込まれません。${confd} に ${variable}="${other.path}" を設定するか、netfilter-persistent をインストールしてください`,
        ),
        evidence,
        { expected: A_RULE_FILE, actual: MISSING },
      );
    }
    return fail(missing, evidence, { expected: A_RULE_FILE, actual: MISSING });
  }
  if (!persisted.analysis.complete) return problemsOutcome(persisted.analysis.problems, text('the rule file could not be understood', 'ルールファイルを解釈できません'));

  const filesOfFamily = files[check.family === 4 ? 'ipv4' : 'ipv6'];
  const persistedResult = judge(persisted.analysis, check.fact);
  const notes: Text[] = [];
  if (check.fact === 'persisted' && filesOfFamily.saveOnStop?.value === true) {
    notes.push(
      text(
        `SAVE_ON_STOP="yes" (${filesOfFamily.saveOnStop.evidence.path}:${filesOfFamily.saveOnStop.evidence.line}) overwrites this file with the live rules whenever the service stops`,
        `SAVE_ON_STOP="yes"(${filesOfFamily.saveOnStop.evidence.path}:${filesOfFamily.saveOnStop.evidence.line})のため、サービス停止のたびに稼働中のルールでこのファイルが上書きされます`,
      ),
    );
  }

  const live = loadedRules(context, check.family);
  const outcome = combine(persistedResult, live, check.fact, persisted.where);
  if (notes.length > 0) outcome.reason = text([outcome.reason?.en, ...notes.map((note) => note.en)].filter(Boolean).join('; '), [outcome.reason?.ja, ...notes.map((note) => note.ja)].filter(Boolean).join('。'));
  return outcome;
};

function combine(persisted: FactResult, live: RuleSource | undefined, fact: FirewallFact, where: string): Outcome {
  if (live === undefined) {
    if (persisted.ok) return pass(persisted.evidence, { reason: persisted.detail, actual: persisted.detail });
    return fail(text(`${where}: ${persisted.detail.en}`, `${where}: ${persisted.detail.ja}`), persisted.evidence, { actual: persisted.detail });
  }
  if (live.analysis === undefined) {
    const missing = live.missing ?? text('no rules loaded', 'ルールが読み込まれていません');
    return fail(
      text(`persisted but not live: ${missing.en}; load ${where} with the firewall service`, `永続設定はあるが稼働中ではありません: ${missing.ja}。ファイアウォールのサービスで ${where} を読み込んでください`),
      persisted.evidence,
      { actual: missing },
    );
  }
  const loaded = judge(live.analysis, fact);
  const evidence = [...persisted.evidence, ...loaded.evidence];
  if (persisted.ok && loaded.ok) return pass(evidence, { reason: persisted.detail, actual: persisted.detail });
  if (persisted.ok) {
    return fail(text(`persisted but not live: the loaded rules: ${loaded.detail.en}; reload ${where}`, `永続設定はあるが稼働中ではありません。読み込まれたルール: ${loaded.detail.ja}。${where} を読み込み直してください`), evidence, { actual: text(`loaded: ${loaded.detail.en}`, `読み込まれたルール: ${loaded.detail.ja}`) });
  }
  if (loaded.ok) {
    return fail(text(`live but not persisted: ${where}: ${persisted.detail.en}; save the loaded rules`, `稼働中だが永続化されていません: ${where}: ${persisted.detail.ja}。読み込まれたルールを保存してください`), evidence, { actual: text(`file: ${persisted.detail.en}`, `ファイル: ${persisted.detail.ja}`) });
  }
  return fail(text(`${where} and the loaded rules: ${persisted.detail.en}`, `${where} と読み込まれたルールの両方: ${persisted.detail.ja}`), evidence, { actual: persisted.detail });
}

function portAllowed(analysis: FirewallAnalysis | undefined, socket: ListeningSocket): boolean {
  const facts = analysis?.filter;
  if (facts === undefined) return true;
  const open = facts.inputDefault.value === 'ACCEPT';
  const allowed = facts.allowedPorts.some((entry) => entry.protocol === socket.protocol && entry.ranges.some(([low, high]) => socket.port >= low && socket.port <= high));
  return open || allowed;
}

/** Sockets that listen on a non-loopback address, compared with the ports the firewall lets in. */
export const evaluateListeningPorts: Evaluator<'listening-ports'> = (_check, _control, context) => {
  const runtime = context.target.runtime;
  if (runtime === undefined) return notApplicable(text('listening sockets exist only on a running system', '待ち受けソケットは稼働中のシステムにしかありません'));

  const sockets = [
    ...parseProcNet(runtime.procNet('tcp'), 'tcp', 4),
    ...parseProcNet(runtime.procNet('tcp6'), 'tcp', 6),
    ...parseProcNet(runtime.procNet('udp'), 'udp', 4),
    ...parseProcNet(runtime.procNet('udp6'), 'udp', 6),
  ].filter((socket) => !socket.loopback);
  const expectedTcp = new Set([...sshPorts(context), ...(context.profile.allowTcp ?? [])]);
  const expectedUdp = new Set(context.profile.allowUdp ?? []);

  const exposed: Evidence[] = [];
  const evidence: Evidence[] = [];
  for (const socket of sockets) {
    const rules = loadedRules(context, socket.family) ?? persistedRules(context, socket.family);
    const reachable = portAllowed(rules.analysis, socket);
    const label = `${socket.protocol}${socket.family === 6 ? '6' : ''} ${socket.address}:${socket.port}`;
    const procFile = `/proc/net/${socket.protocol}${socket.family === 6 ? '6' : ''}`;
    evidence.push({ path: procFile, detail: `${label} ${reachable ? 'reachable' : 'blocked by the firewall'}` });
    const meant = (socket.protocol === 'tcp' ? expectedTcp : expectedUdp).has(socket.port);
    if (reachable && !meant) exposed.push({ path: procFile, detail: label });
  }

  const ports = `tcp ${[...expectedTcp].join(',') || '-'}; udp ${[...expectedUdp].join(',') || '-'}`;
  const expected = text(`reachable only: ${ports}`, `到達可能なのは ${ports} のみ`);
  if (exposed.length === 0) {
    return pass(evidence, { expected, actual: text(`${sockets.length} listening socket(s), none exposed unexpectedly`, `待ち受けソケット ${sockets.length} 個、想定外の公開なし`) });
  }
  const list = exposed.map((item) => item.detail).join(', ');
  return fail(
    text(
      `listening and not blocked by the firewall, but not among the allowed ports: ${list}; stop the service, bind it to 127.0.0.1, or add the port to the profile (allowTcp/allowUdp)`,
      `待ち受けていてファイアウォールで遮断されていませんが、許可するポートに含まれていません: ${list}。サービスを止めるか、127.0.0.1 で待ち受けるか、プロファイル(allowTcp/allowUdp)にポートを追加してください`,
    ),
    evidence,
    { expected, actual: list },
  );
};
