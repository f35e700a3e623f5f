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

function stackOf(words: Record<number, number>, size = SIZE): StackMemory {
  const bytes = new Uint8Array(size);
  const dv = new DataView(bytes.buffer);
  for (const [offset, v] of Object.entries(words)) {
    dv.setUint32(Number(offset), v % 0x1_0000_0000, true);
    dv.setUint32(Number(offset) + 4, Math.floor(v / 0x1_0000_0000), true);
  }
  const region = {
    start: S,
    end: S + size,
    reader: new BufferReader(bytes),
    offset: 0,
    origin: 'core',
    writable: true,
  };
  return new StackMemory(region as ConstructorParameters<typeof StackMemory>[0], S);
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
});
