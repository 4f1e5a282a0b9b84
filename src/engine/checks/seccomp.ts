import { text } from '../../core/text.js';
import type { Finding } from '../../lint/types.js';
import type { Problem } from '../../model/problem.js';
import { lintSeccomp } from '../../seccomp/lint.js';
import type { AuditContext, Evaluator } from '../context.js';
import { problemsOutcome } from '../context.js';
import type { Evidence } from '../types.js';
import { fail, notApplicable, pass } from '../types.js';

const PROFILE_DIR = '/etc/seccomp';

/** Lint codes that each `seccomp-profiles` rule fails on; `parse` fails on every error finding. */
const RULE_CODES: Record<'default-deny' | 'startable' | 'dangerous' | 'arch-names', string[]> = {
  'default-deny': ['seccomp.default-allow'],
  startable: ['seccomp.not-startable', 'seccomp.glibc-startup', 'seccomp.clone3-errno'],
  dangerous: ['seccomp.dangerous-syscall', 'seccomp.compat-arch-open'],
  'arch-names': ['seccomp.unknown-syscall', 'seccomp.syscall-not-on-arch'],
};

/** Codes of findings that come from the analysis of a profile that parsed. */
const ANALYSIS_CODES = new Set(Object.values(RULE_CODES).flat());

export interface LintedProfile {
  path: string;
  findings: Finding[];
  /** Errors that make the file unusable as a profile: unreadable, invalid JSON, invalid fields. */
  problems: Problem[];
}

/** Reads and lints one profile of the target once per audit. */
export function loadSeccompProfile(context: AuditContext, path: string): LintedProfile {
  return context.model(`seccomp:${path}`, () => {
    const read = context.readText(path);
    if (read.problem !== undefined) return { path, findings: [], problems: [read.problem] };
    if (read.text === undefined) {
      return { path, findings: [], problems: [{ path, code: 'seccomp.missing', message: text('seccomp profile not found', 'seccomp プロファイルが見つかりません') }] };
    }
    const findings = lintSeccomp({ path, content: read.text, options: {} });
    const problems = findings.filter((finding) => finding.severity === 'error' && !ANALYSIS_CODES.has(finding.code)).map(findingToProblem);
    return { path, findings, problems };
  });
}

function findingToProblem(finding: Finding): Problem {
  const problem: Problem = { path: finding.path, code: finding.code, message: finding.message };
  if (finding.line !== undefined) problem.line = finding.line;
  if (finding.column !== undefined) problem.column = finding.column;
  if (finding.value !== undefined) problem.value = finding.value;
  return problem;
}

function evidenceOf(finding: Finding): Evidence {
  const item: Evidence = { path: finding.path, detail: `${finding.code}: ${finding.message.en}` };
  if (finding.line !== undefined) item.line = finding.line;
  return item;
}

export const evaluateSeccomp: Evaluator<'seccomp-profiles'> = (check, _control, context) => {
  const fs = context.target.fs;
  const files = fs.readdir(PROFILE_DIR).filter((name) => name.endsWith('.json'));
  if (files.length === 0) return notApplicable(text(`no seccomp profiles in ${PROFILE_DIR}`, `${PROFILE_DIR} に seccomp プロファイルがありません`));

  const profiles = files.map((name) => loadSeccompProfile(context, `${PROFILE_DIR}/${name}`));
  const broken = profiles.filter((profile) => profile.problems.length > 0);
  if (check.rule === 'parse') {
    if (broken.length === 0) return pass(profiles.map((profile) => ({ path: profile.path })));
    const first = (profile: LintedProfile) => profile.problems[0] as Problem;
    const where = (profile: LintedProfile) => `${first(profile).path}${first(profile).line === undefined ? '' : `:${first(profile).line}`}`;
    return fail(
      text(
        `${broken.length} profile(s) are not valid: ${broken.map((profile) => `${where(profile)}: ${first(profile).message.en}`).join('; ')}`,
        `正しくないプロファイルが ${broken.length} 個あります: ${broken.map((profile) => `${where(profile)}: ${first(profile).message.ja}`).join('; ')}`,
      ),
      broken.map((profile) => ({ path: profile.path, ...(first(profile).line === undefined ? {} : { line: first(profile).line as number }) })),
    );
  }
  if (broken.length > 0) return problemsOutcome(broken.flatMap((profile) => profile.problems));

  const codes = new Set(RULE_CODES[check.rule]);
  const failing = profiles.flatMap((profile) => profile.findings.filter((finding) => codes.has(finding.code) && finding.severity !== 'info'));
  if (failing.length === 0) return pass(profiles.map((profile) => ({ path: profile.path })));
  const summary = (lang: 'en' | 'ja') => failing.map((finding) => `${finding.path}${finding.line === undefined ? '' : `:${finding.line}`}: ${finding.message[lang]}`).join('; ');
  return fail(text(summary('en'), summary('ja')), failing.map(evidenceOf));
};
