import * as fs from 'node:fs';
import { LineCounter, parseDocument, isMap, isScalar, isSeq } from 'yaml';
import type { Node } from 'yaml';
import { CATALOG } from '../catalog/index.js';
import { text } from '../core/text.js';
import { UsageError } from '../target/target.js';
import type { Profile, Waiver } from './profile.js';

type PortField = 'sshPorts' | 'allowTcp' | 'allowUdp';
const PORT_FIELDS: PortField[] = ['sshPorts', 'allowTcp', 'allowUdp'];
const BOOLEAN_FIELDS = ['ipv6', 'answerPing', 'grubUnrestricted'] as const;
const KNOWN = new Set<string>([...BOOLEAN_FIELDS, ...PORT_FIELDS, 'keepModules', 'waivers']);
const WAIVER_FIELDS = new Set(['id', 'reason', 'expires']);
const MODULE_NAME = /^[A-Za-z0-9_-]+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const CONTROL_IDS = new Set(CATALOG.map((control) => control.id));

/** True for a real day written YYYY-MM-DD; Date.parse accepts 2027-02-30 and rolls it over to March. */
function isCalendarDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const day = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === value;
}

class ProfileReader {
  constructor(
    private readonly path: string,
    private readonly lineCounter: LineCounter,
  ) {}

  where(node: Node | null | undefined): string {
    if (node?.range === undefined || node.range === null) return this.path;
    const { line, col } = this.lineCounter.linePos(node.range[0]);
    return `${this.path}:${line}:${col}`;
  }

  fail(node: Node | null | undefined, en: string, ja: string): never {
    const at = this.where(node);
    throw new UsageError(text(`${at}: ${en}`, `${at}: ${ja}`));
  }

  ports(key: string, node: Node | null): number[] {
    if (!isSeq(node)) this.fail(node, `${key} must be a list of port numbers`, `${key} はポート番号のリストで指定してください`);
    return node.items.map((item) => {
      const value = isScalar(item) ? item.value : undefined;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
        this.fail(item as Node, `${String(value)} is not a port number (1-65535)`, `${String(value)} はポート番号(1〜65535)ではありません`);
      }
      return value;
    });
  }

  modules(node: Node | null): string[] {
    if (!isSeq(node)) this.fail(node, 'keepModules must be a list of module names', 'keepModules はモジュール名のリストで指定してください');
    return node.items.map((item) => {
      const value = isScalar(item) ? item.value : undefined;
      if (typeof value !== 'string' || !MODULE_NAME.test(value)) {
        this.fail(item as Node, `${String(value)} is not a kernel module name (letters, digits, - and _)`, `${String(value)} はカーネルモジュール名(英数字、-、_)ではありません`);
      }
      return value;
    });
  }

  waivers(node: Node | null): Waiver[] {
    if (!isSeq(node)) this.fail(node, 'waivers must be a list of {id, reason, expires}', 'waivers は {id, reason, expires} のリストで指定してください');
    const seen = new Map<string, string>();
    return node.items.map((item) => {
      if (!isMap(item)) this.fail(item as Node, 'a waiver is a mapping with id, reason and expires', '例外は id、reason、expires を持つマッピングです');
      const waiver: Partial<Waiver> = {};
      for (const pair of item.items) {
        const keyNode = pair.key as Node | null;
        const key = isScalar(keyNode) ? String(keyNode.value) : '';
        const valueNode = pair.value as Node | null;
        if (!WAIVER_FIELDS.has(key)) this.fail(keyNode, `unknown waiver field "${key}"; known fields: id, reason, expires`, `例外の不明な項目 "${key}" です。使える項目: id、reason、expires`);
        let value = isScalar(valueNode) ? valueNode.value : undefined;
        // YAML 1.1 readers turn 2027-03-31 into a date; keep the text as written.
        if (value instanceof Date) value = value.toISOString().slice(0, 10);
        if (typeof value !== 'string' || value.trim() === '') this.fail(valueNode ?? keyNode, `${key} must be a non-empty string`, `${key} は空でない文字列で指定してください`);
        if (key === 'expires' && !isCalendarDate(value)) {
          this.fail(valueNode, `expires must be a date written YYYY-MM-DD (got ${value})`, `expires は YYYY-MM-DD 形式の日付で指定してください(指定値: ${value})`);
        }
        waiver[key as keyof Waiver] = value;
      }
      if (waiver.id === undefined) this.fail(item, 'a waiver needs the id of the control it waives', '例外には対象のコントロール ID(id)が必要です');
      if (waiver.reason === undefined) this.fail(item, `the waiver of ${waiver.id} needs a reason`, `${waiver.id} の例外には理由(reason)が必要です`);
      if (!CONTROL_IDS.has(waiver.id)) {
        // A misspelt id would waive nothing and leave the operator believing the control is waived.
        const idNode = item.items.find((pair) => isScalar(pair.key) && pair.key.value === 'id')?.value as Node | null;
        this.fail(
          idNode,
          `no control has the id "${waiver.id}"; "kimigayo-harden audit --format json" lists the ids`,
          `ID が "${waiver.id}" のコントロールはありません。ID は "kimigayo-harden audit --format json" で確認できます`,
        );
      }
      const first = seen.get(waiver.id);
      if (first !== undefined) {
        // Only the first waiver of an id would count, so a second one with a later date would be ignored.
        this.fail(item, `${waiver.id} is waived twice (first at ${first}); keep one waiver per control`, `${waiver.id} の例外が 2 つあります(最初は ${first})。1 つのコントロールに例外は 1 つにしてください`);
      }
      seen.set(waiver.id, this.where(item));
      return waiver as Waiver;
    });
  }
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
    if (syntax.code === 'MULTIPLE_DOCS') {
      throw new UsageError(text(`${path}:${line}:${col}: a profile is one YAML document; remove this "---" and what follows, or merge it into the first`, `${path}:${line}:${col}: プロファイルは 1 つの YAML 文書です。この "---" 以降を削除するか、最初の文書にまとめてください`));
    }
    throw new UsageError(text(`${path}:${line}:${col}: invalid YAML: ${syntax.message}`, `${path}:${line}:${col}: YAML が正しくありません: ${syntax.message}`));
  }
  const reader: ProfileReader = new ProfileReader(path, lineCounter);
  const root = doc.contents;
  if (root === null) return {};
  if (!isMap(root)) reader.fail(root, 'a profile is a mapping of settings', 'プロファイルは設定のマッピングでなければなりません');

  const profile: Profile = {};
  for (const pair of root.items) {
    const keyNode = pair.key as Node | null;
    const key = isScalar(keyNode) ? String(keyNode.value) : '';
    const valueNode = pair.value as Node | null;
    if (!KNOWN.has(key)) {
      reader.fail(keyNode, `unknown setting "${key}"; known settings: ${[...KNOWN].join(', ')}`, `不明な設定 "${key}" です。使える設定: ${[...KNOWN].join(', ')}`);
    }
    if (key === 'ipv6' || key === 'answerPing' || key === 'grubUnrestricted') {
      if (!isScalar(valueNode) || typeof valueNode.value !== 'boolean') reader.fail(keyNode, `${key} must be true or false`, `${key} は true か false で指定してください`);
      profile[key] = valueNode.value;
    } else if (key === 'keepModules') {
      profile.keepModules = reader.modules(valueNode);
    } else if (key === 'waivers') {
      profile.waivers = reader.waivers(valueNode);
    } else {
      profile[key as PortField] = reader.ports(key, valueNode);
    }
  }
  return profile;
}
