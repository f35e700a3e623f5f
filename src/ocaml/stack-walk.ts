import type { StackMemory } from '../core/stack-memory.js';
import { crossToC } from './fiber-crossing.js';
import { type DescriptorTable, RETURN_TO_C } from './frametable.js';
import type { ReturnAddressTest } from './return-address.js';

/**
 * How a frame was found: `register` is the faulting pc itself; `exact` came
 * from the frame tables; `context` from the runtime's saved callback context
 * (crossing C); `scanned` is a stack word that looks like a return address.
 */
export type FrameMethod = 'register' | 'exact' | 'context' | 'scanned';

/** Frame methods as small codes: a deep stack has ~10^6 frames, and strings per frame cost GC time. */
export const METHODS: readonly FrameMethod[] = ['register', 'exact', 'context', 'scanned'];
const REGISTER = 0;
const EXACT = 1;
const CONTEXT = 2;
const SCANNED = 3;

export interface StackFrames {
  /** Program counters from the fault (index 0) toward main. */
  pcs: Float64Array;
  /** Stack address each pc was read from (-1 for the register). */
  slots: Float64Array;
  /** Index into METHODS per frame. */
  methods: Uint8Array;
  /** Frames found by scanning rather than by the frame tables or the register. */
  scanned: number;
  /** Why the walk stopped. */
  ended: 'bottom' | 'unknown-return-address' | 'stack-end' | 'max-frames' | 'corrupt-frame' | 'fiber-entry';
}

export interface WalkInput {
  stack: StackMemory;
  descriptors: DescriptorTable | undefined;
  returnAddresses: ReturnAddressTest;
  pc: number;
  sp: number;
  maxFrames: number;
  /** OCaml 5: OCaml frames live on fibers; returns into C cross to the C stack that holds an address. */
  fibers?: { stackAt(address: number): StackMemory | undefined };
}

/** Growable parallel typed arrays, sized from the stack so that a deep walk rarely grows them. */
class FrameBuffer {
  pcs: Float64Array;
  slots: Float64Array;
  methods: Uint8Array;
  length = 0;
  scanned = 0;

  constructor(expected: number) {
    const n = Math.max(64, expected);
    this.pcs = new Float64Array(n);
    this.slots = new Float64Array(n);
    this.methods = new Uint8Array(n);
  }

  push(pc: number, slot: number, method: number): void {
    if (this.length === this.pcs.length) {
      const pcs = new Float64Array(this.length * 2);
      const slots = new Float64Array(this.length * 2);
      const methods = new Uint8Array(this.length * 2);
      pcs.set(this.pcs);
      slots.set(this.slots);
      methods.set(this.methods);
      this.pcs = pcs;
      this.slots = slots;
      this.methods = methods;
    }
    this.pcs[this.length] = pc;
    this.slots[this.length] = slot;
    this.methods[this.length] = method;
    if (method === SCANNED) this.scanned++;
    this.length++;
  }

  finish(ended: StackFrames['ended']): StackFrames {
    const n = this.length;
    return {
      pcs: this.pcs.subarray(0, n),
      slots: this.slots.subarray(0, n),
      methods: this.methods.subarray(0, n),
      scanned: this.scanned,
      ended,
    };
  }
}

const CONFIRM_FRAMES = 32;

/**
 * Walks from the fault toward main. The top frame may be mid-prologue, so it
 * scans up from rsp (recording plausible C return addresses) until a word is
 * a known OCaml return address from which a consistent chain of frames
 * follows; from there the frame tables give every frame exactly, crossing C
 * through the runtime's callback context. Without frame tables, or where the
 * chain breaks, the rest of the stack is scanned.
 */
export function walkStack(input: WalkInput): StackFrames {
  const { stack, descriptors, returnAddresses, maxFrames } = input;
  const { low, high } = returnAddresses;
  // OCaml frames are at least 16 bytes apart in practice; grow past that if needed.
  const out = new FrameBuffer(Math.min((stack.high - stack.low) / 16, maxFrames) + 64);
  out.push(input.pc, -1, REGISTER);
  let slot = Math.max(input.sp, stack.low);
  slot += (8 - (slot % 8)) % 8;

  // Scans up to `limit`, recording plausible return addresses, and stops at a word from which an exact walk can start.
  const scanUpTo = (limit: number, startAt: number): number =>
    stack.scanWords(startAt, limit, low, high, (word, a) => {
      if (descriptors?.has(word) && chainHolds(stack, descriptors, a)) return false;
      if (returnAddresses.isReturnAddress(word)) out.push(word, a, SCANNED);
      return out.length < maxFrames;
    });

  while (out.length < maxFrames) {
    slot = scanUpTo(stack.high, slot);
    if (slot + 8 > stack.high) return out.finish('stack-end');
    if (out.length >= maxFrames) break;
    const ended = walkExact(stack, descriptors!, slot, out, maxFrames, returnAddresses, input.fibers);
    if (ended.reason !== 'unknown-return-address' && ended.reason !== 'bottom') return out.finish(ended.reason);
    // Past the last OCaml frame (the program's start-up in C, or a chain the tables do not cover): scan on.
    slot = ended.nextSlot;
    if (ended.reason === 'bottom') {
      // The scan records a word before it asks for more: only with room left.
      if (out.length < maxFrames) scanUpTo(stack.high, slot);
      return out.finish(out.length >= maxFrames ? 'max-frames' : 'bottom');
    }
  }
  return out.finish('max-frames');
}

function chainHolds(stack: StackMemory, descriptors: DescriptorTable, slot: number): boolean {
  let sp = slot + 8;
  let pc = stack.u64(slot);
  for (let n = 0; n < CONFIRM_FRAMES; n++) {
    const frameSize = descriptors.frameSize(pc);
    if (frameSize < 0) return false;
    if (frameSize === RETURN_TO_C) return true;
    if (frameSize < 8) return false;
    sp += frameSize;
    const next = stack.u64(sp - 8);
    if (next < 0) return sp === stack.high;
    pc = next;
  }
  return true;
}

/** Where the exact walk stopped, and where a scan of the rest would start. */
interface Stop {
  reason: StackFrames['ended'];
  nextSlot: number;
}

/** Where the exact walk goes on after crossing C: the next OCaml return address and the slot it is in. */
interface Resume {
  slot: number;
  sp: number;
  pc: number;
}

interface ExactWalk {
  stack: StackMemory;
  descriptors: DescriptorTable;
  out: FrameBuffer;
  maxFrames: number;
  returnAddresses: ReturnAddressTest;
  fibers: WalkInput['fibers'];
}

function walkExact(
  stack: StackMemory,
  descriptors: DescriptorTable,
  start: number,
  out: FrameBuffer,
  maxFrames: number,
  returnAddresses: ReturnAddressTest,
  fibers: WalkInput['fibers'],
): Stop {
  const walk: ExactWalk = { stack, descriptors, out, maxFrames, returnAddresses, fibers };
  let slot = start;
  let pc = stack.u64(slot);
  let method = EXACT;
  let sp = slot + 8;
  while (out.length < maxFrames) {
    const frameSize = descriptors.frameSize(pc);
    if (frameSize < 0) return { reason: 'unknown-return-address', nextSlot: slot + 8 };
    out.push(pc, slot, method);
    if (frameSize !== RETURN_TO_C) {
      // Every frame holds at least its return address; less would loop forever.
      if (frameSize < 8) return { reason: 'corrupt-frame', nextSlot: sp };
      sp += frameSize;
      slot = sp - 8;
      const next = stack.u64(slot);
      if (next < 0) return { reason: 'stack-end', nextSlot: sp };
      pc = next;
      method = EXACT;
      continue;
    }
    const resumed = fibers ? crossFromFiber(walk, fibers, sp) : crossCallbackContext(walk, sp, slot);
    if ('reason' in resumed) return resumed;
    ({ slot, sp, pc } = resumed);
    method = CONTEXT;
  }
  return { reason: 'max-frames', nextSlot: slot };
}

/** OCaml 5: the rest is on the C stack, and after a callback back on this fiber. */
function crossFromFiber(walk: ExactWalk, fibers: NonNullable<WalkInput['fibers']>, sp: number): Stop | Resume {
  const { stack, out, returnAddresses } = walk;
  // crossToC always gives the return address it locates: none when the return into C took the last room.
  if (out.length >= walk.maxFrames) return { reason: 'max-frames', nextSlot: sp };
  const crossed = crossToC(
    stack,
    sp,
    fibers.stackAt,
    (v) => returnAddresses.isReturnAddress(v),
    walk.maxFrames - out.length,
  );
  if (crossed.kind === 'lost') return { reason: 'fiber-entry', nextSlot: stack.high };
  for (const f of crossed.frames) out.push(f.pc, f.slot, f.method === 'context' ? CONTEXT : SCANNED);
  if (crossed.kind === 'outermost') return { reason: 'bottom', nextSlot: stack.high };
  const next = stack.u64(crossed.slot);
  if (next < 0) return { reason: 'stack-end', nextSlot: stack.high };
  return { slot: crossed.slot, sp: crossed.slot + 8, pc: next };
}

/**
 * OCaml 4: a return into C, where caml_start_program (runtime/amd64.S) called
 * this chunk of OCaml. Above the return address it pushed an exception
 * handler (two words), and below that a `struct caml_context`
 * (runtime/caml/stack.h: `Callback_link(sp)` is `sp + 16` on amd64):
 * `bottom_of_stack` at sp + 16, the previous OCaml chunk's bottom (0 for the
 * outermost); `last_retaddr` at sp + 24, the return address into OCaml that
 * chunk ended with; `gc_regs` at sp + 32, where the C frames in between begin
 * to be scanned.
 */
function crossCallbackContext(walk: ExactWalk, sp: number, slot: number): Stop | Resume {
  const { stack, out, maxFrames, returnAddresses } = walk;
  const bottom = stack.u64(sp + 16);
  const last = stack.u64(sp + 24);
  if (bottom < 0 || last < 0) return { reason: 'stack-end', nextSlot: sp };
  if (bottom === 0) return { reason: 'bottom', nextSlot: sp };
  if (bottom <= sp || bottom > stack.high) return { reason: 'corrupt-frame', nextSlot: sp };
  if (out.length >= maxFrames) return { reason: 'max-frames', nextSlot: slot };
  stack.scanWords(sp + 32, bottom - 8, returnAddresses.low, returnAddresses.high, (word, a) => {
    if (returnAddresses.isReturnAddress(word)) out.push(word, a, SCANNED);
    return out.length < maxFrames;
  });
  return { slot: bottom - 8, sp: bottom, pc: last };
}
