import type { StackMemory } from '../core/stack-memory.js';
import { type FrameDescriptor, RETURN_TO_C } from './frametable.js';

/**
 * How a frame was found: `register` is the faulting pc itself; `exact` came
 * from the frame tables; `context` from the runtime's saved callback context
 * (crossing C); `scanned` is a stack word that looks like a return address.
 */
export type FrameMethod = 'register' | 'exact' | 'context' | 'scanned';

export interface StackFrames {
  /** Program counters from the fault (index 0) toward main. */
  pcs: Float64Array;
  /** Stack address each pc was read from (-1 for the register). */
  slots: Float64Array;
  methods: FrameMethod[];
  /** Why the walk stopped. */
  ended: 'bottom' | 'unknown-return-address' | 'stack-end' | 'max-frames' | 'corrupt-frame';
}

export interface WalkInput {
  stack: StackMemory;
  descriptors: Map<number, FrameDescriptor> | undefined;
  isReturnAddress: (value: number) => boolean;
  pc: number;
  sp: number;
  maxFrames: number;
}

/** Growable parallel arrays: a deep stack has ~10^6 frames; typed arrays keep that to a few MB. */
class FrameBuffer {
  pcs = new Float64Array(1024);
  slots = new Float64Array(1024);
  methods: FrameMethod[] = [];
  length = 0;

  push(pc: number, slot: number, method: FrameMethod): void {
    if (this.length === this.pcs.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.pcs = grow(this.pcs);
      this.slots = grow(this.slots);
    }
    this.pcs[this.length] = pc;
    this.slots[this.length] = slot;
    this.methods.push(method);
    this.length++;
  }

  finish(ended: StackFrames['ended']): StackFrames {
    return { pcs: this.pcs.subarray(0, this.length), slots: this.slots.subarray(0, this.length), methods: this.methods, ended };
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
  const { stack, descriptors, isReturnAddress, maxFrames } = input;
  const out = new FrameBuffer();
  out.push(input.pc, -1, 'register');
  let slot = Math.max(input.sp, stack.low);
  slot += (8 - (slot % 8)) % 8;

  const scanUpTo = (limit: number, startAt: number): number => {
    let a = startAt;
    for (; a + 8 <= limit && out.length < maxFrames; a += 8) {
      const word = stack.u64(a)!;
      if (descriptors && descriptors.has(word) && chainHolds(stack, descriptors, a)) return a;
      if (isReturnAddress(word)) out.push(word, a, 'scanned');
    }
    return a;
  };

  while (out.length < maxFrames) {
    slot = scanUpTo(stack.high, slot);
    if (slot + 8 > stack.high) return out.finish('stack-end');
    if (out.length >= maxFrames) break;
    const ended = walkExact(stack, descriptors!, slot, out, maxFrames, isReturnAddress);
    if (ended.reason !== 'unknown-return-address' && ended.reason !== 'bottom') return out.finish(ended.reason);
    // Past the last OCaml frame (the program's start-up in C, or a chain the tables do not cover): scan on.
    slot = ended.nextSlot;
    if (ended.reason === 'bottom') {
      scanUpTo(stack.high, slot);
      return out.finish(out.length >= maxFrames ? 'max-frames' : 'bottom');
    }
  }
  return out.finish('max-frames');
}

function chainHolds(stack: StackMemory, descriptors: Map<number, FrameDescriptor>, slot: number): boolean {
  let sp = slot + 8;
  let pc = stack.u64(slot)!;
  for (let n = 0; n < CONFIRM_FRAMES; n++) {
    const d = descriptors.get(pc);
    if (!d) return false;
    if (d.frameSize === RETURN_TO_C) return true;
    sp += d.frameSize;
    const next = stack.u64(sp - 8);
    if (next === undefined) return sp === stack.high;
    pc = next;
  }
  return true;
}

function walkExact(
  stack: StackMemory,
  descriptors: Map<number, FrameDescriptor>,
  start: number,
  out: FrameBuffer,
  maxFrames: number,
  isReturnAddress: (value: number) => boolean,
): { reason: StackFrames['ended']; nextSlot: number } {
  let slot = start;
  let pc = stack.u64(slot)!;
  let method: FrameMethod = 'exact';
  let sp = slot + 8;
  while (out.length < maxFrames) {
    const d = descriptors.get(pc);
    if (!d) return { reason: 'unknown-return-address', nextSlot: slot + 8 };
    out.push(pc, slot, method);
    if (d.frameSize !== RETURN_TO_C) {
      // Every frame holds at least its return address; less would loop forever.
      if (d.frameSize < 8) return { reason: 'corrupt-frame', nextSlot: sp };
      sp += d.frameSize;
      slot = sp - 8;
      const next = stack.u64(slot);
      if (next === undefined) return { reason: 'stack-end', nextSlot: sp };
      pc = next;
      method = 'exact';
      continue;
    }
    // Return into C: the runtime saved the previous OCaml chunk's bottom and
    // return address in a caml_context just above this frame.
    const bottom = stack.u64(sp + 16);
    const last = stack.u64(sp + 24);
    if (bottom === undefined || last === undefined) return { reason: 'stack-end', nextSlot: sp };
    if (bottom === 0) return { reason: 'bottom', nextSlot: sp };
    if (bottom <= sp || bottom > stack.high) return { reason: 'corrupt-frame', nextSlot: sp };
    for (let a = sp + 32; a + 8 <= bottom - 8 && out.length < maxFrames; a += 8) {
      const word = stack.u64(a)!;
      if (isReturnAddress(word)) out.push(word, a, 'scanned');
    }
    sp = bottom;
    slot = bottom - 8;
    pc = last;
    method = 'context';
  }
  return { reason: 'max-frames', nextSlot: slot };
}
