import { packagePath } from './paths.js';
import { readFileSync } from 'node:fs';

export const TOOL_NAME = 'kimigayo-harden';

/** The version in package.json, read once so that the two never disagree. */
export const TOOL_VERSION: string = (
  JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }
).version;
