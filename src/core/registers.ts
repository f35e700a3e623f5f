import type { View } from '../elf/view.js';

/** x86-64 general registers as the kernel stores them in NT_PRSTATUS (struct user_regs_struct). */
export interface Registers {
  rip: number;
  rsp: number;
  rbp: number;
  rax: number;
  rbx: number;
  rcx: number;
  rdx: number;
  rsi: number;
  rdi: number;
  r8: number;
  r9: number;
  r10: number;
  r11: number;
  r12: number;
  r13: number;
  r14: number;
  r15: number;
}

export interface ThreadStatus {
  pid: number;
  /** The signal that stopped the thread (pr_cursig). */
  signal: number;
  registers: Registers;
}

const REG_ORDER = [
  'r15',
  'r14',
  'r13',
  'r12',
  'rbp',
  'rbx',
  'r11',
  'r10',
  'r9',
  'r8',
  'rax',
  'rcx',
  'rdx',
  'rsi',
  'rdi',
  'orig_rax',
  'rip',
  'cs',
  'eflags',
  'rsp',
] as const;
const PR_REG_OFFSET = 112;

export function parsePrStatus(desc: View): ThreadStatus {
  const regs: Record<string, number> = {};
  REG_ORDER.forEach((name, i) => {
    regs[name] = desc.u64(PR_REG_OFFSET + i * 8);
  });
  return { signal: desc.u16(12), pid: desc.u32(32), registers: regs as unknown as Registers };
}
