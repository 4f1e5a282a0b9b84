import type { RegisterCommand } from '../common.js';

interface CommandModule {
  /** Subcommand names the module registers. */
  names: string[];
  load: () => Promise<RegisterCommand>;
}

/**
 * Subcommands in the order `kimigayo-harden --help` lists them. Each module is imported only when
 * its command runs (or for the overall help), because loading every generator, linter and table
 * at start-up would double the time of a plain audit.
 */
export const COMMAND_MODULES: CommandModule[] = [
  { names: ['audit'], load: async () => (await import('./audit.js')).registerAudit },
  { names: ['plan', 'apply', 'rollback'], load: async () => (await import('./change.js')).registerChange },
  { names: ['scan'], load: async () => (await import('./scan.js')).registerScan },
  { names: ['lint'], load: async () => (await import('./lint.js')).registerLint },
  { names: ['generate'], load: async () => (await import('./generate.js')).registerGenerate },
  { names: ['compile'], load: async () => (await import('./compile.js')).registerCompile },
  { names: ['firewall'], load: async () => (await import('./firewall.js')).registerFirewall },
];

/** Import the register functions this command line needs: one module for a known subcommand, all otherwise. */
export async function commandsFor(name: string): Promise<RegisterCommand[]> {
  const known = COMMAND_MODULES.find((module) => module.names.includes(name));
  const modules = known === undefined ? COMMAND_MODULES : [known];
  return Promise.all(modules.map((module) => module.load()));
}
