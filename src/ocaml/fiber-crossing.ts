import type { StackMemory } from '../core/stack-memory.js';

/**
 * Where an OCaml 5 fiber returns into C (runtime/amd64.S, caml_start_program,
 * the same in 5.1 and 5.3). Each entry from C into OCaml leaves on the fiber,
 * at the 32 bytes (Stack_header_size, runtime/caml/stack.h) above the return
 * address into caml_start_program: the previous exception handler, the
 * handler's address, the C stack pointer at the entry, the saved gc_regs.
 * That C stack pointer is the address of the entry's `struct c_stack_link
 * { stack; sp; prev }` (runtime/caml/fiber.h); above the link's 24 bytes lie
 * the six callee-saved registers caml_start_program pushed, then its C
 * caller's return address. The outermost entry's link has prev = NULL; after
 * a callback, its OCaml caller goes on on the fiber right above the header.
 */
const HEADER = 32;
const HEADER_C_SP = 16;
const LINK_PREV = 16;
const LINK_SIZE = 24;
const CALLEE_SAVED = 6 * 8;

export interface CFrame {
  pc: number;
  slot: number;
  /** `context`: the return address the entry's layout locates exactly; `scanned`: a word that looks like one. */
  method: 'context' | 'scanned';
}

export type Crossing =
  /** The outermost entry: the C frames below OCaml, to the end of the C stack. */
  | { kind: 'outermost'; frames: CFrame[] }
  /** A callback: the C frames between it and the OCaml code that called C, which continues at `slot` on the fiber. */
  | { kind: 'callback'; frames: CFrame[]; slot: number }
  | { kind: 'lost'; why: string };

/**
 * The C side of a return-to-C frame whose return address sat just below
 * `sp` on `fiber`. `stackAt` gives the dumped stack holding an address.
 */
export function crossToC(
  fiber: StackMemory,
  sp: number,
  stackAt: (address: number) => StackMemory | undefined,
  isReturnAddress: (value: number) => boolean,
  room: number,
): Crossing {
  const link = fiber.u64(sp + HEADER_C_SP);
  if (link < 0) return { kind: 'lost', why: 'the fiber ends inside the entry header' };
  const c = stackAt(link);
  const prev = c ? c.u64(link + LINK_PREV) : -1;
  const returnSlot = link + LINK_SIZE + CALLEE_SAVED;
  const pc = c ? c.u64(returnSlot) : -1;
  if (!c || prev < 0 || pc < 0)
    return { kind: 'lost', why: `the entry's C stack pointer 0x${link.toString(16)} is not in a dumped stack` };
  if (prev !== 0 && (prev <= link || prev > c.high))
    return { kind: 'lost', why: `the entry's c_stack_link 0x${link.toString(16)} has a bad prev link` };
  const frames: CFrame[] = [{ pc, slot: returnSlot, method: 'context' }];
  // C frames up to the previous entry's link (or the thread's start) are found by scanning.
  const end = prev === 0 ? c.high : prev;
  for (let a = returnSlot + 8; a + 8 <= end && frames.length < room; a += 8) {
    const word = c.u64(a);
    if (isReturnAddress(word)) frames.push({ pc: word, slot: a, method: 'scanned' });
  }
  return prev === 0 ? { kind: 'outermost', frames } : { kind: 'callback', frames, slot: sp + HEADER };
}
