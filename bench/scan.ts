import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Compare `kimigayo-harden scan` with GNU find on the same tree and warm cache: the one-stat
 * walk `find ROOT -xdev -printf '%m %U %G\n'` (the practical floor) and the guide's four find
 * commands. Trees: this machine's / and a generated tree of 1,000,114 entries, which is made
 * after / is measured and removed at the end so that it does not count in the / figures.
 * Every command runs under GNU time for wall time, CPU time and peak memory. The figure per
 * command is the median over the rounds, and each round runs every command once.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TIME = '/usr/bin/time';

interface Measure {
  wall: number;
  cpu: number;
  maxRssKb: number;
}

function measure(command: string): Measure {
  const result = spawnSync(TIME, ['-f', '%e %U %S %M', 'sh', '-c', `${command} > /dev/null 2>/dev/null`], { encoding: 'utf8' });
  const line = result.stderr.trim().split('\n').at(-1) ?? '';
  const [wall, user, system, rss] = line.split(' ').map(Number);
  if (wall === undefined || user === undefined || system === undefined || rss === undefined || Number.isNaN(wall)) {
    throw new Error(`cannot read the output of ${TIME} for: ${command}\n${result.stderr}`);
  }
  return { wall, cpu: user + system, maxRssKb: rss };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

interface Commands {
  floor: string;
  guide: string;
  scan: string;
}

function commandsFor(root: string): Commands {
  const r = quote(root);
  return {
    floor: `find ${r} -xdev -printf '%m %U %G\\n'`,
    guide: [
      `find ${r} -perm -4000 -type f -exec ls -la {} \\;`,
      `find ${r} -perm -2000 -type f -exec ls -la {} \\;`,
      `find ${r} -xdev -type f -perm -0002 -exec ls -la {} \\;`,
      `find ${r} -xdev -nouser -o -nogroup`,
    ].map((command) => `{ ${command}; } > /dev/null 2>&1;`).join(' '),
    scan: `${quote(process.execPath)} ${quote(path.join(repoRoot, 'bin/kimigayo-harden.js'))} scan --root ${r} --format json`,
  };
}

function benchTree(name: string, root: string, rounds: number): void {
  const commands = commandsFor(root);
  const entries = spawnSync('sh', ['-c', `find ${quote(root)} -xdev | wc -l`], { encoding: 'utf8' }).stdout.trim();
  // Warm the cache with one run of each.
  for (const command of Object.values(commands)) measure(command);
  const runs: Record<keyof Commands, Measure[]> = { floor: [], guide: [], scan: [] };
  for (let round = 0; round < rounds; round++) {
    for (const key of Object.keys(commands) as (keyof Commands)[]) runs[key].push(measure(commands[key]));
  }
  const wall = (key: keyof Commands): number => median(runs[key].map((run) => run.wall));
  const cpu = (key: keyof Commands): number => median(runs[key].map((run) => run.cpu));
  console.log(`\n${name}: ${root}, ${entries} entries (find -xdev), median of ${rounds} rounds`);
  for (const key of Object.keys(commands) as (keyof Commands)[]) {
    const rss = Math.max(...runs[key].map((run) => run.maxRssKb));
    console.log(`  ${key.padEnd(5)} wall ${wall(key).toFixed(2)} s, CPU ${cpu(key).toFixed(2)} s, peak RSS ${(rss / 1024).toFixed(0)} MiB: ${commands[key]}`);
  }
  console.log(`  scan / floor wall time: ${(wall('scan') / wall('floor')).toFixed(2)} (target at most 1.2)`);
  console.log(`  guide / scan wall time: ${(wall('guide') / wall('scan')).toFixed(2)} (target at least 5)`);
  console.log(`  scan / floor CPU time: ${(cpu('scan') / cpu('floor')).toFixed(2)}`);
}

export function runScanBench(): void {
  if (!fs.existsSync(TIME)) {
    console.log(`scan benchmark skipped: ${TIME} is missing (Debian package "time")`);
    return;
  }
  const rounds = Number(process.env.KH_BENCH_SCAN_ROUNDS ?? 3);
  const generated = process.env.KH_BENCH_TREE ?? path.join('/var/tmp', `kimigayo-harden-bench-tree-${process.pid}`);
  const keep = process.env.KH_BENCH_TREE !== undefined;
  console.log(`\nscan benchmark; load average before: ${os.loadavg().map((value) => value.toFixed(2)).join(' ')}`);
  benchTree('this machine', '/', rounds);
  const made = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/make-bench-tree.mjs'), generated], { stdio: 'inherit' });
  if (made.status !== 0) throw new Error(`scripts/make-bench-tree.mjs ${generated} exited ${made.status}`);
  try {
    benchTree('generated tree', generated, rounds);
  } finally {
    if (!keep) fs.rmSync(generated, { recursive: true, force: true });
  }
  console.log(`load average after: ${os.loadavg().map((value) => value.toFixed(2)).join(' ')}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) runScanBench();
