#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js';

try {
  process.exitCode = main(process.argv.slice(2), {
    stdout: (chunk) => process.stdout.write(chunk),
    stderr: (chunk) => process.stderr.write(chunk),
    env: process.env,
    stdoutIsTty: process.stdout.isTTY === true,
  });
} catch (error) {
  // Only bugs reach this point: user errors are reported by main() with exit code 2.
  process.stderr.write(`kimigayo-harden: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
  if (process.env.KIMIGAYO_HARDEN_DEBUG !== undefined) process.stderr.write(`${error instanceof Error ? error.stack : ''}\n`);
  process.exitCode = 70;
}
