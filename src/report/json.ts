import type { Lang } from '../core/text.js';
import { localize } from '../core/text.js';
import type { AuditReport } from '../engine/audit.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';

/** Bumped on any incompatible change to the JSON report; docs/report-schema.json describes it. */
export const REPORT_SCHEMA_VERSION = '1.1';

export function reportToJson(report: AuditReport, lang: Lang): object {
  const { target } = report;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    lang,
    target: {
      root: target.fs.root,
      mode: target.mode,
      os: {
        id: target.os.id,
        idLike: target.os.idLike,
        versionId: target.os.versionId,
        prettyName: target.os.prettyName,
        family: target.os.family,
      },
      container: target.container.container,
      containerSignals: target.container.signals,
      init: target.init,
    },
    level: report.level,
    summary: report.summary,
    results: report.results.map((result) => ({
      id: result.control.id,
      level: result.control.level,
      category: result.control.category,
      status: result.status,
      title: result.control.title[lang],
      expected: result.expected === undefined ? null : localize(result.expected, lang),
      actual: result.actual === undefined ? null : localize(result.actual, lang),
      evidence: result.evidence.map((item) => ({
        path: item.path,
        line: item.line ?? null,
        ...(item.detail === undefined ? {} : { detail: item.detail }),
      })),
      reason: result.reason?.[lang] ?? null,
    })),
  };
}
