import { text } from '../core/text.js';
import { parseFstab } from '../parse/fstab.js';
import { parseModprobe } from '../parse/modprobe.js';
import { parseSshd, SSHD_KEYWORDS } from '../parse/sshd.js';
import { parseSysctl } from '../parse/sysctl.js';
import { findingsFromDiagnostics } from './types.js';
import type { Linter } from './types.js';

/**
 * Linters for the plain configuration files the audit reads: sshd_config, sysctl.d, fstab and
 * modprobe.d. Each reports what its lossless parser finds (unknown or deprecated keywords,
 * malformed lines, bad escapes), with file, line and column.
 */

/** Lines that are neither blank nor comments. */
function contentLines(content: string): string[] {
  return content
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Share of content lines that `test` accepts, scaled to `max`; 0 for a file with no content lines. */
function share(content: string, test: (line: string) => boolean, max: number): number {
  const lines = contentLines(content);
  if (lines.length === 0) return 0;
  const matched = lines.filter(test).length / lines.length;
  return matched >= 0.8 ? max * matched : 0;
}

export const sshdLinter: Linter = {
  type: 'sshd',
  description: text('sshd_config and its drop-ins', 'sshd_config とその追加ファイル'),
  detect: (content) => share(content, (line) => SSHD_KEYWORDS.has((line.split(/[\s=]/)[0] ?? '').toLowerCase()), 0.9),
  lint: (input) => findingsFromDiagnostics(parseSshd(input.content, input.path).diagnostics),
};

export const sysctlLinter: Linter = {
  type: 'sysctl',
  description: text('sysctl.conf and sysctl.d files', 'sysctl.conf と sysctl.d のファイル'),
  detect: (content) => share(content, (line) => /^-?[A-Za-z0-9_*-]+([./][A-Za-z0-9_*-]+)+\s*=/.test(line), 0.9),
  lint: (input) => findingsFromDiagnostics(parseSysctl(input.content, input.path).diagnostics),
};

export const fstabLinter: Linter = {
  type: 'fstab',
  description: text('/etc/fstab', '/etc/fstab'),
  detect: (content) =>
    share(content, (line) => {
      const fields = line.split(/\s+/);
      return fields.length >= 3 && fields.length <= 6 && (fields[1]?.startsWith('/') === true || fields[1] === 'none' || fields[1] === 'swap');
    }, 0.85),
  lint: (input) => findingsFromDiagnostics(parseFstab(input.content, input.path).diagnostics),
};

export const modprobeLinter: Linter = {
  type: 'modprobe',
  description: text('modprobe.d files', 'modprobe.d のファイル'),
  detect: (content) => share(content, (line) => /^(install|remove|blacklist|alias|options|softdep)\s/.test(line) || line.endsWith('\\'), 0.9),
  lint: (input) => findingsFromDiagnostics(parseModprobe(input.content, input.path).diagnostics),
};
