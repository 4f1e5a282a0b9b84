import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Root of the installed package (where package.json and data/ are). Compiled modules live in
 * dist/src/ and the bundle in dist/bundle/, both two levels below it, so one relative URL serves both.
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function packagePath(...parts: string[]): string {
  return path.join(PACKAGE_ROOT, ...parts);
}
