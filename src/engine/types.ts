import type { Control } from '../catalog/types.js';
import type { Text } from '../core/text.js';

export type Status = 'pass' | 'fail' | 'not-applicable' | 'error';

/** A file and line that a verdict rests on. */
export interface Evidence {
  path: string;
  line?: number;
  /** What stands there, e.g. `PermitRootLogin yes` or `mode 0644 root:root`. */
  detail?: string;
}

/** What one evaluator found for one control. */
export interface Outcome {
  status: Status;
  expected?: string;
  actual?: string;
  evidence: Evidence[];
  /** Why it failed, is not applicable, or could not be evaluated. Also notes on a pass. */
  reason?: Text;
}

export interface ControlResult extends Outcome {
  control: Control;
}

export function pass(evidence: Evidence[], extra: Partial<Outcome> = {}): Outcome {
  return { status: 'pass', evidence, ...extra };
}

export function fail(reason: Text, evidence: Evidence[], extra: Partial<Outcome> = {}): Outcome {
  return { status: 'fail', reason, evidence, ...extra };
}

export function notApplicable(reason: Text, evidence: Evidence[] = []): Outcome {
  return { status: 'not-applicable', reason, evidence };
}

export function errorOutcome(reason: Text, evidence: Evidence[], extra: Partial<Outcome> = {}): Outcome {
  return { status: 'error', reason, evidence, ...extra };
}
