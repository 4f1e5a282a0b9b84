import { lineColumnAt } from '../../core/diagnostic.js';
import { text } from '../../core/text.js';
import type { Text } from '../../core/text.js';
import type { Problem } from '../../model/problem.js';
import type { AuditContext, Evaluator } from '../context.js';
import { problemsOutcome } from '../context.js';
import { fail, notApplicable, pass } from '../types.js';
import { loadSeccompProfile } from './seccomp.js';

const DAEMON_JSON = '/etc/docker/daemon.json';
const DOCKERD = ['/usr/bin/dockerd', '/usr/sbin/dockerd', '/usr/local/bin/dockerd'];

export interface DaemonConfig {
  present: boolean;
  /** Parsed daemon.json, or `{}` when the file does not exist. */
  config?: Record<string, unknown>;
  /** 1-based line of each top-level key, for evidence. */
  keyLines: Map<string, number>;
  problems: Problem[];
}

/** Parse JSON and turn a syntax error into a Problem with line and column. */
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

function topLevelKeyLines(source: string): Map<string, number> {
  const lines = new Map<string, number>();
  source.split('\n').forEach((line, index) => {
    const match = /^\s*"([^"]+)"\s*:/.exec(line);
    if (match !== null && !lines.has(match[1] as string)) lines.set(match[1] as string, index + 1);
  });
  return lines;
}

export function loadDaemonConfig(context: AuditContext): DaemonConfig {
  return context.model('docker-daemon', () => {
    const fs = context.target.fs;
    const present = DOCKERD.some((path) => fs.exists(path)) || fs.exists(DAEMON_JSON);
    const read = context.readText(DAEMON_JSON);
    if (read.problem !== undefined) return { present, keyLines: new Map(), problems: [read.problem] };
    if (read.text === undefined) return { present, config: {}, keyLines: new Map(), problems: [] };
    const parsed = parseJsonFile(read.text, DAEMON_JSON);
    if (parsed.problem !== undefined) return { present, keyLines: new Map(), problems: [parsed.problem] };
    if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
      return {
        present,
        keyLines: new Map(),
        problems: [{ path: DAEMON_JSON, line: 1, code: 'docker.not-an-object', message: text('daemon.json must be a JSON object', 'daemon.json は JSON オブジェクトでなければなりません') }],
      };
    }
    return { present, config: parsed.value as Record<string, unknown>, keyLines: topLevelKeyLines(read.text), problems: [] };
  });
}

export const evaluateDockerDaemon: Evaluator<'docker-daemon'> = (check, _control, context) => {
  const daemon = loadDaemonConfig(context);
  if (!daemon.present) return notApplicable(text('Docker is not installed on this target', 'このターゲットには Docker がインストールされていません'));
  if (daemon.problems.length > 0 || daemon.config === undefined) return problemsOutcome(daemon.problems);

  const value = daemon.config[check.key];
  const line = daemon.keyLines.get(check.key);
  const evidence = line === undefined ? [{ path: DAEMON_JSON }] : [{ path: DAEMON_JSON, line, detail: `"${check.key}": ${JSON.stringify(value)}` }];
  const actual = value === undefined ? text('unset', '未設定') : text(JSON.stringify(value), JSON.stringify(value));
  const expectation = check.expected;

  let expected: Text;
  let ok: boolean;
  if ('equals' in expectation) {
    expected = text(JSON.stringify(expectation.equals), JSON.stringify(expectation.equals));
    ok = value === expectation.equals;
  } else if ('nonEmpty' in expectation) {
    expected = text('a non-empty string such as "default"', '"default" などの空でない文字列');
    ok = typeof value === 'string' && value !== '';
  } else if ('logOpts' in expectation) {
    expected = text(`object with ${expectation.logOpts.join(', ')}`, `${expectation.logOpts.join('、')} を含むオブジェクト`);
    ok = typeof value === 'object' && value !== null && expectation.logOpts.every((key) => typeof (value as Record<string, unknown>)[key] === 'string');
  } else {
    expected = text('path of a valid seccomp profile', '正しい seccomp プロファイルのパス');
    if (typeof value !== 'string' || value === '') {
      ok = false;
    } else {
      const profile = loadSeccompProfile(context, value);
      if (profile.problems.length > 0) return problemsOutcome(profile.problems, text(`seccomp-profile ${value} is not usable`, `seccomp-profile ${value} が使用できません`));
      ok = true;
    }
  }

  if (ok) return pass(evidence, { expected, actual });
  return fail(
    text(
      `${DAEMON_JSON}: "${check.key}" is ${actual.en}, expected ${expected.en}; set it and keep the other keys`,
      `${DAEMON_JSON}: "${check.key}" が ${actual.ja} です。期待値は ${expected.ja} です。他のキーは残したまま設定してください`,
    ),
    evidence,
    { expected, actual },
  );
};
