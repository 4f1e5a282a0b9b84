import type { Diagnostic } from '../core/diagnostic.js';
import type { Text } from '../core/text.js';
import type { Profile } from '../profile/profile.js';

/** One finding of a linter, with the place in the file it is about. */
export interface Finding {
  path: string;
  /** 1-based; absent for findings about the whole file. */
  line?: number;
  column?: number;
  /** Stable machine-readable code such as `iptables.unreachable-rule`; tests assert on it. */
  code: string;
  severity: 'error' | 'warning' | 'info';
  message: Text;
  /** The offending text as it appears in the file. */
  value?: string;
}

/** Facts about the system a file belongs to, when the caller knows them. */
export interface LintOptions {
  profile?: Profile;
  /** Root of the target the file belongs to, for checks such as "watched path missing". */
  root?: string;
  /** Whether IPv6 is enabled on the target; undefined when unknown. */
  ipv6Enabled?: boolean;
}

export interface LintInput {
  /** Path as the user gave it, used in findings. */
  path: string;
  content: string;
  options: LintOptions;
}

/** A linter for one file type. Types are detected from content, so a file name alone never decides. */
export interface Linter {
  /** Value of `lint --type`, e.g. `iptables`, `seccomp`, `audit-rules`. */
  type: string;
  description: Text;
  /**
   * Score how sure we are that `content` is of this type: 0 means not, 1 means certain.
   * The registry picks the highest score; ties are reported as ambiguous.
   */
  detect(content: string, path: string): number;
  lint(input: LintInput): Finding[];
}

/** Turn a parser's diagnostics into lint findings: same place, code, severity and message. */
export function findingsFromDiagnostics(diagnostics: readonly Diagnostic[]): Finding[] {
  return diagnostics.map((diagnostic) => ({
    path: diagnostic.path,
    ...(diagnostic.line === undefined ? {} : { line: diagnostic.line }),
    ...(diagnostic.column === undefined ? {} : { column: diagnostic.column }),
    code: diagnostic.code,
    severity: diagnostic.severity,
    message: diagnostic.message,
    ...(diagnostic.value === undefined ? {} : { value: diagnostic.value }),
  }));
}
