#!/usr/bin/env node
import { existsSync } from 'node:fs';

// The esbuild bundle loads in a few files instead of some 150 modules; the plain tsc output is
// the fallback when only `tsc` was run.
const bundle = new URL('../dist/bundle/main.js', import.meta.url);
const { main } = await import(existsSync(bundle) ? bundle.href : '../dist/src/cli/main.js');

// A closed pipe (`| head`) ends the output quietly; any other write error is one line and exit 74 (EX_IOERR).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    if (stream === process.stdout) process.stderr.write(`kimigayo-harden: cannot write the output: ${error.message}\n`);
    process.exit(74);
  });
}

try {
  process.exitCode = await main(process.argv.slice(2), {
    stdout: (chunk) => process.stdout.write(chunk),
    stderr: (chunk) => process.stderr.write(chunk),
    env: process.env,
    stdoutIsTty: process.stdout.isTTY === true,
    stderrIsTty: process.stderr.isTTY === true,
  });
} catch (error) {
  // Only bugs reach this point: user errors are reported by main() with exit code 2.
  process.stderr.write(`kimigayo-harden: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
  if (process.env.KIMIGAYO_HARDEN_DEBUG !== undefined) process.stderr.write(`${error instanceof Error ? error.stack : ''}\n`);
  process.exitCode = 70;
}
