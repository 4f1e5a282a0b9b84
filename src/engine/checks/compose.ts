import picomatch from 'picomatch';
import { text } from '../../core/text.js';
import { parseCompose } from '../../docker/compose.js';
import { checkContainer } from '../../docker/container.js';
import type { ContainerFinding, ContainerSpec } from '../../docker/container.js';
import { parseRunCommands } from '../../docker/runCommand.js';
import type { Finding } from '../../lint/types.js';
import type { Problem } from '../../model/problem.js';
import type { AuditContext, Evaluator } from '../context.js';
import { problemsOutcome } from '../context.js';
import type { Evidence } from '../types.js';
import { fail, notApplicable, pass } from '../types.js';

/** Places where sites keep Compose files. NOTE: a fixed list; files elsewhere are not found. */
const COMPOSE_GLOBS = [
  '/etc/docker/compose/*.yml',
  '/etc/docker/compose/*.yaml',
  '/opt/*/docker-compose.yml',
  '/opt/*/docker-compose.yaml',
  '/opt/*/compose.yml',
  '/opt/*/compose.yaml',
  '/srv/*/docker-compose.yml',
  '/srv/*/docker-compose.yaml',
  '/srv/*/compose.yml',
  '/srv/*/compose.yaml',
];

/** Scripts that OpenRC's `local` service runs at boot, where sites often start containers with docker run. */
const RUN_SCRIPT_GLOBS = ['/etc/local.d/*.start'];

interface ComposeFiles {
  specs: ContainerSpec[];
  /** Findings of every service and docker run line, computed once for all the compose controls. */
  findings: ContainerFinding[];
  problems: Problem[];
  files: string[];
}

function loadCompose(context: AuditContext): ComposeFiles {
  return context.model('compose', () => {
    const fs = context.target.fs;
    const files = [...new Set(COMPOSE_GLOBS.flatMap((pattern) => fs.glob(pattern, (name, part) => picomatch.isMatch(name, part, { dot: false }))))];
    const result: ComposeFiles = { specs: [], findings: [], problems: [], files };
    for (const path of files) {
      const read = context.readText(path);
      if (read.problem !== undefined) result.problems.push(read.problem);
      if (read.text === undefined) continue;
      const compose = parseCompose(read.text, path);
      // A warning such as "no services" leaves nothing to judge but is no reason to stop the audit.
      for (const finding of compose.findings.filter((item) => item.severity === 'error')) result.problems.push(findingProblem(finding));
      for (const spec of compose.specs) {
        result.specs.push(spec);
        result.findings.push(...checkContainer(spec));
      }
    }

    const scripts = [...new Set(RUN_SCRIPT_GLOBS.flatMap((pattern) => fs.glob(pattern, (name, part) => picomatch.isMatch(name, part, { dot: false }))))];
    for (const path of scripts) {
      const read = context.readText(path);
      if (read.problem !== undefined) result.problems.push(read.problem);
      if (read.text === undefined) continue;
      const run = parseRunCommands(read.text, path);
      if (run.specs.length > 0) result.files.push(path);
      for (const finding of run.findings.filter((item) => item.severity === 'error')) result.problems.push(findingProblem(finding));
      for (const spec of run.specs) {
        result.specs.push(spec);
        result.findings.push(...checkContainer(spec));
      }
    }
    return result;
  });
}

function findingProblem(finding: Finding): Problem {
  const problem: Problem = { path: finding.path, code: finding.code, message: finding.message };
  if (finding.line !== undefined) problem.line = finding.line;
  if (finding.column !== undefined) problem.column = finding.column;
  return problem;
}

export const evaluateCompose: Evaluator<'compose'> = (check, _control, context) => {
  const compose = loadCompose(context);
  if (compose.problems.length > 0) return problemsOutcome(compose.problems);
  if (compose.specs.length === 0) {
    return notApplicable(
      text(
        'no Compose files in /etc/docker/compose, /opt/* or /srv/*, and no docker run in /etc/local.d/*.start',
        '/etc/docker/compose、/opt/*、/srv/* に Compose ファイルがなく、/etc/local.d/*.start に docker run もありません',
      ),
    );
  }
  // Info findings (a user set from a variable) cannot be judged here, so they do not fail the control.
  const broken = compose.findings.filter((finding) => finding.rule === check.rule && finding.severity !== 'info');
  if (broken.length === 0) return pass(compose.specs.map((spec) => ({ path: spec.path, line: spec.line, detail: spec.name })));
  const evidence: Evidence[] = broken.map((finding) => {
    const detail = finding.value === undefined ? `${finding.container}: ${finding.rule}` : `${finding.container}: ${finding.value}`;
    const item: Evidence = { path: finding.path, detail };
    if (finding.line !== undefined) item.line = finding.line;
    return item;
  });
  const summary = broken.map((finding) => finding.message.en).join('; ');
  const summaryJa = broken.map((finding) => finding.message.ja).join(' ');
  return fail(text(`services not hardened: ${summary}`, `強化されていないサービスがあります: ${summaryJa}`), evidence);
};
