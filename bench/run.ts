import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScanBench } from './scan.js';

/**
 * Time whole CLI runs, as an operator starts them: process start-up, module loading and the
 * audit. Prints the median of the timed runs after warm-up runs, and the machine it ran on.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cacheDir = process.env.KH_CACHE_DIR ?? '/var/cache/kimigayo-harden';
const debianTree = path.join(cacheDir, 'rootfs/debian-bookworm');
const runs = Number(process.env.KH_BENCH_RUNS ?? 10);
const warmups = 2;

interface Case {
  name: string;
  args: string[];
}

const cases: Case[] = [
  { name: 'audit --level 3 (Debian bookworm tree)', args: ['audit', '--root', debianTree, '--level', '3', '--format', 'json'] },
  { name: 'audit --level 3 (Debian bookworm tree, text)', args: ['audit', '--root', debianTree, '--level', '3'] },
  // The plan reads the tree only, so the cached tree itself is safe to use; sshd -t and
  // findmnt --verify on the candidate files are part of the time.
  { name: 'plan --level 3 (Debian bookworm tree)', args: ['plan', '--root', debianTree, '--level', '3', '--container', 'no'] },
];

function timeOnce(args: string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'bin/kimigayo-harden.js'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0 && result.status !== 1) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr.toString()}`);
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, Linux ${os.release()}`);
console.log(`runs: ${runs} timed after ${warmups} warm-up runs`);
for (const benchCase of cases) {
  for (let i = 0; i < warmups; i++) timeOnce(benchCase.args);
  const times = Array.from({ length: runs }, () => timeOnce(benchCase.args));
  console.log(`${benchCase.name}: median ${median(times).toFixed(1)} ms, min ${Math.min(...times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`);
  console.log(`  command: node bin/kimigayo-harden.js ${benchCase.args.join(' ')}`);
}

// KH_BENCH_SCAN=0 leaves out the file scan benchmark, which takes minutes and builds a large tree.
if (process.env.KH_BENCH_SCAN !== '0') runScanBench();
