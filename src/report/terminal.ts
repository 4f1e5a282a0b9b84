import { CATEGORIES } from '../catalog/types.js';
import type { Category } from '../catalog/types.js';
import type { Lang, Text } from '../core/text.js';
import { displayWidth as width, localize, text } from '../core/text.js';
import type { AuditReport } from '../engine/audit.js';
import type { ControlResult, Status } from '../engine/types.js';

const CATEGORY_NAMES: Record<Category, Text> = {
  system: text('System', 'システム'),
  services: text('Services', 'サービス'),
  ssh: text('SSH', 'SSH'),
  files: text('File permissions', 'ファイルのパーミッション'),
  sysctl: text('Kernel parameters (sysctl)', 'カーネルパラメータ(sysctl)'),
  mounts: text('Mount options', 'マウントオプション'),
  modules: text('Kernel modules', 'カーネルモジュール'),
  firewall: text('Firewall', 'ファイアウォール'),
  network: text('Network', 'ネットワーク'),
  audit: text('Audit (auditd)', '監査(auditd)'),
  docker: text('Docker daemon', 'Docker デーモン'),
  boot: text('Boot loader', 'ブートローダー'),
  seccomp: text('Seccomp', 'Seccomp'),
  containers: text('Containers', 'コンテナ'),
};

const STATUS_LABELS: Record<Status, Text> = {
  pass: text('PASS', '合格'),
  fail: text('FAIL', '不合格'),
  'not-applicable': text('N/A', '該当なし'),
  error: text('ERROR', 'エラー'),
  waived: text('WAIVED', '例外'),
};

const COLORS: Record<Status, string> = { pass: '32', fail: '31', 'not-applicable': '2', error: '33', waived: '36' };

export interface TerminalOptions {
  lang: Lang;
  color: boolean;
  /** Also print the reason of not-applicable controls. */
  verbose?: boolean;
}


function pad(value: string, columns: number): string {
  return value + ' '.repeat(Math.max(0, columns - width(value)));
}

function paint(value: string, code: string, color: boolean): string {
  return color ? `\u001b[${code}m${value}\u001b[0m` : value;
}

/** Make control characters visible, so a hostile file name or value cannot drive the terminal. */
function visible(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function resultLines(result: ControlResult, options: TerminalOptions, labelWidth: number): string[] {
  const { lang, color } = options;
  const label = pad(STATUS_LABELS[result.status][lang], labelWidth);
  const lines = [`  ${paint(label, COLORS[result.status], color)}  ${result.control.id}  ${visible(result.control.title[lang])}`];
  const indent = ' '.repeat(labelWidth + 4);
  const noticed = result.notice === true || options.verbose === true;
  const showDetail = result.status === 'fail' || result.status === 'error' || (noticed && result.reason !== undefined);
  if (!showDetail) return lines;
  if (result.reason !== undefined) lines.push(`${indent}${visible(result.reason[lang])}`);
  if (result.status === 'fail') {
    if (result.expected !== undefined) lines.push(`${indent}${lang === 'ja' ? '期待値' : 'expected'}: ${visible(localize(result.expected, lang))}`);
    if (result.actual !== undefined) lines.push(`${indent}${lang === 'ja' ? '実際の値' : 'actual'}: ${visible(localize(result.actual, lang))}`);
  }
  for (const item of result.evidence.slice(0, 8)) {
    const where = item.line === undefined ? item.path : `${item.path}:${item.line}`;
    lines.push(`${indent}${lang === 'ja' ? '場所' : 'at'} ${visible(where)}${item.detail === undefined ? '' : `  ${visible(item.detail)}`}`);
  }
  if (result.evidence.length > 8) lines.push(`${indent}… ${result.evidence.length - 8} ${lang === 'ja' ? '件以上' : 'more'}`);
  return lines;
}

export function renderTerminal(report: AuditReport, options: TerminalOptions): string {
  const { lang, color } = options;
  const { target, summary } = report;
  const labelWidth = Math.max(...Object.values(STATUS_LABELS).map((label) => width(label[lang])));
  const out: string[] = [];

  const os = target.os.prettyName || `${target.os.id} ${target.os.versionId}`;
  const modeNames = target.mode === 'live' ? text('live host', '稼働中のホスト') : text('offline', 'オフライン');
  const mode = modeNames[lang];
  const signals = target.container.signals.join(', ');
  let container = '';
  if (target.container.container) container = lang === 'ja' ? `、コンテナ (${signals})` : `, container (${signals})`;
  out.push(
    lang === 'ja'
      ? `kimigayo-harden 監査: ${visible(target.fs.root)} (${mode}${container}) ${visible(os)}、レベル ${report.level}`
      : `kimigayo-harden audit: ${visible(target.fs.root)} (${mode}${container}) ${visible(os)}, level ${report.level}`,
  );

  for (const category of CATEGORIES) {
    const results = report.results.filter((result) => result.control.category === category);
    if (results.length === 0) continue;
    out.push('', paint(CATEGORY_NAMES[category][lang], '1', color));
    for (const result of results) out.push(...resultLines(result, options, labelWidth));
  }

  out.push('');
  out.push(
    lang === 'ja'
      ? `合格 ${summary.pass}、不合格 ${summary.fail}、該当なし ${summary.notApplicable}、エラー ${summary.error}${summary.waived > 0 ? `、例外 ${summary.waived}` : ''}、スコア ${summary.score}/100`
      : `${summary.pass} passed, ${summary.fail} failed, ${summary.notApplicable} not applicable, ${summary.error} errors${summary.waived > 0 ? `, ${summary.waived} waived` : ''}, score ${summary.score}/100`,
  );
  return out.join('\n') + '\n';
}
