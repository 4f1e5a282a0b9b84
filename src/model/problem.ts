import type { Diagnostic } from '../core/diagnostic.js';
import type { Text } from '../core/text.js';
import type { TargetError } from '../target/rootfs.js';

/** Something a model could not understand; the engine turns it into an `error` result. */
export interface Problem {
  path: string;
  line?: number;
  column?: number;
  code: string;
  message: Text;
  value?: string;
}

export function problemFromError(error: TargetError): Problem {
  return { path: error.path, code: `file.${error.code}`, message: error.detail };
}

export function problemFromDiagnostic(diagnostic: Diagnostic): Problem {
  const problem: Problem = { path: diagnostic.path, code: diagnostic.code, message: diagnostic.message };
  if (diagnostic.line !== undefined) problem.line = diagnostic.line;
  if (diagnostic.column !== undefined) problem.column = diagnostic.column;
  if (diagnostic.value !== undefined) problem.value = diagnostic.value;
  return problem;
}
