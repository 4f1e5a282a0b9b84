import type { ArchInfo } from './arch.js';
import { X32_SYSCALL_BIT } from './arch.js';
import { Assembler, BPF_JMP_JEQ_K, BPF_JMP_JGE_K, BPF_JMP_JGT_K, BPF_MAXINSNS, SECCOMP_DATA, SECCOMP_RET } from './bpf.js';
import type { Instruction } from './bpf.js';
import type { SeccompArg, SeccompProfile } from './profile.js';
import { defaultErrno, entriesByNumber, filterArches } from './rules.js';
import type { Entry, RuleEnvironment } from './rules.js';

export interface CompileOptions {
  /** `x86_64` or `aarch64`: the machine whose kernel loads the program. */
  machine: string;
  environment: RuleEnvironment;
}

export interface CompiledFilter {
  program: Instruction[];
  /** Architectures the program filters; calls of any other architecture are killed. */
  arches: string[];
}

/** A profile that cannot become a program, e.g. one that needs a notification listener. */
export class CompileError extends Error {}

/**
 * Action for calls from an architecture the profile does not cover, such as i386 calls through
 * `int 0x80` when only SCMP_ARCH_X86_64 is listed. Killing the process is libseccomp's default
 * bad-architecture behaviour made process-wide.
 */
export const BAD_ARCH_RETURN = SECCOMP_RET.KILL_PROCESS;

/** Return value of the program for an action, with the errno (or trace data) in the low 16 bits. */
export function returnValue(action: string, errno: number): number {
  switch (action) {
    case 'SCMP_ACT_ALLOW':
      return SECCOMP_RET.ALLOW;
    case 'SCMP_ACT_LOG':
      return SECCOMP_RET.LOG;
    case 'SCMP_ACT_ERRNO':
      return (SECCOMP_RET.ERRNO | (errno & 0xffff)) >>> 0;
    case 'SCMP_ACT_TRACE':
      return (SECCOMP_RET.TRACE | (errno & 0xffff)) >>> 0;
    case 'SCMP_ACT_TRAP':
      return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_NOTIFY':
      throw new CompileError('SCMP_ACT_NOTIFY needs a process that listens for notifications; a standalone program cannot use it');
    default:
      throw new CompileError(`unknown action ${action}`);
  }
}

/** Compiles a profile into a classic BPF program for seccomp(SECCOMP_SET_MODE_FILTER). */
export function compileProfile(profile: SeccompProfile, options: CompileOptions): CompiledFilter {
  const arches = filterArches(profile, options.machine);
  const defaultReturn = returnValue(profile.defaultAction, defaultErrno(profile));
  const assembler = new Assembler();

  // Dispatch on seccomp_data.arch; x86_64 and x32 share one audit value and differ by X32_SYSCALL_BIT.
  const byAudit = new Map<number, ArchInfo[]>();
  for (const arch of arches) byAudit.set(arch.auditArch, [...(byAudit.get(arch.auditArch) ?? []), arch]);
  const sectionLabels = new Map<number, string>();
  assembler.load(SECCOMP_DATA.arch);
  for (const auditArch of byAudit.keys()) {
    const label = assembler.newLabel(`arch-${auditArch.toString(16)}`);
    sectionLabels.set(auditArch, label);
    const next = assembler.newLabel('next-arch');
    assembler.jump(BPF_JMP_JEQ_K, auditArch, 0, next);
    assembler.always(label);
    assembler.label(next);
  }
  assembler.ret(BAD_ARCH_RETURN);

  for (const [auditArch, group] of byAudit) {
    assembler.label(sectionLabels.get(auditArch) as string);
    assembler.load(SECCOMP_DATA.nr);
    const x32 = group.find((arch) => arch.name === 'SCMP_ARCH_X32');
    const main = group.find((arch) => arch.name !== 'SCMP_ARCH_X32');
    if (auditArch === 0xc000003e) {
      // Calls with X32_SYSCALL_BIT set are x32 calls; without x32 in the profile they are a foreign architecture.
      const x32Label = assembler.newLabel('x32');
      const nativeLabel = assembler.newLabel('x86_64');
      assembler.jump(BPF_JMP_JGE_K, X32_SYSCALL_BIT, 0, nativeLabel);
      if (x32 === undefined) assembler.ret(BAD_ARCH_RETURN);
      else assembler.always(x32Label);
      assembler.label(nativeLabel);
      if (main !== undefined) emitSection(assembler, profile, main, options.environment, defaultReturn);
      else assembler.ret(BAD_ARCH_RETURN);
      if (x32 !== undefined) {
        assembler.label(x32Label);
        emitSection(assembler, profile, x32, options.environment, defaultReturn);
      }
      continue;
    }
    emitSection(assembler, profile, main as ArchInfo, options.environment, defaultReturn);
  }

  const program = assembler.assemble();
  if (program.length > BPF_MAXINSNS) {
    throw new CompileError(`the program has ${program.length} instructions, more than the kernel's limit of ${BPF_MAXINSNS}; list fewer architectures or system calls`);
  }
  return { program, arches: arches.map((arch) => arch.name) };
}

/** Destination of a call number: a return value, or the label of a body that tests arguments. */
type Outcome = { ret: number } | { body: string };

/** A run of call numbers from `start` up to the next interval's start, all with one outcome. */
interface Interval {
  start: number;
  outcome: Outcome;
}

const sameOutcome = (a: Outcome, b: Outcome): boolean => ('ret' in a && 'ret' in b ? a.ret === b.ret : 'body' in a && 'body' in b && a.body === b.body);

/**
 * Emits the checks of one architecture. The accumulator contains the system call number on entry.
 * The numbers are split into intervals of equal outcome (unlisted numbers get the default), and a
 * binary search over the interval starts picks the outcome, so a call runs about 2 log2(intervals)
 * instructions before its `ret` or argument tests.
 */
function emitSection(assembler: Assembler, profile: SeccompProfile, arch: ArchInfo, environment: RuleEnvironment, defaultReturn: number): void {
  const bodies: { label: string; entries: Entry[] }[] = [];
  const outcomes = new Map<number, Outcome>();
  for (const [number, list] of entriesByNumber(profile, arch, environment)) {
    const reachable = reachableEntries(list);
    const first = reachable[0] as Entry;
    if (reachable.length === 1 && first.args.length === 0) {
      outcomes.set(number, { ret: returnValue(first.action, first.errno) });
      continue;
    }
    const label = assembler.newLabel(`body-${number}`);
    bodies.push({ label, entries: reachable });
    outcomes.set(number, { body: label });
  }

  emitSearch(assembler, intervalsOf(outcomes, { ret: defaultReturn }));

  for (const body of bodies) {
    assembler.label(body.label);
    for (const entry of body.entries) {
      const value = returnValue(entry.action, entry.errno);
      if (entry.args.length === 0) {
        assembler.ret(value);
        break;
      }
      const failed = assembler.newLabel('no-match');
      for (const arg of entry.args) emitCondition(assembler, arg, arch.argBits, failed);
      assembler.ret(value);
      assembler.label(failed);
    }
    if (body.entries.every((entry) => entry.args.length > 0)) assembler.ret(defaultReturn);
  }
}

/** Splits the 32-bit number space into intervals of equal outcome, starting at 0. */
function intervalsOf(outcomes: Map<number, Outcome>, fallback: Outcome): Interval[] {
  const intervals: Interval[] = [{ start: 0, outcome: fallback }];
  const push = (start: number, outcome: Outcome) => {
    const last = intervals[intervals.length - 1] as Interval;
    if (sameOutcome(last.outcome, outcome)) return;
    if (last.start === start) intervals.pop();
    const before = intervals[intervals.length - 1];
    if (before !== undefined && sameOutcome(before.outcome, outcome)) return;
    intervals.push({ start, outcome });
  };
  for (const number of [...outcomes.keys()].sort((a, b) => a - b)) {
    push(number, outcomes.get(number) as Outcome);
    if (number < 0xffffffff && !outcomes.has(number + 1)) push(number + 1, fallback);
  }
  return intervals;
}

/**
 * Emits a binary search over `intervals`, whose first start is at or below every number.
 * `jge` tests against the middle start; its taken branch is a `ja`, so conditional jumps stay short.
 */
function emitSearch(assembler: Assembler, intervals: Interval[]): void {
  if (intervals.length === 1) {
    const outcome = (intervals[0] as Interval).outcome;
    if ('ret' in outcome) assembler.ret(outcome.ret);
    else assembler.always(outcome.body);
    return;
  }
  const middle = intervals.length >> 1;
  const upper = assembler.newLabel('upper');
  const lower = assembler.newLabel('lower');
  assembler.jump(BPF_JMP_JGE_K, (intervals[middle] as Interval).start, 0, lower);
  assembler.always(upper);
  assembler.label(lower);
  emitSearch(assembler, intervals.slice(0, middle));
  assembler.label(upper);
  emitSearch(assembler, intervals.slice(middle));
}

/** Entries up to and including the first one without conditions; later ones can never match. */
function reachableEntries(entries: Entry[]): Entry[] {
  const unconditional = entries.findIndex((entry) => entry.args.length === 0);
  return unconditional === -1 ? entries : entries.slice(0, unconditional + 1);
}

/**
 * Emits a test of one argument condition that falls through when the condition is true and jumps
 * to `failed` when it is false. 64-bit values are compared as high word, then low word, both unsigned, as
 * libseccomp does; 32-bit architectures compare the low word only.
 */
function emitCondition(assembler: Assembler, arg: SeccompArg, bits: 32 | 64, failed: string): void {
  const lowOffset = SECCOMP_DATA.args + 8 * arg.index;
  const highOffset = lowOffset + 4;
  const low = (value: bigint): number => Number(value & 0xffffffffn);
  const high = (value: bigint): number => Number((value >> 32n) & 0xffffffffn);
  const wide = bits === 64;
  const holds = assembler.newLabel('holds');

  switch (arg.op) {
    case 'SCMP_CMP_EQ':
      if (wide) {
        assembler.load(highOffset);
        assembler.jump(BPF_JMP_JEQ_K, high(arg.value), 0, failed);
      }
      assembler.load(lowOffset);
      assembler.jump(BPF_JMP_JEQ_K, low(arg.value), 0, failed);
      break;
    case 'SCMP_CMP_NE': {
      if (wide) {
        assembler.load(highOffset);
        assembler.jump(BPF_JMP_JEQ_K, high(arg.value), 0, holds);
      }
      assembler.load(lowOffset);
      assembler.jump(BPF_JMP_JEQ_K, low(arg.value), failed, 0);
      break;
    }
    case 'SCMP_CMP_MASKED_EQ':
      // `value` is the mask and `valueTwo` the expected result of (arg & mask).
      if (wide) {
        assembler.load(highOffset);
        assembler.and(high(arg.value));
        assembler.jump(BPF_JMP_JEQ_K, high(arg.valueTwo), 0, failed);
      }
      assembler.load(lowOffset);
      assembler.and(low(arg.value));
      assembler.jump(BPF_JMP_JEQ_K, low(arg.valueTwo), 0, failed);
      break;
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
      if (wide) {
        assembler.load(highOffset);
        assembler.jump(BPF_JMP_JGT_K, high(arg.value), holds, 0);
        assembler.jump(BPF_JMP_JEQ_K, high(arg.value), 0, failed);
      }
      assembler.load(lowOffset);
      assembler.jump(arg.op === 'SCMP_CMP_GT' ? BPF_JMP_JGT_K : BPF_JMP_JGE_K, low(arg.value), 0, failed);
      break;
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE':
      if (wide) {
        assembler.load(highOffset);
        assembler.jump(BPF_JMP_JGE_K, high(arg.value), 0, holds);
        assembler.jump(BPF_JMP_JEQ_K, high(arg.value), 0, failed);
      }
      assembler.load(lowOffset);
      // arg < v is !(arg >= v); arg <= v is !(arg > v).
      assembler.jump(arg.op === 'SCMP_CMP_LT' ? BPF_JMP_JGE_K : BPF_JMP_JGT_K, low(arg.value), failed, 0);
      break;
    default:
      throw new CompileError(`unknown comparison ${arg.op}`);
  }
  assembler.label(holds);
}
