/**
 * The stack walk (src/ocaml/stack-walk.ts) on stacks laid out word by word as
 * OCaml 4.x leaves them: each return address followed by its caller's frame
 * of the size the frame table gives, and where OCaml was called from C, the
 * caml_context above the return-to-C frame (runtime/amd64.S: the previous
 * OCaml chunk's bottom at +16, its last return address at +24).
 */
import { describe, expect, it } from 'vitest';
import { StackMemory } from '../src/core/stack-memory.js';
import { BufferReader } from '../src/elf/byte-reader.js';
import { DescriptorTable, RETURN_TO_C } from '../src/ocaml/frametable.js';
import type { ReturnAddressTest } from '../src/ocaml/return-address.js';
import { METHODS, walkStack } from '../src/ocaml/stack-walk.js';

const S = 0x7ffd_0000_0000;
const SIZE = 0x400;
const CODE = 0x5555_0000_0000;
/** Code addresses: OCaml return addresses in the frame tables, C ones only plausible. */
const O = (n: number) => CODE + 0x1000 + n * 0x10;
const Cc = (n: number) => CODE + 0x8000 + n * 0x10;

/** A dumped stack of `size` bytes at `start`; a truncated core gives only its first `readable` bytes. */
function stackOf(words: Record<number, number>, size = SIZE, start = S, readable = size): StackMemory {
  const bytes = new Uint8Array(size);
  const dv = new DataView(bytes.buffer);
  for (const [offset, v] of Object.entries(words)) {
    dv.setUint32(Number(offset), v % 0x1_0000_0000, true);
    dv.setUint32(Number(offset) + 4, Math.floor(v / 0x1_0000_0000), true);
  }
  const region = {
    start,
    end: start + size,
    reader: new BufferReader(bytes.subarray(0, readable)),
    offset: 0,
    origin: 'core',
    writable: true,
  };
  return new StackMemory(region as ConstructorParameters<typeof StackMemory>[0], start);
}

const returnAddresses: ReturnAddressTest = {
  low: CODE,
  high: CODE + 0x10000,
  isReturnAddress: (v) => v > CODE + 0x1000 && v < CODE + 0x10000,
};

function tables(sizes: Record<number, number>): DescriptorTable {
  const t = new DescriptorTable();
  for (const [n, size] of Object.entries(sizes)) t.set(O(Number(n)), size, 0);
  return t;
}

const walk = (stack: StackMemory, descriptors: DescriptorTable | undefined, maxFrames = 1000) =>
  walkStack({ stack, descriptors, returnAddresses, pc: CODE + 0x1234, sp: S + 0x10, maxFrames });

const frames = (w: ReturnType<typeof walk>) =>
  Array.from(w.pcs, (pc, i) => [pc, w.slots[i]! === -1 ? -1 : w.slots[i]! - S, METHODS[w.methods[i]!]]);

/**
 * From rsp (S + 0x10): data, a C return address, a stale OCaml one whose
 * chain breaks, then O(1) (16-byte frame) → O(2) (32) → O(3) (return to C:
 * its caml_context says bottom S + 0x100, last O(4)); C frames in between;
 * O(4) (16) → O(5) (return to C, bottom 0: the outermost chunk); then C.
 */
const layout = {
  16: 0x42, // data
  24: Cc(1), // a C frame at the top
  32: O(9), // stale: its frame (16 bytes) ends at a word that is no return address
  48: 0x99,
  56: O(1), // from here the chain holds
  72: O(2), // 0x38 + 16
  104: O(3), // 0x48 + 32: return to C
  128: S + 0x100, // +16 (from 0x70): the previous chunk's bottom
  136: O(4), // +24: its last return address
  144: Cc(2), // C frames between
  160: Cc(3),
  248: O(4), // bottom - 8: where the context's return address is reported
  264: O(5), // 0xf8 + 16: return to C, the outermost
  288: 0, // bottom 0
  296: 0,
  320: Cc(4), // C below OCaml: main's callers
};
const sizes = { 1: 16, 2: 32, 3: RETURN_TO_C, 4: 16, 5: RETURN_TO_C, 9: 16 };

describe('the exact walk', () => {
  it('scans the top, follows the frame tables and the callback context, and scans the C below', () => {
    const w = walk(stackOf(layout), tables(sizes));
    expect(frames(w)).toEqual([
      [CODE + 0x1234, -1, 'register'],
      [Cc(1), 0x18, 'scanned'],
      [O(9), 0x20, 'scanned'],
      [O(1), 0x38, 'exact'],
      [O(2), 0x48, 'exact'],
      [O(3), 0x68, 'exact'],
      [Cc(2), 0x90, 'scanned'],
      [Cc(3), 0xa0, 'scanned'],
      [O(4), 0xf8, 'context'],
      [O(5), 0x108, 'exact'],
      [Cc(4), 0x140, 'scanned'],
    ]);
    expect(w.ended).toBe('bottom');
    expect(w.scanned).toBe(5);
  });

  it('stops at the frame limit, wherever it is', () => {
    for (const max of [1, 2, 4, 6, 7, 9]) {
      const w = walk(stackOf(layout), tables(sizes), max);
      expect(w.pcs.length).toBe(max);
      expect(w.ended).toBe('max-frames');
    }
    expect(walk(stackOf(layout), tables(sizes), 12).ended).toBe('bottom');
  });

  it('never gives more frames than the limit, whatever frame reaches it', () => {
    const all = walk(stackOf(layout), tables(sizes)).pcs.length;
    for (let max = 1; max <= all + 1; max++)
      expect(walk(stackOf(layout), tables(sizes), max).pcs.length).toBe(Math.min(max, all));
  });

  it('a frame smaller than its return address is corrupt, and so is a context whose bottom is not above it', () => {
    // O(4) now claims a 0-byte frame: found through the context, it ends the walk.
    const zero = walk(stackOf(layout), tables({ ...sizes, 4: 0 }));
    expect(zero.ended).toBe('corrupt-frame');
    expect(frames(zero).at(-1)).toEqual([O(4), 0xf8, 'context']);
    const below = walk(stackOf({ ...layout, 128: S + 0x60 }), tables(sizes));
    expect(below.ended).toBe('corrupt-frame');
    expect(frames(below).at(-1)).toEqual([O(3), 0x68, 'exact']);
    const past = walk(stackOf({ ...layout, 128: S + SIZE + 8 }), tables(sizes));
    expect(past.ended).toBe('corrupt-frame');
  });

  it('a chain that runs off the dumped stack ends there', () => {
    // O(4), reached through the context, now claims a frame past the end of the stack.
    const w = walk(stackOf(layout), tables({ ...sizes, 4: SIZE }));
    expect(w.ended).toBe('stack-end');
    expect(frames(w).at(-1)).toEqual([O(4), 0xf8, 'context']);
  });

  it('starts exactly only where the chain holds: a stale return address whose next frame is unknown is scanned', () => {
    // At 0x38 the chain O(1) → O(2) now meets an unknown word where O(3) was: scanned on, until O(3) elsewhere.
    const w = walk(stackOf({ ...layout, 104: 0x77 }), tables(sizes));
    expect(frames(w).slice(3, 5)).toEqual([
      [O(1), 0x38, 'scanned'],
      [O(2), 0x48, 'scanned'],
    ]);
  });

  it('a return address the tables do not know ends the exact part: the rest is scanned', () => {
    // The context's last return address is one the tables do not know: the scan resumes above it.
    const w = walk(stackOf({ ...layout, 136: Cc(9), 248: 0 }), tables(sizes));
    expect(frames(w).slice(6)).toEqual([
      [Cc(2), 0x90, 'scanned'],
      [Cc(3), 0xa0, 'scanned'],
      [O(5), 0x108, 'exact'],
      [Cc(4), 0x140, 'scanned'],
    ]);
    expect(w.ended).toBe('bottom');
  });

  it('a limit reached while scanning the C below the outermost frame is reported as the limit', () => {
    const w = walk(stackOf(layout), tables(sizes), 11);
    expect(w.pcs.length).toBe(11);
    expect(frames(w).at(-1)).toEqual([Cc(4), 0x140, 'scanned']);
    expect(w.ended).toBe('max-frames');
  });

  it('a chain that runs off the dumped stack on the last frame allowed still ends at the stack end', () => {
    const w = walk(stackOf(layout), tables({ ...sizes, 4: SIZE }), 9);
    expect(w.pcs.length).toBe(9);
    expect(frames(w).at(-1)).toEqual([O(4), 0xf8, 'context']);
    expect(w.ended).toBe('stack-end');
  });

  it('past an exact frame whose caller slot is null, the stack above that frame is scanned, not the frame', () => {
    // O(4) now has a 32-byte frame holding a spilled code address (0x110); the slot above it (0x118) is null.
    const w = walk(stackOf({ ...layout, 264: 0, 272: Cc(5), 280: 0 }), tables({ ...sizes, 4: 32 }));
    expect(frames(w).slice(8)).toEqual([
      [O(4), 0xf8, 'context'],
      [Cc(4), 0x140, 'scanned'],
    ]);
    expect(w.ended).toBe('stack-end');
  });

  it('a return address in the last word of the stack is still followed exactly', () => {
    const w = walk(stackOf({ [SIZE - 8]: O(5) }), tables(sizes));
    expect(frames(w)).toEqual([
      [CODE + 0x1234, -1, 'register'],
      [O(5), SIZE - 8, 'exact'],
    ]);
    expect(w.ended).toBe('stack-end');
  });

  it('an 8-byte frame (the return address alone) is followed; a table entry smaller than that starts nothing', () => {
    // O(7) claims a 0-byte frame; O(6) an 8-byte one, so its caller O(5) (return to C, outermost) sits right above.
    const w = walk(stackOf({ 24: O(7), 32: O(6), 40: O(5), 64: 0, 96: Cc(4) }), tables({ 5: RETURN_TO_C, 6: 8, 7: 0 }));
    expect(frames(w)).toEqual([
      [CODE + 0x1234, -1, 'register'],
      [O(7), 0x18, 'scanned'],
      [O(6), 0x20, 'exact'],
      [O(5), 0x28, 'exact'],
      [Cc(4), 0x60, 'scanned'],
    ]);
    expect(w.ended).toBe('bottom');
  });
});

describe('confirming where the exact walk starts', () => {
  /** A recursion `depth` frames deep: O(1) calling itself with 16-byte frames from 0x20 up, then a null word. */
  const recursion = (depth: number) =>
    Object.fromEntries(Array.from({ length: depth }, (_, k) => [0x20 + 16 * k, O(1)]));
  const recursionFrames = (depth: number, method: string) =>
    Array.from({ length: depth }, (_, k) => [O(1), 0x20 + 16 * k, method]);

  it('32 frames the tables know in a row confirm a start, however the chain goes on', () => {
    const w = walk(stackOf(recursion(32)), tables({ 1: 16 }));
    expect(frames(w).slice(1)).toEqual(recursionFrames(32, 'exact'));
    expect(w.ended).toBe('stack-end');
  });

  it('31 frames followed by an unknown return address confirm nothing: they are scanned', () => {
    const w = walk(stackOf(recursion(31)), tables({ 1: 16 }));
    expect(frames(w).slice(1)).toEqual(recursionFrames(31, 'scanned'));
    expect(w.ended).toBe('stack-end');
  });

  it('a chain that runs past the end of the dumped stack confirms nothing', () => {
    const w = walk(stackOf({ 32: O(8), 48: Cc(4) }), tables({ 8: SIZE }));
    expect(frames(w).slice(1)).toEqual([
      [O(8), 0x20, 'scanned'],
      [Cc(4), 0x30, 'scanned'],
    ]);
    expect(w.ended).toBe('stack-end');
  });

  it('a chain that reaches the end of the stack on a null return address confirms nothing', () => {
    // O(1)'s 16-byte frame ends at the stack's end; its caller slot, the last word, is null.
    const w = walk(stackOf({ [SIZE - 24]: O(1) }), tables({ 1: 16 }));
    expect(frames(w).slice(1)).toEqual([[O(1), SIZE - 24, 'scanned']]);
  });

  it('a chain that ends exactly at the end of the stack holds, though a truncated core lacks the last word', () => {
    const w = walk(stackOf({ [SIZE - 24]: O(1) }, SIZE, S, SIZE - 8), tables({ 1: 16 }));
    expect(frames(w).slice(1)).toEqual([[O(1), SIZE - 24, 'exact']]);
    expect(w.ended).toBe('stack-end');
  });
});

describe('callback contexts at their limits', () => {
  it('a context cut off by the end of the dumped stack ends the walk there', () => {
    // A return to C in the fourth-last word: the previous chunk's bottom is the last word, its return address past it.
    const w = walk(stackOf({ [SIZE - 32]: O(5) }), tables(sizes));
    expect(frames(w).slice(1)).toEqual([[O(5), SIZE - 32, 'exact']]);
    expect(w.ended).toBe('stack-end');
  });

  it('a context whose bottom is its own stack pointer is corrupt; a bottom at the very end of the stack is not', () => {
    const own = walk(stackOf({ ...layout, 128: S + 0x70 }), tables(sizes));
    expect(own.ended).toBe('corrupt-frame');
    expect(frames(own).at(-1)).toEqual([O(3), 0x68, 'exact']);
    const end = walk(
      stackOf({ 56: O(1), 72: O(2), 104: O(3), 128: S + SIZE, 136: O(5), 144: Cc(2), [SIZE - 8]: O(5) }),
      tables(sizes),
    );
    expect(frames(end).slice(1)).toEqual([
      [O(1), 0x38, 'exact'],
      [O(2), 0x48, 'exact'],
      [O(3), 0x68, 'exact'],
      [Cc(2), 0x90, 'scanned'],
      [O(5), SIZE - 8, 'context'],
    ]);
    expect(end.ended).toBe('stack-end');
  });

  it('between a callback and its C caller, only words that pass the return-address test are taken', () => {
    // CODE + 0x10 lies in the code's range, so the scan meets it, but is no return address.
    const w = walk(stackOf({ ...layout, 152: CODE + 0x10 }), tables(sizes));
    expect(frames(w).slice(5, 9)).toEqual([
      [O(3), 0x68, 'exact'],
      [Cc(2), 0x90, 'scanned'],
      [Cc(3), 0xa0, 'scanned'],
      [O(4), 0xf8, 'context'],
    ]);
    expect(w.pcs.length).toBe(11);
  });
});

describe('where the scan starts', () => {
  it('at the first whole word at or above the stack pointer, never below it', () => {
    const stack = stackOf({ 8: Cc(1), 16: Cc(2), 24: Cc(3), 32: Cc(4) });
    for (const sp of [S + 0x13, S + 0x15, S + 0x18]) {
      const w = walkStack({ stack, descriptors: undefined, returnAddresses, pc: CODE + 0x1234, sp, maxFrames: 1000 });
      expect(frames(w).slice(1)).toEqual([
        [Cc(3), 0x18, 'scanned'],
        [Cc(4), 0x20, 'scanned'],
      ]);
    }
  });
});

describe('crossing from an OCaml 5 fiber', () => {
  const F = 0x7f00_0000_0000;
  const C = 0x7ffe_0000_0000;
  /**
   * On the fiber: O(1) (16 bytes) → O(2), a return to C whose 32-byte entry header names (+16) the link at C + 0x100;
   * above the header O(4) (16) → O(5), a return to C whose header names the link at C + 0x200. On the C stack each
   * link { stack; sp; prev } is followed by six saved registers, then the return address into C (+72): the first
   * link's prev is the second, the second's is null (the outermost entry).
   */
  const fiberLayout = { 32: O(1), 48: O(2), 72: C + 0x100, 88: O(4), 104: O(5), 128: C + 0x200 };
  const fiberSizes = { 1: 16, 2: RETURN_TO_C, 4: 16, 5: RETURN_TO_C };

  function walkFiber(fiber: StackMemory, maxFrames = 1000) {
    // The first link (0x100): prev at +16 (0x110), return address into C at +72 (0x148), a C frame above it (0x160);
    // the second (0x200): prev null, return address at 0x248, a C frame above it (0x260).
    const c = stackOf({ 272: C + 0x200, 328: Cc(1), 352: Cc(2), 584: Cc(3), 608: Cc(4) }, SIZE, C);
    const stackAt = (address: number) => (address >= C && address < C + SIZE ? c : undefined);
    const w = walkStack({
      stack: fiber,
      descriptors: tables(fiberSizes),
      returnAddresses,
      pc: CODE + 0x1234,
      sp: F + 0x10,
      maxFrames,
      fibers: { stackAt },
    });
    return { w, frames: Array.from(w.pcs, (pc, i) => [pc, w.slots[i], METHODS[w.methods[i]!]]) };
  }

  const toFirstCallback = [
    [CODE + 0x1234, -1, 'register'],
    [O(1), F + 0x20, 'exact'],
    [O(2), F + 0x30, 'exact'],
    [Cc(1), C + 0x148, 'context'],
    [Cc(2), C + 0x160, 'scanned'],
  ];

  it('crosses to C at each return into C and comes back on the fiber above the entry header', () => {
    const { w, frames } = walkFiber(stackOf(fiberLayout, SIZE, F));
    expect(frames).toEqual([
      ...toFirstCallback,
      [O(4), F + 0x58, 'context'],
      [O(5), F + 0x68, 'exact'],
      [Cc(3), C + 0x248, 'context'],
      [Cc(4), C + 0x260, 'scanned'],
    ]);
    expect(w.ended).toBe('bottom');
    expect(w.scanned).toBe(2);
  });

  it('never gives more frames than the limit, the return into C reaching it too', () => {
    const all = walkFiber(stackOf(fiberLayout, SIZE, F)).frames.length;
    for (let max = 1; max <= all + 1; max++)
      expect(walkFiber(stackOf(fiberLayout, SIZE, F), max).frames).toHaveLength(Math.min(max, all));
  });

  it('the C frames of a crossing count toward the frame limit', () => {
    const { w, frames } = walkFiber(stackOf(fiberLayout, SIZE, F), 4);
    expect(frames).toEqual(toFirstCallback.slice(0, 4));
    expect(w.ended).toBe('max-frames');
  });

  it('a null word above the entry header: the fiber is scanned on from there', () => {
    const { w, frames } = walkFiber(stackOf({ ...fiberLayout, 88: 0 }, SIZE, F));
    expect(frames).toEqual([
      ...toFirstCallback,
      [O(5), F + 0x68, 'exact'],
      [Cc(3), C + 0x248, 'context'],
      [Cc(4), C + 0x260, 'scanned'],
    ]);
    expect(w.ended).toBe('bottom');
  });

  it('a fiber dumped only up to its entry header ends there, also when the frames reach the limit there', () => {
    const fiberUpTo = (maxFrames: number) =>
      walkFiber(stackOf({ 32: O(1), 48: O(2), 72: C + 0x100 }, 0x58, F), maxFrames);
    for (const maxFrames of [5, 1000]) {
      const { w, frames } = fiberUpTo(maxFrames);
      expect(frames).toEqual(toFirstCallback);
      expect(w.ended).toBe('stack-end');
    }
  });
});

describe('scanning without frame tables', () => {
  it('every word that looks like a return address, to the end of the stack', () => {
    const w = walk(stackOf(layout), undefined);
    expect(frames(w).map(([pc]) => pc)).toEqual([
      CODE + 0x1234,
      Cc(1),
      O(9),
      O(1),
      O(2),
      O(3),
      O(4),
      Cc(2),
      Cc(3),
      O(4),
      O(5),
      Cc(4),
    ]);
    expect(w.ended).toBe('stack-end');
    expect(w.scanned).toBe(11);
    expect(walk(stackOf(layout), undefined, 3).ended).toBe('max-frames');
  });

  it('keeps every frame of a stack denser in return addresses than its size suggests', () => {
    // Frames are presized for one per 16 bytes (plus some): here every word from rsp on is a return address.
    const size = 0x1000;
    const count = (size - 0x10) / 8;
    const words = Object.fromEntries(Array.from({ length: count }, (_, k) => [0x10 + 8 * k, Cc(k)]));
    const w = walk(stackOf(words, size), undefined);
    expect(frames(w).slice(1)).toEqual(Array.from({ length: count }, (_, k) => [Cc(k), 0x10 + 8 * k, 'scanned']));
    expect(w.scanned).toBe(count);
    expect(w.ended).toBe('stack-end');
  });
});
