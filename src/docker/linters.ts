import * as path from 'node:path';
import { parse as parseLenientJson } from 'jsonc-parser';
import { DOCKER_CONTROLS } from '../catalog/services.js';
import { text } from '../core/text.js';
import type { Finding, Linter, LintInput } from '../lint/types.js';
import { RootFs, TargetError } from '../target/rootfs.js';
import { parseCompose } from './compose.js';
import { checkContainer } from './container.js';
import { DAEMON_JSON_PATH, daemonKey, judgeDaemonValue, lintDaemonStructure, parseDaemonJson } from './daemonJson.js';
import type { DaemonJson } from './daemonJson.js';
import { flagConflicts, readDockerdCommandLine } from './dockerdFlags.js';
import { DAEMON_KEYS } from './dockerdOptions.js';
import { parseRunCommands } from './runCommand.js';
import { usernsFindings } from './userns.js';

/** Keys of a seccomp profile; a JSON object with them is not a daemon.json. */
const SECCOMP_KEYS = ['defaultAction', 'syscalls', 'architectures', 'archMap'];

function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/** Judge the guide's keys, one finding per key that is missing or different. */
function guideFindings(daemon: DaemonJson, root: RootFs | undefined): Finding[] {
  const findings: Finding[] = [];
  if (daemon.config === undefined) return findings;
  for (const control of DOCKER_CONTROLS) {
    if (control.check.kind !== 'docker-daemon') continue;
    const { key, expected: expectation } = control.check;
    const entry = daemonKey(daemon, key);
    const judged = judgeDaemonValue(entry?.value, expectation);
    const place = entry === undefined ? { line: 1, column: 1 } : { line: entry.line, column: entry.column };
    const actual = entry === undefined ? 'unset' : JSON.stringify(entry.value);
    const actualJa = entry === undefined ? '未設定' : JSON.stringify(entry.value);
    if (!judged.ok) {
      findings.push({
        path: daemon.path,
        ...place,
        code: `daemon-json.${key}`,
        severity: 'warning',
        message: text(`"${key}" is ${actual}; the guide asks for ${judged.expected.en}`, `"${key}" が ${actualJa} です。ガイドの値は ${judged.expected.ja} です`),
        value: actual,
      });
      continue;
    }
    if ('seccompFile' in expectation && root !== undefined && typeof entry?.value === 'string' && !root.exists(entry.value)) {
      findings.push({
        path: daemon.path,
        ...place,
        code: 'daemon-json.seccomp-profile-missing',
        severity: 'error',
        message: text(
          `seccomp-profile ${entry.value} does not exist in ${root.root}; dockerd reads the profile when it starts and stops when it cannot, so create the file first`,
          `seccomp-profile ${entry.value} が ${root.root} にありません。dockerd は起動時にプロファイルを読み、読めないと停止するので、先にファイルを作ってください`,
        ),
        value: entry.value,
      });
    }
  }
  return findings;
}

/**
 * Return the root file system a daemon.json at its usual place belongs to: `/` for
 * /etc/docker/daemon.json, `/mnt/x` for /mnt/x/etc/docker/daemon.json. Its dockerd flags and
 * seccomp profile are then checked without --root.
 */
function rootOfDaemonJson(file: string): string | undefined {
  const absolute = path.resolve(file);
  if (!absolute.endsWith(DAEMON_JSON_PATH)) return undefined;
  return absolute.slice(0, absolute.length - DAEMON_JSON_PATH.length) || '/';
}

export const daemonJsonLinter: Linter = {
  type: 'daemon-json',
  description: text('Docker daemon configuration (/etc/docker/daemon.json)', 'Docker デーモンの設定(/etc/docker/daemon.json)'),
  detect(content: string, file: string): number {
    if (!content.trimStart().startsWith('{')) return 0;
    const value = parseLenientJson(content) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return 0;
    const keys = Object.keys(value);
    if (keys.some((key) => SECCOMP_KEYS.includes(key))) return 0;
    const known = keys.filter((key) => DAEMON_KEYS.has(key)).length;
    if (known === 0) return file.endsWith('daemon.json') ? 0.6 : 0;
    return file.endsWith('daemon.json') ? 0.95 : 0.8;
  },
  lint(input: LintInput): Finding[] {
    const daemon = parseDaemonJson(input.content, input.path);
    const findings = [...daemon.findings];
    if (daemon.config === undefined) return findings;

    let root: RootFs | undefined;
    let flagHosts: string[] = [];
    let flagTlsVerify = false;
    const rootDir = input.options.root ?? rootOfDaemonJson(input.path);
    if (rootDir !== undefined) {
      root = new RootFs(rootDir);
      try {
        const commandLine = readDockerdCommandLine(root);
        findings.push(...commandLine.findings, ...flagConflicts(daemon, commandLine), ...usernsFindings(daemon, root));
        flagHosts = commandLine.flags.filter((flag) => flag.name === 'host').map((flag) => flag.value);
        flagTlsVerify = commandLine.flags.some((flag) => flag.name === 'tlsverify' && flag.value !== 'false');
      } catch (error) {
        if (!(error instanceof TargetError)) throw error;
        findings.push({ path: error.path, code: 'dockerd.unreadable', severity: 'error', message: text(`cannot read: ${error.detail.en}`, `読めません: ${error.detail.ja}`) });
      }
    }
    findings.push(...lintDaemonStructure(daemon, flagHosts, flagTlsVerify), ...guideFindings(daemon, root));
    return sortFindings(findings);
  },
};

export const composeLinter: Linter = {
  type: 'compose',
  description: text('Docker Compose file', 'Docker Compose ファイル'),
  detect(content: string, file: string): number {
    if (!/^services:\s*(#.*)?$/m.test(content)) return 0;
    return /(^|\/)(docker-)?compose(\.[\w-]+)?\.ya?ml$/.test(file) ? 0.95 : 0.85;
  },
  lint(input: LintInput): Finding[] {
    const compose = parseCompose(input.content, input.path);
    const findings = [...compose.findings];
    for (const spec of compose.specs) findings.push(...checkContainer(spec));
    return sortFindings(findings);
  },
};

export const dockerRunLinter: Linter = {
  type: 'docker-run',
  description: text('shell script or command line with docker run / docker create', 'docker run / docker create を含むシェルスクリプトやコマンドライン'),
  detect(content: string): number {
    if (!/\bdocker\b/.test(content)) return 0;
    const parsed = parseRunCommands(content, '');
    if (parsed.specs.length === 0) return 0;
    return /^\s*(sudo\s+)?docker\s/.test(content) ? 0.9 : 0.7;
  },
  lint(input: LintInput): Finding[] {
    const parsed = parseRunCommands(input.content, input.path);
    const findings = [...parsed.findings];
    for (const spec of parsed.specs) findings.push(...checkContainer(spec));
    return sortFindings(findings);
  },
};
