import type { Control } from '../catalog/types.js';
import type { Text } from '../core/text.js';

export type Status = 'pass' | 'fail' | 'not-applicable' | 'error' | 'waived';

/** A file and line that a verdict rests on. */
export interface Evidence {
  path: string;
  line?: number;
  /** Content found there, e.g. `PermitRootLogin yes` or `mode 0644 root:root`. */
  detail?: string;
}

/** Verdict of one evaluator for one control. */
export interface Outcome {
  status: Status;
  /** Technical values stay strings; phrases exist in both languages. */
  expected?: string | Text;
  actual?: string | Text;
  evidence: Evidence[];
  /** Reason for a failure, a not-applicable or an error; also a note on some passes. */
  reason?: Text;
  /** The reason of a pass deserves attention (an LTS release, for example), so reports show it by default. */
  notice?: boolean;
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
