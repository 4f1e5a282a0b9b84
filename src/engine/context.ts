import type { Control } from '../catalog/types.js';
import { text } from '../core/text.js';
import type { Text } from '../core/text.js';
import { loadAccounts } from '../model/accounts.js';
import type { Accounts } from '../model/accounts.js';
import type { Problem } from '../model/problem.js';
import { problemFromError } from '../model/problem.js';
import type { Profile } from '../profile/profile.js';
import { TargetError } from '../target/rootfs.js';
import type { Target } from '../target/target.js';
import type { Evidence, Outcome } from './types.js';
import { errorOutcome } from './types.js';

/**
 * Shared state of one audit: the target, the site profile and the models. Each model is
 * computed on first use and kept, so an audit reads every file once.
 */
export class AuditContext {
  readonly target: Target;
  readonly profile: Profile;
  readonly today: Date;
  private readonly cache = new Map<string, unknown>();

  /** Models that several audits of one plan share because they read only what no change touches. */
  private readonly shared: Map<string, unknown> | undefined;

  constructor(target: Target, profile: Profile, today: Date, shared?: Map<string, unknown>) {
    this.target = target;
    this.profile = profile;
    this.today = today;
    this.shared = shared;
  }

  /** Compute a model once for every audit that got the same `shared` map (once per audit without one). */
  sharedModel<T>(name: string, compute: () => T): T {
    if (this.shared === undefined) return this.model(name, compute);
    if (!this.shared.has(name)) this.shared.set(name, compute());
    return this.shared.get(name) as T;
  }

  /** Compute a model once per audit. */
  model<T>(name: string, compute: () => T): T {
    if (!this.cache.has(name)) this.cache.set(name, compute());
    return this.cache.get(name) as T;
  }

  get live(): boolean {
    return this.target.mode === 'live';
  }

  accounts(): Accounts {
    return this.model('accounts', () => loadAccounts(this.target.fs));
  }

  /** Read a text file of the target; a read problem becomes a Problem instead of an exception. */
  readText(path: string): { text?: string; problem?: Problem } {
    try {
      const file = this.target.fs.readTextIfExists(path);
      return file === undefined ? {} : { text: file.text };
    } catch (error) {
      if (error instanceof TargetError) return { problem: problemFromError(error) };
      throw error;
    }
  }
}

export type Evaluator<K extends Control['check']['kind']> = (
  check: Extract<Control['check'], { kind: K }>,
  control: Control,
  context: AuditContext,
) => Outcome;

/** Turn model problems into an `error` outcome that names each file and line. */
export function problemsOutcome(problems: Problem[], what?: Text): Outcome {
  const evidence: Evidence[] = problems.map((problem) => {
    const item: Evidence = { path: problem.path, detail: problem.value ?? problem.code };
    if (problem.line !== undefined) item.line = problem.line;
    return item;
  });
  const first = problems[0];
  let where = '';
  if (first !== undefined) {
    // Model messages often name their file already; repeat it only to add the line.
    const named = first.message.en.includes(first.path);
    if (first.line !== undefined) where = `${first.path}:${first.line}: `;
    else if (!named) where = `${first.path}: `;
  }
  const value = first?.value === undefined ? '' : ` (${first.value})`;
  const reason = text(
    `${what?.en ?? 'could not evaluate'}: ${where}${first?.message.en ?? ''}${value}`,
    `${what?.ja ?? '評価できません'}: ${where}${first?.message.ja ?? ''}${value}`,
  );
  return errorOutcome(reason, evidence);
}
