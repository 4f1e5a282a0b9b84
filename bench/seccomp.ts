import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARCHES } from '../src/seccomp/arch.js';
import type { ArchInfo } from '../src/seccomp/arch.js';
import { compileProfile } from '../src/seccomp/compile.js';
import { parseProfile } from '../src/seccomp/profile.js';
import type { SeccompProfile } from '../src/seccomp/profile.js';
import { countSteps } from '../test/seccomp/interpreter.js';

/**
 * Measures the seccomp tools on a profile, by default the moby default profile. It times `lint`
 * and `compile` as whole CLI runs (median after warm-up). It also prints the length of the
 * compiled programs and, counted by the test interpreter, the instructions run per system call.
 * Usage: node dist/bench/seccomp.js [PROFILE]
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const profilePath = process.argv[2] ?? path.resolve(repoRoot, '../shared/corpus/seccomp/moby-default.json');
const runs = Number(process.env.KH_BENCH_RUNS ?? 10);
const warmups = 2;

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
console.log(`profile: ${profilePath}`);

const output = path.join(os.tmpdir(), `kh-bench-seccomp-${process.pid}.bpf`);
const cases: [string, string[]][] = [
  ['lint', ['lint', profilePath]],
  ['compile x86_64', ['compile', profilePath, '--arch', 'x86_64', '-o', output]],
];
try {
  for (const [name, args] of cases) {
    for (let i = 0; i < warmups; i++) timeOnce(args);
    const times = Array.from({ length: runs }, () => timeOnce(args));
    console.log(`${name}: median ${median(times).toFixed(1)} ms, min ${Math.min(...times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms (${runs} runs)`);
    console.log(`  command: node bin/kimigayo-harden.js ${args.join(' ')}`);
  }
} finally {
  fs.rmSync(output, { force: true });
}

const profile = parseProfile(fs.readFileSync(profilePath, 'utf8'), profilePath).profile as SeccompProfile;
for (const [machine, arches] of [['x86_64', ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']], ['aarch64', ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']]] as const) {
  const { program } = compileProfile(profile, { machine, environment: { caps: new Set() } });
  for (const archName of arches) {
    const arch = ARCHES[archName] as ArchInfo;
    const steps = Object.values(arch.syscalls).map((nr) => countSteps(program, { nr, arch: arch.auditArch }));
    const mean = steps.reduce((sum, value) => sum + value, 0) / steps.length;
    console.log(`${machine} program: ${program.length} instructions; ${archName} calls execute mean ${mean.toFixed(0)}, max ${Math.max(...steps)} instructions`);
  }
}
