import type { RegisterCommand } from '../common.js';
import { registerAudit } from './audit.js';
import { registerFirewall } from './firewall.js';
import { registerGenerate } from './generate.js';
import { registerLint } from './lint.js';

/** Subcommands in the order `kimigayo-harden --help` lists them. */
export const COMMANDS: RegisterCommand[] = [registerAudit, registerLint, registerGenerate, registerFirewall];
