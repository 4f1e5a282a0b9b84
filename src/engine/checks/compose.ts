import { LineCounter, parseDocument, isMap, isScalar } from 'yaml';
import type { Node } from 'yaml';
import picomatch from 'picomatch';
import { text } from '../../core/text.js';
import type { ComposeRule } from '../../catalog/types.js';
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

interface ComposeService {
  path: string;
  name: string;
  line: number;
  spec: Record<string, unknown>;
}

interface ComposeFiles {
  services: ComposeService[];
  problems: Problem[];
  files: string[];
}

function loadCompose(context: AuditContext): ComposeFiles {
  return context.model('compose', () => {
    const fs = context.target.fs;
    const files = [...new Set(COMPOSE_GLOBS.flatMap((pattern) => fs.glob(pattern, (name, part) => picomatch.isMatch(name, part, { dot: false }))))];
    const result: ComposeFiles = { services: [], problems: [], files };
    for (const path of files) {
      const read = context.readText(path);
      if (read.problem !== undefined || read.text === undefined) {
        if (read.problem !== undefined) result.problems.push(read.problem);
        continue;
      }
      const lineCounter = new LineCounter();
      const doc = parseDocument(read.text, { lineCounter, prettyErrors: false });
      const firstError = doc.errors[0];
      if (firstError !== undefined) {
        const position = lineCounter.linePos(firstError.pos[0]);
        result.problems.push({ path, line: position.line, column: position.col, code: 'compose.yaml', message: text(`invalid YAML: ${firstError.message}`, `YAML が正しくありません: ${firstError.message}`) });
        continue;
      }
      const services = doc.get('services', true);
      if (!isMap(services)) continue;
      for (const pair of services.items) {
        const key = pair.key as Node | null;
        const name = isScalar(key) ? String(key.value) : '?';
        const line = key?.range === undefined || key.range === null ? 1 : lineCounter.linePos(key.range[0]).line;
        const value = pair.value as Node | null;
        const spec = (value !== null && isMap(value) ? value.toJSON() : {}) as Record<string, unknown>;
        result.services.push({ path, name, line, spec });
      }
    }
    return result;
  });
}

function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') return [value];
  return [];
}

/** Return what is wrong with one service for one rule, or `undefined` when it complies. */
function violation(rule: ComposeRule, spec: Record<string, unknown>): string | undefined {
  const deploy = (spec.deploy ?? {}) as { resources?: { limits?: Record<string, unknown> } };
  const limits = deploy.resources?.limits ?? {};
  switch (rule) {
    case 'read-only':
      return spec.read_only === true ? undefined : 'read_only is not true';
    case 'tmpfs-tmp': {
      const tmpfs = list(spec.tmpfs).find((entry) => entry === '/tmp' || entry.startsWith('/tmp:'));
      if (tmpfs === undefined) return 'no tmpfs on /tmp';
      const options = (tmpfs.split(':')[1] ?? '').split(',');
      const missing = ['noexec', 'nosuid', 'nodev'].filter((option) => !options.includes(option));
      return missing.length === 0 ? undefined : `tmpfs /tmp lacks ${missing.join(',')}`;
    }
    case 'no-new-privileges':
      return list(spec.security_opt).some((option) => /^no-new-privileges(:true|=true)?$/.test(option)) ? undefined : 'no security_opt no-new-privileges';
    case 'cap-drop-all':
      return list(spec.cap_drop).includes('ALL') ? undefined : 'cap_drop does not include ALL';
    case 'pids-limit':
      return spec.pids_limit !== undefined || limits.pids !== undefined ? undefined : 'no pids_limit';
    case 'resource-limits': {
      const memory = spec.mem_limit ?? limits.memory;
      const cpus = spec.cpus ?? limits.cpus;
      if (memory === undefined && cpus === undefined) return 'no memory or CPU limit';
      if (memory === undefined) return 'no memory limit';
      return cpus === undefined ? 'no CPU limit' : undefined;
    }
    case 'non-root': {
      const user = spec.user === undefined ? undefined : String(spec.user);
      return user === undefined || user === 'root' || user === '0' || user.startsWith('0:') || user.startsWith('root:') ? `user is ${user ?? 'unset (root)'}` : undefined;
    }
    case 'no-privileged': {
      const found: string[] = [];
      if (spec.privileged === true) found.push('privileged: true');
      for (const key of ['pid', 'ipc', 'network_mode', 'userns_mode']) if (spec[key] === 'host') found.push(`${key}: host`);
      if (list(spec.cap_add).includes('ALL')) found.push('cap_add: ALL');
      const volumes = Array.isArray(spec.volumes) ? spec.volumes : [];
      for (const volume of volumes) {
        const source = typeof volume === 'string' ? volume.split(':')[0] : (volume as { source?: string }).source;
        if (source !== undefined && source.endsWith('docker.sock')) found.push(`mounts ${source}`);
      }
      return found.length === 0 ? undefined : found.join(', ');
    }
  }
}

export const evaluateCompose: Evaluator<'compose'> = (check, _control, context) => {
  const compose = loadCompose(context);
  if (compose.problems.length > 0) return problemsOutcome(compose.problems);
  if (compose.services.length === 0) {
    return notApplicable(text('no Compose files found in /etc/docker/compose, /opt/* or /srv/*', '/etc/docker/compose、/opt/*、/srv/* に Compose ファイルが見つかりません'));
  }
  const findings: Evidence[] = [];
  for (const service of compose.services) {
    const problem = violation(check.rule, service.spec);
    if (problem !== undefined) findings.push({ path: service.path, line: service.line, detail: `${service.name}: ${problem}` });
  }
  if (findings.length === 0) return pass(compose.services.map((service) => ({ path: service.path, line: service.line, detail: service.name })));
  const summary = findings.map((item) => item.detail).join('; ');
  return fail(text(`services not hardened: ${summary}`, `強化されていないサービスがあります: ${summary}`), findings);
};
