import { composeLinter, daemonJsonLinter, dockerRunLinter } from '../docker/linters.js';
import { auditRulesLinter } from '../auditd/lint.js';
import { grubLinter } from '../boot/lint.js';
import { seccompLinter } from '../seccomp/lint.js';
import { ip6tablesLinter, iptablesLinter } from './iptables.js';
import { fstabLinter, modprobeLinter, sshdLinter, sysctlLinter } from './config.js';
import type { Linter } from './types.js';

/**
 * Linters the `lint` command can run. A module adds its linter to this list. The order only
 * matters for `lint --help`, since detection takes the best score.
 */
export const LINTERS: Linter[] = [daemonJsonLinter, composeLinter, dockerRunLinter, auditRulesLinter, grubLinter, seccompLinter, iptablesLinter, ip6tablesLinter, sshdLinter, sysctlLinter, fstabLinter, modprobeLinter];

export function linterByType(type: string): Linter | undefined {
  return LINTERS.find((linter) => linter.type === type);
}

export interface Detection {
  linter?: Linter;
  /** Types that scored equally high, when detection could not decide. */
  ambiguous: string[];
}

/** Pick the linter whose detect() scores the content highest; below 0.5 counts as unknown. */
export function detectLinter(content: string, path: string): Detection {
  let best = 0;
  let winners: Linter[] = [];
  for (const linter of LINTERS) {
    const score = linter.detect(content, path);
    if (score > best) {
      best = score;
      winners = [linter];
    } else if (score === best && score > 0) {
      winners.push(linter);
    }
  }
  if (best < 0.5) return { ambiguous: [] };
  if (winners.length > 1) return { ambiguous: winners.map((linter) => linter.type) };
  return { linter: winners[0] as Linter, ambiguous: [] };
}
