import { records, parseColonFile } from '../parse/colonfile.js';
import type { RootFs } from '../target/rootfs.js';
import { TargetError } from '../target/rootfs.js';
import type { Problem } from './problem.js';
import { problemFromError } from './problem.js';

/** Users and groups of the target, never of the machine running the tool. */
export interface Accounts {
  userName(uid: number): string | undefined;
  groupName(gid: number): string | undefined;
  uid(name: string): number | undefined;
  gid(name: string): number | undefined;
  /** Every uid in /etc/passwd and every gid in /etc/group of the target. */
  uids(): number[];
  gids(): number[];
  /** Whether the target has each file at all. Without them a scan cannot detect orphans. */
  hasPasswd: boolean;
  hasGroup: boolean;
  problems: Problem[];
}

function readIds(fs: RootFs, path: string, fieldCount: number, problems: Problem[]): Map<number, string> | undefined {
  const ids = new Map<number, string>();
  let source: string | undefined;
  try {
    source = fs.readTextIfExists(path)?.text;
  } catch (error) {
    if (error instanceof TargetError) problems.push(problemFromError(error));
    else throw error;
  }
  if (source === undefined) return undefined;
  const doc = parseColonFile(source, path, fieldCount);
  for (const record of records(doc)) {
    const name = record.fields[0];
    const id = Number(record.fields[2]);
    if (name !== undefined && Number.isInteger(id) && !ids.has(id)) ids.set(id, name);
  }
  return ids;
}

export function loadAccounts(fs: RootFs): Accounts {
  const problems: Problem[] = [];
  const passwd = readIds(fs, '/etc/passwd', 7, problems);
  const group = readIds(fs, '/etc/group', 4, problems);
  const users = passwd ?? new Map<number, string>();
  const groups = group ?? new Map<number, string>();
  const byName = (map: Map<number, string>, name: string): number | undefined => {
    for (const [id, entry] of map) if (entry === name) return id;
    return undefined;
  };
  return {
    userName: (uid) => users.get(uid),
    groupName: (gid) => groups.get(gid),
    uid: (name) => byName(users, name),
    gid: (name) => byName(groups, name),
    uids: () => [...users.keys()],
    gids: () => [...groups.keys()],
    hasPasswd: passwd !== undefined,
    hasGroup: group !== undefined,
    problems,
  };
}
