/**
 * Classic BPF as seccomp uses it (linux/filter.h, linux/bpf_common.h): instruction encoding, an
 * assembler with symbolic jump labels, and a disassembler for `compile --format text`.
 */

export const BPF_LD_W_ABS = 0x20;
export const BPF_ALU_AND_K = 0x54;
export const BPF_JMP_JA = 0x05;
export const BPF_JMP_JEQ_K = 0x15;
export const BPF_JMP_JGT_K = 0x25;
export const BPF_JMP_JGE_K = 0x35;
export const BPF_JMP_JSET_K = 0x45;
export const BPF_RET_K = 0x06;

/** Kernel limit on the length of one filter program (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

/** Size of `struct sock_filter`: u16 code, u8 jt, u8 jf, u32 k. */
export const SOCK_FILTER_SIZE = 8;

/** seccomp return values (linux/seccomp.h). */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

/** Offsets in `struct seccomp_data`: nr, arch, instruction_pointer, args[6] (u64 each). */
export const SECCOMP_DATA = { nr: 0, arch: 4, args: 16 } as const;

export interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

type Target = string | 0;

interface PendingInstruction {
  code: number;
  k: number;
  /** Label of the true branch of a conditional jump, or of a `ja`; 0 means the next instruction. */
  jt: Target;
  jf: Target;
}

/** Builds a program from instructions and labels; `assemble` resolves the labels to offsets. */
export class Assembler {
  private readonly items: (PendingInstruction | { label: string })[] = [];
  private labelCount = 0;

  newLabel(hint: string): string {
    this.labelCount += 1;
    return `${hint}#${this.labelCount}`;
  }

  label(name: string): void {
    this.items.push({ label: name });
  }

  load(offset: number): void {
    this.items.push({ code: BPF_LD_W_ABS, k: offset, jt: 0, jf: 0 });
  }

  and(mask: number): void {
    this.items.push({ code: BPF_ALU_AND_K, k: mask >>> 0, jt: 0, jf: 0 });
  }

  jump(code: number, k: number, jt: Target, jf: Target): void {
    this.items.push({ code, k: k >>> 0, jt, jf });
  }

  always(target: string): void {
    this.items.push({ code: BPF_JMP_JA, k: 0, jt: target, jf: 0 });
  }

  ret(value: number): void {
    this.items.push({ code: BPF_RET_K, k: value >>> 0, jt: 0, jf: 0 });
  }

  assemble(): Instruction[] {
    const positions = new Map<string, number>();
    let count = 0;
    for (const item of this.items) {
      if ('label' in item) positions.set(item.label, count);
      else count += 1;
    }
    const program: Instruction[] = [];
    for (const item of this.items) {
      if ('label' in item) continue;
      const here = program.length;
      const offset = (target: Target): number => {
        if (target === 0) return 0;
        const position = positions.get(target);
        if (position === undefined) throw new Error(`BPF assembler: label ${target} is not defined`);
        const distance = position - here - 1;
        if (distance < 0) throw new Error(`BPF assembler: label ${target} is behind instruction ${here}; BPF jumps only forward`);
        return distance;
      };
      if (item.code === BPF_JMP_JA) {
        program.push({ code: item.code, jt: 0, jf: 0, k: offset(item.jt) });
        continue;
      }
      const jt = offset(item.jt);
      const jf = offset(item.jf);
      if (jt > 255 || jf > 255) throw new Error(`BPF assembler: conditional jump at ${here} spans more than 255 instructions`);
      program.push({ code: item.code, jt, jf, k: item.k });
    }
    return program;
  }
}

/** Encodes a program as an array of `struct sock_filter` in little-endian order, as x86_64 and aarch64 kernels read it. */
export function encodeProgram(program: Instruction[]): Buffer {
  const buffer = Buffer.alloc(program.length * SOCK_FILTER_SIZE);
  program.forEach((instruction, index) => {
    const at = index * SOCK_FILTER_SIZE;
    buffer.writeUInt16LE(instruction.code, at);
    buffer.writeUInt8(instruction.jt, at + 2);
    buffer.writeUInt8(instruction.jf, at + 3);
    buffer.writeUInt32LE(instruction.k >>> 0, at + 4);
  });
  return buffer;
}

export function decodeProgram(buffer: Buffer): Instruction[] {
  if (buffer.length % SOCK_FILTER_SIZE !== 0) throw new Error(`a BPF program is a multiple of ${SOCK_FILTER_SIZE} bytes, not ${buffer.length}`);
  const program: Instruction[] = [];
  for (let at = 0; at < buffer.length; at += SOCK_FILTER_SIZE) {
    program.push({ code: buffer.readUInt16LE(at), jt: buffer.readUInt8(at + 2), jf: buffer.readUInt8(at + 3), k: buffer.readUInt32LE(at + 4) });
  }
  return program;
}

const hex = (value: number): string => `0x${(value >>> 0).toString(16).padStart(8, '0')}`;

/** Names a seccomp return value, e.g. `ERRNO(38)` or `ALLOW`. */
export function describeReturn(value: number): string {
  const action = (value >>> 0) & 0xffff0000;
  const data = value & 0xffff;
  if (value >>> 0 === SECCOMP_RET.KILL_PROCESS) return 'KILL_PROCESS';
  if (action === SECCOMP_RET.KILL_THREAD) return 'KILL_THREAD';
  if (action === SECCOMP_RET.TRAP) return `TRAP(${data})`;
  if (action === SECCOMP_RET.ERRNO) return `ERRNO(${data})`;
  if (action === SECCOMP_RET.USER_NOTIF) return 'USER_NOTIF';
  if (action === SECCOMP_RET.TRACE) return `TRACE(${data})`;
  if (action === SECCOMP_RET.LOG) return 'LOG';
  if (action === SECCOMP_RET.ALLOW) return 'ALLOW';
  return hex(value);
}

/** One line per instruction, with absolute jump targets, in the style of `bpf_dbg`. */
export function disassemble(program: Instruction[]): string {
  const width = String(program.length).length;
  const lines = program.map((instruction, index) => {
    const target = (offset: number): string => String(index + 1 + offset);
    let body: string;
    switch (instruction.code) {
      case BPF_LD_W_ABS:
        body = `ld [${instruction.k}]`;
        break;
      case BPF_ALU_AND_K:
        body = `and #${hex(instruction.k)}`;
        break;
      case BPF_JMP_JA:
        body = `ja ${target(instruction.k)}`;
        break;
      case BPF_JMP_JEQ_K:
      case BPF_JMP_JGT_K:
      case BPF_JMP_JGE_K:
      case BPF_JMP_JSET_K: {
        const name = { [BPF_JMP_JEQ_K]: 'jeq', [BPF_JMP_JGT_K]: 'jgt', [BPF_JMP_JGE_K]: 'jge', [BPF_JMP_JSET_K]: 'jset' }[instruction.code];
        body = `${name} #${hex(instruction.k)}, ${target(instruction.jt)}, ${target(instruction.jf)}`;
        break;
      }
      case BPF_RET_K:
        body = `ret ${describeReturn(instruction.k)}`;
        break;
      default:
        body = `.word code=${instruction.code} jt=${instruction.jt} jf=${instruction.jf} k=${hex(instruction.k)}`;
    }
    return `${String(index).padStart(width)}: ${body}`;
  });
  return lines.join('\n') + '\n';
}
