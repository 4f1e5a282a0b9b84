/** Exit codes of every command. A run only ever escalates: a failure is never downgraded. */
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

export type ExitCode = typeof EXIT_OK | typeof EXIT_FAIL | typeof EXIT_USAGE;

export function escalate(current: ExitCode, next: ExitCode): ExitCode {
  return next > current ? next : current;
}
