import * as fs from 'node:fs';
import { LineCounter, parseDocument, isMap, isScalar, isSeq } from 'yaml';
import type { Node } from 'yaml';
import { text } from '../core/text.js';
import { UsageError } from '../target/target.js';
import type { Profile } from './profile.js';

type PortField = 'sshPorts' | 'allowTcp' | 'allowUdp';
const PORT_FIELDS: PortField[] = ['sshPorts', 'allowTcp', 'allowUdp'];
const KNOWN = new Set<string>(['ipv6', 'answerPing', ...PORT_FIELDS]);

function located(path: string, lineCounter: LineCounter, node: Node | null | undefined): string {
  if (node?.range === undefined || node.range === null) return path;
  const { line, col } = lineCounter.linePos(node.range[0]);
  return `${path}:${line}:${col}`;
}

/** Read a site profile; every problem is a UsageError that names the file, line and column. */
export function loadProfile(path: string): Profile {
  let source: string;
  try {
    source = fs.readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(text(`--profile ${path}: cannot read the file (${reason})`, `--profile ${path}: ファイルを読めません(${reason})`));
  }

  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const { line, col } = lineCounter.linePos(syntax.pos[0]);
    throw new UsageError(text(`${path}:${line}:${col}: invalid YAML: ${syntax.message}`, `${path}:${line}:${col}: YAML が正しくありません: ${syntax.message}`));
  }
  const root = doc.contents;
  if (root === null) return {};
  if (!isMap(root)) {
    throw new UsageError(text(`${located(path, lineCounter, root)}: a profile is a mapping of settings`, `${located(path, lineCounter, root)}: プロファイルは設定のマッピングでなければなりません`));
  }

  const profile: Profile = {};
  for (const pair of root.items) {
    const keyNode = pair.key as Node | null;
    const key = isScalar(keyNode) ? String(keyNode.value) : '';
    const valueNode = pair.value as Node | null;
    const where = located(path, lineCounter, keyNode);
    if (!KNOWN.has(key)) {
      throw new UsageError(
        text(`${where}: unknown setting "${key}"; known settings: ${[...KNOWN].join(', ')}`, `${where}: 不明な設定 "${key}" です。使える設定: ${[...KNOWN].join(', ')}`),
      );
    }
    if (key === 'ipv6' || key === 'answerPing') {
      if (!isScalar(valueNode) || typeof valueNode.value !== 'boolean') {
        throw new UsageError(text(`${where}: ${key} must be true or false`, `${where}: ${key} は true か false で指定してください`));
      }
      profile[key] = valueNode.value;
      continue;
    }
    if (!isSeq(valueNode)) {
      throw new UsageError(text(`${where}: ${key} must be a list of port numbers`, `${where}: ${key} はポート番号のリストで指定してください`));
    }
    const ports = valueNode.items.map((item) => {
      const value = isScalar(item) ? item.value : undefined;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
        const at = located(path, lineCounter, item as Node);
        throw new UsageError(text(`${at}: ${String(value)} is not a port number (1-65535)`, `${at}: ${String(value)} はポート番号(1〜65535)ではありません`));
      }
      return value;
    });
    profile[key as PortField] = ports;
  }
  return profile;
}
