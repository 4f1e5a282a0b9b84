import { lineColumnAt } from '../../core/diagnostic.js';
import { text } from '../../core/text.js';
import { daemonKey, judgeDaemonValue, lintDaemonStructure, parseDaemonJson } from '../../docker/daemonJson.js';
import type { DaemonJson } from '../../docker/daemonJson.js';
import { flagConflicts, readDockerdCommandLine } from '../../docker/dockerdFlags.js';
import type { DockerdCommandLine } from '../../docker/dockerdFlags.js';
import { usernsFindings } from '../../docker/userns.js';
import type { Finding } from '../../lint/types.js';
import type { Problem } from '../../model/problem.js';
import type { AuditContext, Evaluator } from '../context.js';
import { problemsOutcome } from '../context.js';
import type { Evidence } from '../types.js';
import { fail, notApplicable, pass } from '../types.js';
import { loadSeccompProfile } from './seccomp.js';

const DAEMON_JSON = '/etc/docker/daemon.json';
const DOCKERD = ['/usr/bin/dockerd', '/usr/sbin/dockerd', '/usr/local/bin/dockerd'];

/** Parse JSON and turn a syntax error into a Problem with line and column. Seccomp profiles use it. */
export function parseJsonFile(source: string, path: string): { value?: unknown; problem?: Problem } {
  try {
    return { value: JSON.parse(source) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    const offset = position === null ? source.length : Number(position[1]);
    const { line, column } = lineColumnAt(source, offset);
    return {
      problem: {
        path,
        line,
        column,
        code: 'json.syntax',
        message: text(`invalid JSON: ${message}; fix the syntax at this line`, `JSON の構文が正しくありません: ${message}。この行の構文を直してください`),
      },
    };
  }
}

/** The target's daemon.json and dockerd command line, read once per audit. */
export interface DockerModel {
  present: boolean;
  /** Undefined when daemon.json does not exist. */
  daemon?: DaemonJson;
  commandLine: DockerdCommandLine;
  /** A daemon.json that cannot be read. */
  problems: Problem[];
}

function findingProblem(finding: Finding): Problem {
  const problem: Problem = { path: finding.path, code: finding.code, message: finding.message };
  if (finding.line !== undefined) problem.line = finding.line;
  if (finding.column !== undefined) problem.column = finding.column;
  return problem;
}

export function loadDockerModel(context: AuditContext): DockerModel {
  return context.model('docker-daemon', () => {
    const fs = context.target.fs;
    const present = DOCKERD.some((path) => fs.exists(path)) || fs.exists(DAEMON_JSON);
    const commandLine = readDockerdCommandLine(fs);
    const read = context.readText(DAEMON_JSON);
    if (read.problem !== undefined) return { present, commandLine, problems: [read.problem] };
    if (read.text === undefined) return { present, commandLine, problems: [] };
    return { present, daemon: parseDaemonJson(read.text, DAEMON_JSON), commandLine, problems: [] };
  });
}

/** Problems that keep daemon.json from being judged at all: unreadable, invalid JSON, not an object. */
function blockingProblems(model: DockerModel): Problem[] {
  if (model.problems.length > 0) return model.problems;
  if (model.daemon === undefined || model.daemon.config !== undefined) return [];
  return model.daemon.findings.map(findingProblem);
}

export const evaluateDockerDaemon: Evaluator<'docker-daemon'> = (check, _control, context) => {
  const model = loadDockerModel(context);
  if (!model.present) return notApplicable(text('Docker is not installed on this target', 'このターゲットには Docker がインストールされていません'));
  const problems = blockingProblems(model);
  if (problems.length > 0) return problemsOutcome(problems);

  const entry = model.daemon === undefined ? undefined : daemonKey(model.daemon, check.key);
  const value = entry?.value;
  const evidence = entry === undefined ? [{ path: DAEMON_JSON }] : [{ path: DAEMON_JSON, line: entry.line, detail: `"${check.key}": ${JSON.stringify(value)}` }];
  const actual = value === undefined ? text('unset', '未設定') : text(JSON.stringify(value), JSON.stringify(value));
  const { ok, expected } = judgeDaemonValue(value, check.expected);

  if (ok && 'seccompFile' in check.expected) {
    const profile = loadSeccompProfile(context, value as string);
    if (profile.problems.length > 0) return problemsOutcome(profile.problems, text(`seccomp-profile ${String(value)} is not usable`, `seccomp-profile ${String(value)} が使用できません`));
  }
  if (ok) return pass(evidence, { expected, actual });
  return fail(
    text(
      `${DAEMON_JSON}: "${check.key}" is ${actual.en}, expected ${expected.en}; set it and keep the other keys (kimigayo-harden generate daemon-json --install does this)`,
      `${DAEMON_JSON}: "${check.key}" が ${actual.ja} です。期待値は ${expected.ja} です。他のキーは残したまま設定してください(kimigayo-harden generate daemon-json --install で設定できます)`,
    ),
    evidence,
    { expected, actual },
  );
};

/** Judge whether dockerd can start with its configuration (`startable`) or has its API open over TCP (`tcp-tls`). */
export const evaluateDockerDaemonFile: Evaluator<'docker-daemon-file'> = (check, _control, context) => {
  const model = loadDockerModel(context);
  if (!model.present) return notApplicable(text('Docker is not installed on this target', 'このターゲットには Docker がインストールされていません'));
  const sources = [DAEMON_JSON, ...model.commandLine.sources];

  if (check.rule === 'startable') {
    if (model.problems.length > 0) return problemsOutcome(model.problems);
    const findings: Finding[] = [...model.commandLine.findings];
    if (model.daemon !== undefined) {
      findings.push(...model.daemon.findings.filter((finding) => finding.severity === 'error'));
      findings.push(...lintDaemonStructure(model.daemon).filter((finding) => finding.code === 'daemon-json.unknown-key'));
      findings.push(...flagConflicts(model.daemon, model.commandLine));
      findings.push(...usernsFindings(model.daemon, context.target.fs));
    }
    if (findings.length === 0) return pass(sources.map((path) => ({ path })));
    const summary = findings.map((finding) => finding.message.en).join('; ');
    const summaryJa = findings.map((finding) => finding.message.ja).join(' ');
    return fail(text(summary, summaryJa), findings.map((finding) => findingEvidence(finding)));
  }

  const blocking = blockingProblems(model);
  if (blocking.length > 0) return problemsOutcome(blocking);
  const flagHosts = model.commandLine.flags.filter((flag) => flag.name === 'host').map((flag) => flag.value);
  const flagTlsVerify = model.commandLine.flags.some((flag) => flag.name === 'tlsverify' && flag.value !== 'false');
  const daemon = model.daemon ?? parseDaemonJson('{}', DAEMON_JSON);
  const open = lintDaemonStructure(daemon, flagHosts, flagTlsVerify).filter((finding) => finding.code === 'daemon-json.tcp-without-tls');
  const first = open[0];
  if (first === undefined) return pass(sources.map((path) => ({ path })));
  return fail(first.message, [findingEvidence(first)]);
};

function findingEvidence(finding: Finding): Evidence {
  const evidence: Evidence = { path: finding.path };
  if (finding.line !== undefined) evidence.line = finding.line;
  if (finding.value !== undefined) evidence.detail = finding.value;
  return evidence;
}
