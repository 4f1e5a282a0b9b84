import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the command line in this process, as bin/kimigayo-harden.js does, and collect its output. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (chunk) => (stdout += chunk), stderr: (chunk) => (stderr += chunk), env, stdoutIsTty: false, stderrIsTty: false });
  return { code, stdout, stderr };
}
