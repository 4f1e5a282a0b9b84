import type { RegisterCommand } from '../common.js';
import { registerAudit } from './audit.js';
import { registerChange } from './change.js';
import { registerCompile } from './compile.js';
import { registerFirewall } from './firewall.js';
import { registerGenerate } from './generate.js';
import { registerLint } from './lint.js';
import { registerScan } from './scan.js';

/** Subcommands in the order `kimigayo-harden --help` lists them. */
export const COMMANDS: RegisterCommand[] = [registerAudit, registerChange, registerScan, registerLint, registerGenerate, registerCompile, registerFirewall];
