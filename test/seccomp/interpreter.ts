import { BPF_ALU_AND_K, BPF_JMP_JA, BPF_JMP_JEQ_K, BPF_JMP_JGE_K, BPF_JMP_JGT_K, BPF_JMP_JSET_K, BPF_LD_W_ABS, BPF_RET_K } from '../../src/seccomp/bpf.js';
import type { Instruction } from '../../src/seccomp/bpf.js';

/** What the kernel passes to a seccomp filter; args are 64-bit. */
export interface SeccompData {
  nr: number;
  arch: number;
  args?: bigint[];
}

/**
 * Runs a classic BPF program on one seccomp_data, for architectures this machine cannot execute
 * (aarch64, arm). It supports the instructions that `compile` emits and fails on any other, so a
 * test notices when the compiler starts using more.
 */
export function runFilter(program: Instruction[], data: SeccompData): number {
  return execute(program, data).result;
}

/** Counts the instructions a program executes for one call, as a measure of its cost. */
export function countSteps(program: Instruction[], data: SeccompData): number {
  return execute(program, data).steps;
}

function execute(program: Instruction[], data: SeccompData): { result: number; steps: number } {
  const bytes = Buffer.alloc(64);
  bytes.writeUInt32LE(data.nr >>> 0, 0);
  bytes.writeUInt32LE(data.arch >>> 0, 4);
  (data.args ?? []).forEach((arg, index) => bytes.writeBigUInt64LE(arg, 16 + 8 * index));

  let accumulator = 0;
  let pc = 0;
  for (let steps = 0; steps <= program.length; steps++) {
    const instruction = program[pc];
    if (instruction === undefined) throw new Error(`program ran past its end at ${pc}`);
    const next = (taken: boolean): number => pc + 1 + (taken ? instruction.jt : instruction.jf);
    switch (instruction.code) {
      case BPF_LD_W_ABS:
        if (instruction.k % 4 !== 0 || instruction.k >= 64) throw new Error(`load from invalid offset ${instruction.k}`);
        accumulator = bytes.readUInt32LE(instruction.k);
        pc += 1;
        break;
      case BPF_ALU_AND_K:
        accumulator = (accumulator & instruction.k) >>> 0;
        pc += 1;
        break;
      case BPF_JMP_JA:
        pc += 1 + instruction.k;
        break;
      case BPF_JMP_JEQ_K:
        pc = next(accumulator === instruction.k >>> 0);
        break;
      case BPF_JMP_JGT_K:
        pc = next(accumulator > instruction.k >>> 0);
        break;
      case BPF_JMP_JGE_K:
        pc = next(accumulator >= instruction.k >>> 0);
        break;
      case BPF_JMP_JSET_K:
        pc = next((accumulator & instruction.k) !== 0);
        break;
      case BPF_RET_K:
        return { result: instruction.k >>> 0, steps: steps + 1 };
      default:
        throw new Error(`unsupported instruction code ${instruction.code} at ${pc}`);
    }
  }
  throw new Error('program did not return');
}
