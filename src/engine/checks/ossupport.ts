import { packagePath } from '../../paths.js';
import * as fs from 'node:fs';
import { text } from '../../core/text.js';
import type { OsRelease } from '../../target/target.js';
import type { Evaluator } from '../context.js';
import { fail, notApplicable, pass } from '../types.js';

export interface SupportRow {
  id: string;
  version: string;
  name?: string;
  status?: 'supported' | 'limited' | 'unsupported';
  supportedUntil?: string;
  limitedUntil?: string;
  source?: string;
}

export interface SupportTable {
  path: string;
  releases: SupportRow[];
}

export const DEFAULT_SUPPORT_TABLE = packagePath('data', 'os-support.json');

/** Load a support table; throws an Error whose message names the file and the problem. */
export function loadSupportTable(path: string = DEFAULT_SUPPORT_TABLE): SupportTable {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${path}: cannot read the support table (${message}); give a JSON file like data/os-support.json`);
  }
  const releases = (raw as { releases?: unknown }).releases;
  if (!Array.isArray(releases)) throw new Error(`${path}: expected an object with a "releases" array`);
  releases.forEach((row: unknown, index) => {
    const entry = row as Partial<SupportRow>;
    if (typeof entry.id !== 'string' || typeof entry.version !== 'string') {
      throw new Error(`${path}: releases[${index}] needs string fields "id" and "version"`);
    }
    const known = new Set(['id', 'version', 'name', 'status', 'supportedUntil', 'limitedUntil', 'source']);
    for (const field of Object.keys(entry)) {
      if (!known.has(field)) throw new Error(`${path}: releases[${index}] has an unknown field "${field}"; known fields: ${[...known].join(', ')}`);
    }
    if (entry.status !== undefined && !['supported', 'limited', 'unsupported'].includes(entry.status)) {
      throw new Error(`${path}: releases[${index}].status is "${String(entry.status)}"; use supported, limited or unsupported`);
    }
    if (entry.status === undefined && entry.supportedUntil === undefined && entry.limitedUntil === undefined) {
      throw new Error(`${path}: releases[${index}] needs "status" or a "supportedUntil"/"limitedUntil" date`);
    }
    for (const field of ['supportedUntil', 'limitedUntil'] as const) {
      const value = entry[field];
      if (value !== undefined && Number.isNaN(Date.parse(value))) {
        throw new Error(`${path}: releases[${index}].${field} is not a date (YYYY-MM-DD): ${value}`);
      }
    }
  });
  return { path, releases: releases as SupportRow[] };
}

function versionMatches(versionId: string, version: string): boolean {
  return versionId === version || versionId.startsWith(`${version}.`);
}

export function findRow(table: SupportTable, os: OsRelease): SupportRow | undefined {
  for (const id of [os.id, ...os.idLike]) {
    const row = table.releases.find((entry) => entry.id === id && versionMatches(os.versionId, entry.version));
    if (row !== undefined) return row;
  }
  return undefined;
}

export function supportStatus(row: SupportRow, today: Date): 'supported' | 'limited' | 'unsupported' {
  if (row.status !== undefined) return row.status;
  const day = today.toISOString().slice(0, 10);
  if (row.supportedUntil !== undefined && day <= row.supportedUntil) return 'supported';
  if (row.limitedUntil !== undefined && day <= row.limitedUntil) return 'limited';
  return 'unsupported';
}

const STATUS_NAMES = {
  supported: text('supported', 'サポート中'),
  limited: text('limited (LTS)', '限定サポート(LTS)'),
  unsupported: text('unsupported', 'サポート終了'),
};

export function makeOsSupportEvaluator(table: SupportTable): Evaluator<'os-support'> {
  return (_check, _control, context) => {
    const os = context.target.os;
    if (os.path === undefined) {
      return notApplicable(text('no /etc/os-release on this target', 'このターゲットには /etc/os-release がありません'));
    }
    const release = `${os.id} ${os.versionId}`.trim();
    const evidence = [{ path: os.path, detail: os.prettyName || release }];
    const row = findRow(table, os);
    if (row === undefined) {
      return fail(
        text(
          `${release} is not in the support table ${table.path}; add a row for it or pass an updated table with --os-support FILE`,
          `${release} はサポート表 ${table.path} にありません。行を追加するか、更新した表を --os-support FILE で指定してください`,
        ),
        evidence,
        { expected: STATUS_NAMES.supported, actual: text('unknown', '不明') },
      );
    }
    const status = supportStatus(row, context.today);
    const until = row.limitedUntil ?? row.supportedUntil;
    if (status === 'supported') return pass(evidence, { expected: STATUS_NAMES.supported, actual: STATUS_NAMES[status] });
    if (status === 'limited') {
      return pass(evidence, {
        expected: STATUS_NAMES.supported,
        actual: STATUS_NAMES[status],
        notice: true,
        reason: text(
          `${release} has limited (LTS) support${until === undefined ? '' : ` until ${until}`}; plan the upgrade`,
          `${release} は限定(LTS)サポート中です${until === undefined ? '' : `(${until} まで)`}。アップグレードを計画してください`,
        ),
      });
    }
    return fail(
      text(
        `${release} no longer receives security updates${until === undefined ? '' : ` (support ended ${until})`}; upgrade to a supported release`,
        `${release} にはセキュリティ更新が提供されていません${until === undefined ? '' : `(${until} にサポート終了)`}。サポート中のリリースへアップグレードしてください`,
      ),
      evidence,
      { expected: STATUS_NAMES.supported, actual: STATUS_NAMES[status] },
    );
  };
}
