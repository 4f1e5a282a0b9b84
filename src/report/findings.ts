import type { Lang } from '../core/text.js';
import type { Finding } from '../lint/types.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';

/** Bumped on any incompatible change to the JSON output of `lint`. */
export const LINT_SCHEMA_VERSION = '1.0';

export interface LintedFile {
  path: string;
  /** Linter type used, or undefined when the file could not be linted. */
  type?: string;
  findings: Finding[];
}

const SEVERITY_JA: Record<Finding['severity'], string> = { error: 'エラー', warning: '警告', info: '情報' };

/** One line per finding, in the `file:line:column: severity: message [code]` form editors jump to. */
export function renderFindings(files: LintedFile[], lang: Lang): string {
  let out = '';
  for (const file of files) {
    for (const finding of file.findings) {
      let where = finding.path;
      if (finding.line !== undefined) where += `:${finding.line}`;
      if (finding.line !== undefined && finding.column !== undefined) where += `:${finding.column}`;
      const severity = lang === 'ja' ? SEVERITY_JA[finding.severity] : finding.severity;
      out += `${where}: ${severity}: ${finding.message[lang]} [${finding.code}]\n`;
    }
  }
  const count = files.reduce((sum, file) => sum + file.findings.length, 0);
  out += lang === 'ja' ? `${files.length} ファイル、指摘 ${count} 件\n` : `${files.length} file(s), ${count} finding(s)\n`;
  return out;
}

export function findingsToJson(files: LintedFile[], lang: Lang): object {
  return {
    schemaVersion: LINT_SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    lang,
    files: files.map((file) => ({
      path: file.path,
      type: file.type ?? null,
      findings: file.findings.map((finding) => ({
        path: finding.path,
        line: finding.line ?? null,
        column: finding.column ?? null,
        code: finding.code,
        severity: finding.severity,
        message: finding.message[lang],
        value: finding.value ?? null,
      })),
    })),
  };
}
