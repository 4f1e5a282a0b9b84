import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node, YAMLMap } from 'yaml';
import { text } from '../core/text.js';
import type { Finding } from '../lint/types.js';
import { emptySpec } from './container.js';
import type { ContainerMount, ContainerSpec, Located } from './container.js';
import { volumeMount } from './runCommand.js';

/**
 * Compose files read into ContainerSpecs, one per service, with the line of every value.
 * YAML anchors, aliases and `<<` merge keys are resolved. NOTE: `extends` and `include` pull in
 * settings from other files that are not read, so a service using them may be judged on part
 * of its settings.
 */

export interface ComposeParse {
  specs: ContainerSpec[];
  /** YAML syntax errors and services that are not mappings. */
  findings: Finding[];
}

/** Return whether a string uses Compose interpolation (`$VAR`, `${VAR}`). `$$` is a literal dollar sign. */
function interpolates(value: string): boolean {
  return /\$(?!\$)/.test(value.replace(/\$\$/g, ''));
}

/** Position of `node`, or of `fallback` when the node has none. */
function lineOf(node: Node | null | undefined, counter: LineCounter, fallback: { line: number; column?: number }): { line: number; column?: number } {
  const range = node?.range;
  if (range === undefined || range === null) return fallback;
  const position = counter.linePos(range[0]);
  return { line: position.line, column: position.col };
}

function keyNode(map: YAMLMap, key: string): Node | undefined {
  for (const pair of map.items) {
    if (isScalar(pair.key) && pair.key.value === key) return pair.key;
  }
  return undefined;
}

/** Parse a Compose file and return one ContainerSpec per service. */
export function parseCompose(source: string, path: string): ComposeParse {
  const result: ComposeParse = { specs: [], findings: [] };
  const counter = new LineCounter();
  const doc = parseDocument(source, { lineCounter: counter, prettyErrors: false, merge: true });
  for (const error of doc.errors) {
    const position = counter.linePos(error.pos[0]);
    result.findings.push({
      path,
      line: position.line,
      column: position.col,
      code: 'compose.yaml-syntax',
      severity: 'error',
      message: text(`invalid YAML: ${error.message}`, `YAML が正しくありません: ${error.message}`),
    });
  }
  if (doc.errors.length > 0) return result;

  const services = doc.get('services', true) as Node | undefined;
  if (services === undefined || services === null) {
    result.findings.push({
      path,
      line: 1,
      column: 1,
      code: 'compose.no-services',
      severity: 'warning',
      message: text('the file has no services, so there is nothing to check; is it a Compose file?', 'services がないため検査するものがありません。Compose ファイルですか'),
    });
    return result;
  }
  if (!isMap(services)) {
    const at = lineOf(services, counter, { line: 1 });
    result.findings.push({ path, ...at, code: 'compose.services-not-a-map', severity: 'error', message: text('services must be a mapping of service names to settings', 'services はサービス名から設定への対応(マッピング)でなければなりません') });
    return result;
  }

  let plain: Record<string, unknown>;
  try {
    plain = (doc.toJS({ maxAliasCount: 1000 }) as { services: Record<string, unknown> }).services;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    result.findings.push({ path, line: 1, code: 'compose.yaml-syntax', severity: 'error', message: text(`cannot resolve the YAML aliases: ${reason}`, `YAML のエイリアスを解決できません: ${reason}`) });
    return result;
  }

  for (const pair of services.items) {
    const key = pair.key as Node | null;
    if (!isScalar(key)) continue;
    const name = String(key.value);
    const place = lineOf(key, counter, { line: 1 });
    const node = pair.value as Node | null;
    const settings = plain[name];
    if (!isMap(node) || typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
      result.findings.push({ path, ...place, code: 'compose.service-not-a-map', severity: 'error', message: text(`service "${name}" must be a mapping of settings`, `サービス "${name}" は設定のマッピングでなければなりません`) });
      continue;
    }
    result.specs.push(serviceSpec(name, path, place, node, settings as Record<string, unknown>, counter));
  }
  return result;
}

function serviceSpec(name: string, path: string, place: { line: number; column?: number }, node: YAMLMap, settings: Record<string, unknown>, counter: LineCounter): ContainerSpec {
  const spec = emptySpec('compose', name, path, place.line, place.column);

  /** Value at `key` with the position of its key in this service, or of the service when it comes from a merge. */
  const at = <T>(key: string, value: T): Located<T> => {
    const where = lineOf(keyNode(node, key), counter, place);
    const result: Located<T> = { value, line: where.line };
    if (where.column !== undefined) result.column = where.column;
    if (typeof value === 'string' && interpolates(value)) result.expands = true;
    return result;
  };
  /** Items of a list (or a single string) at `key`, each with its own line when the list is written in this service. */
  const items = (key: string): Located<string>[] => {
    const raw = settings[key];
    let values: string[] = [];
    if (Array.isArray(raw)) values = raw.map(String);
    else if (typeof raw === 'string') values = [raw];
    const seq = node.get(key, true) as Node | undefined;
    return values.map((value, index) => {
      const itemNode = isSeq(seq) && seq.items.length === values.length ? (seq.items[index] as Node) : undefined;
      const where = itemNode === undefined ? at(key, value) : { value, ...lineOf(itemNode, counter, place) };
      const result: Located<string> = { value, line: where.line };
      if (where.column !== undefined) result.column = where.column;
      if (interpolates(value)) result.expands = true;
      return result;
    });
  };
  const scalar = (key: string): Located<string> | undefined => {
    const value = settings[key];
    if (value === undefined || value === null || typeof value === 'object') return undefined;
    return at(key, String(value));
  };
  const flag = (key: string): Located<boolean> | undefined => {
    const value = settings[key];
    if (value === undefined || value === null) return undefined;
    return at(key, value === true || value === 'true');
  };

  const image = scalar('image');
  if (image !== undefined) spec.image = image;
  const readOnly = flag('read_only');
  if (readOnly !== undefined) spec.readOnly = readOnly;
  const privileged = flag('privileged');
  if (privileged !== undefined) spec.privileged = privileged;
  spec.tmpfs = items('tmpfs');
  spec.securityOpt = items('security_opt');
  spec.capAdd = items('cap_add');
  spec.capDrop = items('cap_drop');

  // Limits may be written at the top of the service or under deploy.resources.limits.
  const deploy = settings.deploy as { resources?: { limits?: Record<string, unknown> } } | undefined;
  const limits = deploy?.resources?.limits ?? {};
  const limit = (key: string, deployKey: string): Located<string> | undefined => {
    const direct = scalar(key);
    if (direct !== undefined) return direct;
    const value = limits[deployKey];
    if (value === undefined || value === null) return undefined;
    return at('deploy', String(value));
  };
  const pids = limit('pids_limit', 'pids');
  if (pids !== undefined) spec.pidsLimit = pids;
  const memory = limit('mem_limit', 'memory');
  if (memory !== undefined) spec.memory = memory;
  const cpus = limit('cpus', 'cpus') ?? scalar('cpu_quota');
  if (cpus !== undefined) spec.cpus = cpus;

  const user = scalar('user');
  if (user !== undefined) spec.user = user;
  const namespaces: [keyof ContainerSpec, string][] = [
    ['network', 'network_mode'],
    ['pid', 'pid'],
    ['ipc', 'ipc'],
    ['userns', 'userns_mode'],
    ['uts', 'uts'],
  ];
  for (const [field, key] of namespaces) {
    const value = scalar(key);
    if (value !== undefined) (spec as unknown as Record<string, Located<string>>)[field] = value;
  }

  const volumes = settings.volumes;
  const volumeNodes = node.get('volumes', true) as Node | undefined;
  if (Array.isArray(volumes)) {
    volumes.forEach((volume: unknown, index) => {
      const itemNode = isSeq(volumeNodes) && volumeNodes.items.length === volumes.length ? (volumeNodes.items[index] as Node) : keyNode(node, 'volumes');
      const where = lineOf(itemNode, counter, place);
      let mount: ContainerMount | undefined;
      if (typeof volume === 'string') mount = volumeMount(volume);
      else if (typeof volume === 'object' && volume !== null) {
        const fields = volume as Record<string, unknown>;
        mount = {};
        if (typeof fields.type === 'string') mount.type = fields.type;
        if (typeof fields.source === 'string') mount.source = fields.source;
        if (typeof fields.target === 'string') mount.target = fields.target;
      }
      if (mount === undefined) return;
      const located: Located<ContainerMount> = { value: mount, line: where.line };
      if (where.column !== undefined) located.column = where.column;
      spec.mounts.push(located);
    });
  }
  return spec;
}
