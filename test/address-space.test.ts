/**
 * The crashed process's memory by address (src/core/address-space.ts) and the
 * window over its stack (src/core/stack-memory.ts), on memory whose every
 * word says where it is.
 */
import { describe, expect, it } from 'vitest';
import { AddressSpace, type MemoryRegion } from '../src/core/address-space.js';
import { StackMemory } from '../src/core/stack-memory.js';
import { BufferReader } from '../src/elf/byte-reader.js';
import { RecordingReader } from './support/recording-reader.js';

/** `size` bytes whose 8-byte word at offset o holds `base + o` (its own address when base is the start). */
function addressed(base: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  const dv = new DataView(bytes.buffer);
  for (let o = 0; o + 8 <= size; o += 8) {
    const v = base + o;
    dv.setUint32(o, v % 0x1_0000_0000, true);
    dv.setUint32(o + 4, Math.floor(v / 0x1_0000_0000), true);
  }
  return bytes;
}

const region = (start: number, bytes: Uint8Array, over: Partial<MemoryRegion> = {}): MemoryRegion => ({
  start,
  end: start + bytes.length,
  reader: new BufferReader(bytes),
  offset: 0,
  origin: 'core',
  writable: true,
  ...over,
});

describe('memory by address', () => {
  it("reads a word where it lies, through the region's offset in its file", () => {
    const file = new Uint8Array(0x3000);
    file.set(addressed(0x7000_0000, 0x2000), 0x1000);
    const memory = new AddressSpace([
      {
        start: 0x7000_0000,
        end: 0x7000_2000,
        reader: new BufferReader(file),
        offset: 0x1000,
        origin: 'core',
        writable: true,
      },
    ]);
    expect(memory.u64(0x7000_0000)).toBe(0x7000_0000);
    expect(memory.u64(0x7000_1ff8)).toBe(0x7000_1ff8);
    expect(memory.u64(0x7000_1ffc)).toBeUndefined();
    expect(memory.u64(0x6fff_fff8)).toBeUndefined();
    expect(memory.u64(0x7000_2000)).toBeUndefined();
    expect(memory.read(0x7000_0000, 0x2000)?.length).toBe(0x2000);
    expect(memory.read(0x7000_0000, 0x2001)).toBeUndefined();
  });

  it('reads across its 64 KiB chunks, and from the file once per chunk', () => {
    const start = 0x10_0000;
    const reader = new RecordingReader(new BufferReader(addressed(start, 0x30000)));
    const memory = new AddressSpace([{ ...region(start, new Uint8Array(0x30000)), reader }]);
    // The word at the chunk's last 4 bytes: the high half of one word, the low half of the next.
    expect(memory.u64(start + 0xfffc)).toBe((start + 0x10000) * 0x1_0000_0000);
    // A read that straddles two chunks gives the bytes in order.
    const straddle = memory.read(start + 0xfff8, 16)!;
    const dv = new DataView(straddle.buffer, straddle.byteOffset, 16);
    expect(dv.getUint32(0, true)).toBe(start + 0xfff8);
    expect(dv.getUint32(8, true)).toBe(start + 0x10000);
    reader.reads = 0;
    for (let a = start + 0x20000; a < start + 0x20100; a += 8) expect(memory.u64(a)).toBe(a);
    expect(reader.reads).toBe(1);
  });

  it('keeps at most 512 chunks: the oldest is read again after 512 others', () => {
    const size = 513 * 0x10000;
    const reader = new RecordingReader(new BufferReader(new Uint8Array(size)));
    const memory = new AddressSpace([{ ...region(0, new Uint8Array(0)), end: size, reader }]);
    for (let c = 0; c < 512; c++) memory.u64(c * 0x10000);
    expect(reader.reads).toBe(512);
    memory.u64(0);
    expect(reader.reads).toBe(512);
    memory.u64(512 * 0x10000);
    memory.u64(0x8);
    expect(reader.reads).toBe(514);
  });

  it("prefers the core's copy of an address to the executable's", () => {
    const exe = region(0x1000, addressed(0xe000, 0x1000), { origin: 'executable', writable: false });
    const core = region(0x1000, addressed(0xc000, 0x1000), { origin: 'core', writable: false });
    expect(new AddressSpace([exe, core]).u64(0x1000)).toBe(0xc000);
    expect(new AddressSpace([core, exe]).u64(0x1000)).toBe(0xc000);
    expect(new AddressSpace([exe]).regionAt(0x1000)?.origin).toBe('executable');
    expect(new AddressSpace([exe]).regionAt(0x2000)).toBeUndefined();
  });

  it('finds the stack: a writable dumped region holding rsp, or starting at most 64 KiB above it', () => {
    const stack = region(0x7ff0_0000, new Uint8Array(0x1000));
    const code = region(0x7fe0_0000, new Uint8Array(0x1000), { writable: false });
    const exe = region(0x7fd0_0000, new Uint8Array(0x1000), { origin: 'executable' });
    const memory = new AddressSpace([code, exe, stack]);
    expect(memory.stackRegion(0x7ff0_0000)).toBe(stack);
    expect(memory.stackRegion(0x7ff0_0fff)).toBe(stack);
    expect(memory.stackRegion(0x7ff0_1000)).toBeUndefined();
    expect(memory.stackRegion(0x7ff0_0000 - 0x10000)).toBe(stack);
    expect(memory.stackRegion(0x7ff0_0000 - 0x10001)).toBeUndefined();
    expect(memory.stackRegion(0x7ff0_0000 - 8, 0)).toBeUndefined();
    expect(memory.stackRegion(0x7ff0_0000 - 8, 8)).toBe(stack);
    expect(memory.stackRegion(0x7fe0_0000)).toBeUndefined();
    expect(memory.stackRegion(0x7fd0_0000)).toBeUndefined();
  });

  it('gives a whole region once, and none over 64 MiB', () => {
    const reader = new RecordingReader(new BufferReader(addressed(0x4000, 0x1000)));
    const memory = new AddressSpace([{ ...region(0x4000, new Uint8Array(0x1000)), reader }]);
    const block = memory.block(0x4800)!;
    expect(block.start).toBe(0x4000);
    expect(block.bytes.length).toBe(0x1000);
    expect(memory.block(0x4000)!.bytes).toBe(block.bytes);
    expect(reader.reads).toBe(1);
    expect(memory.block(0x5000)).toBeUndefined();
    const big = { size: 2 ** 30, name: 'big', read: () => new Uint8Array(0), readInto: () => 0 };
    const huge = new AddressSpace([{ ...region(0, new Uint8Array(0)), end: 64 * 1024 * 1024 + 1, reader: big }]);
    expect(huge.block(0)).toBeUndefined();
    const limit = new AddressSpace([{ ...region(0, new Uint8Array(0)), end: 64 * 1024 * 1024, reader: big }]);
    expect(limit.block(0)).toBeDefined();
  });

  it('reads no further than the end of a region, though its file goes on', () => {
    // Two regions one after the other in the file, far apart in memory, as a core lays them out.
    const file = addressed(0, 0x2000);
    const low = region(0x1000, new Uint8Array(0), { end: 0x2000, reader: new BufferReader(file) });
    const high = region(0x9000, new Uint8Array(0), { end: 0xa000, reader: new BufferReader(file), offset: 0x1000 });
    const memory = new AddressSpace([low, high]);
    expect(memory.u64(0x1ff8)).toBe(0xff8);
    expect(memory.read(0x1ff8, 16)).toBeUndefined();
    expect(memory.u64(0x1ffc)).toBeUndefined();
    expect(memory.block(0x1800)?.bytes.length).toBe(0x1000);
    expect(memory.block(0x9000)?.bytes).toEqual(file.subarray(0x1000));
  });

  it('gives nothing for bytes the file does not hold, short of the end of the region', () => {
    const memory = new AddressSpace([region(0x1000, addressed(0, 0x1800), { end: 0x3000 })]);
    expect(memory.u64(0x1000 + 0x17f0)).toBe(0x17f0);
    expect(memory.read(0x1000 + 0x17f8, 16)).toBeUndefined();
    expect(memory.read(0x1000 + 0x1800, 8)).toBeUndefined();
  });

  it('gives nothing for bytes across a chunk boundary that the file ends among', () => {
    // The file holds 2 bytes past the first 64 KiB chunk; the region claims more.
    const memory = new AddressSpace([region(0, addressed(0, 0x10002), { end: 0x20000 })]);
    expect(memory.read(0xfffc, 8)).toBeUndefined();
    expect(memory.u64(0xfffc)).toBeUndefined();
    expect(memory.read(0xfffc, 4)).toHaveLength(4);
  });

  it('reads a word ending at a chunk boundary from the cached chunk', () => {
    const reader = new RecordingReader(new BufferReader(addressed(0, 0x20000)));
    const memory = new AddressSpace([{ ...region(0, new Uint8Array(0x20000)), reader }]);
    expect(memory.u64(0xfff8)).toBe(0xfff8);
    expect(memory.u64(0xfff8)).toBe(0xfff8);
    expect(memory.u64(0xfff0)).toBe(0xfff0);
    expect(reader.reads).toBe(1);
  });

  it('takes the nearest writable region above rsp as the stack, in whatever order the regions come', () => {
    const stack = region(0x7ff0_0000, new Uint8Array(0x1000));
    const above = region(0x7ff0_2000, new Uint8Array(0x1000));
    expect(new AddressSpace([above, stack]).stackRegion(0x7ff0_0000 - 0x100)).toBe(stack);
    expect(new AddressSpace([stack, above]).stackRegion(0x7ff0_0000 - 0x100)).toBe(stack);
    expect(new AddressSpace([above, stack]).regionAt(0x7ff0_2000)).toBe(above);
  });

  it('never takes an empty region for the stack, even one starting at rsp', () => {
    const empty = region(0x7ff0_0000, new Uint8Array(0));
    const stack = region(0x7ff0_1000, new Uint8Array(0x1000));
    const memory = new AddressSpace([empty, stack]);
    expect(memory.stackRegion(0x7ff0_0000)).toBe(stack);
    expect(memory.regionAt(0x7ff0_0000)).toBeUndefined();
  });

  it('reads a NUL-terminated string, at most 4 KiB of it', () => {
    const bytes = new Uint8Array(0x3000).fill(0x61);
    bytes.set(Buffer.from('lwt.ml\0'), 0x10);
    const memory = new AddressSpace([region(0x9000, bytes)]);
    expect(memory.cstring(0x9010)).toBe('lwt.ml');
    expect(memory.cstring(0x9012)).toBe('t.ml');
    expect(memory.cstring(0x9016)).toBe('');
    expect(memory.cstring(0xa000)).toBe('a'.repeat(4096));
    expect(memory.cstring(0x9000 + 0x3000 - 3)).toBe('aaa');
    expect(memory.cstring(0x8000)).toBeUndefined();
  });
});

describe('the stack window', () => {
  const START = 0x7fff_0000_0000;

  it('reads the words between the stack pointer and the bottom, and -1 outside', () => {
    const stack = new StackMemory(region(START, addressed(START, 0x1000)), START + 0x100);
    expect(stack.high).toBe(START + 0x1000);
    expect(stack.low).toBe(START + 0x100);
    expect(stack.u64(START + 0x100)).toBe(START + 0x100);
    expect(stack.u64(START + 0xff8)).toBe(START + 0xff8);
    expect(stack.u64(START + 0xffc)).toBe(-1);
    expect(stack.u64(START + 0xf8)).toBe(-1);
    expect(stack.u64(START + 0x1000)).toBe(-1);
  });

  it('slides over a stack larger than its 1 MiB window, up and down', () => {
    const size = 3 * 1024 * 1024;
    const reader = new RecordingReader(new BufferReader(addressed(START, size)));
    const stack = new StackMemory({ ...region(START, new Uint8Array(0)), end: START + size, reader }, START);
    for (const at of [0, 8, 0x100000 - 8, 0x100000, 0x2ffff8, 0x1000, 0x250000, 0x180000])
      expect(stack.u64(START + at)).toBe(START + at);
    expect(reader.largest).toBeLessThanOrEqual(1024 * 1024);
    // Moving up word by word within a window reads nothing more.
    const before = reader.reads;
    for (let at = 0x180000; at < 0x180800; at += 8) stack.u64(START + at);
    expect(reader.reads).toBe(before);
  });

  it('reads a stack region whose size is not a whole number of words, up to its last whole word', () => {
    for (const size of [0x1001, 0x1002, 0x1003, 0x1005]) {
      const stack = new StackMemory(region(START, addressed(START, size)), START);
      expect(stack.u64(START + 0xff8)).toBe(START + 0xff8);
      expect(stack.u64(START + 0x1000)).toBe(-1);
      const seen: number[] = [];
      stack.scanWords(START, START + size, START - 1, START + size, (value) => seen.push(value) > 0);
      expect(seen).toHaveLength(0x1000 / 8);
    }
  });

  it('gives -1 where the file ends short of the stack', () => {
    const bytes = addressed(START, 0x800);
    const stack = new StackMemory({ ...region(START, bytes), end: START + 0x1000 }, START);
    expect(stack.u64(START + 0x7f8)).toBe(START + 0x7f8);
    expect(stack.u64(START + 0x800)).toBe(-1);
  });

  it('scans the aligned words in (min, max], in order, until told to stop', () => {
    const bytes = new Uint8Array(0x100);
    const dv = new DataView(bytes.buffer);
    const put = (at: number, v: number) => {
      dv.setUint32(at, v % 0x1_0000_0000, true);
      dv.setUint32(at + 4, Math.floor(v / 0x1_0000_0000), true);
    };
    const code = 0x5555_5555_0000;
    put(0x10, code + 1);
    put(0x18, code); // not above min
    put(0x20, code + 0x1000); // the max itself
    put(0x28, code + 0x1001); // above max
    put(0x30, 0x1234); // data
    put(0x40, code + 0x10);
    put(0xf8, code + 0x20);
    const stack = new StackMemory(region(START, bytes), START);
    const seen: [number, number][] = [];
    const all = stack.scanWords(START, START + 0x100, code, code + 0x1000, (v, a) => {
      seen.push([v - code, a - START]);
      return true;
    });
    expect(all).toBe(START + 0x100);
    expect(seen).toEqual([
      [1, 0x10],
      [0x1000, 0x20],
      [0x10, 0x40],
      [0x20, 0xf8],
    ]);
    // Stopped at the second word: the address it stopped at.
    let n = 0;
    expect(stack.scanWords(START, START + 0x100, code, code + 0x1000, () => ++n < 2)).toBe(START + 0x20);
    // From an unaligned address: the next aligned word; up to `to` only.
    const from: number[] = [];
    stack.scanWords(START + 0x11, START + 0x41, code, code + 0x1000, (_, a) => from.push(a - START) > 0);
    expect(from).toEqual([0x20]);
    const upTo: number[] = [];
    stack.scanWords(START, START + 0x48, code, code + 0x1000, (_, a) => upTo.push(a - START) > 0);
    expect(upTo).toEqual([0x10, 0x20, 0x40]);
  });

  it('scans from the stack pointer up, not below it, across windows', () => {
    const size = 2 * 1024 * 1024 + 0x100;
    const bytes = addressed(START, size);
    const stack = new StackMemory(region(START, bytes), START + 0x80);
    const found: number[] = [];
    const end = stack.scanWords(START, START + size, START + 0x0ff, START + 0x200, (v) => found.push(v) > 0);
    expect(end).toBe(START + size);
    expect(found).toEqual(
      [0x100, 0x108, 0x110, 0x118, 0x120]
        .map((o) => START + o)
        .concat(Array.from({ length: (0x200 - 0x128) / 8 + 1 }, (_, i) => START + 0x128 + i * 8)),
    );
    const far: number[] = [];
    stack.scanWords(START, START + size, START + size - 0x20, START + size, (v) => far.push(v) > 0);
    expect(far).toEqual([START + size - 0x18, START + size - 0x10, START + size - 8]);
  });
  it('reads and scans the words of the window it holds without reading the file again', () => {
    const reader = new RecordingReader(new BufferReader(addressed(START, 0x1000)));
    const stack = new StackMemory({ ...region(START, new Uint8Array(0)), end: START + 0x1000, reader }, START);
    expect(stack.u64(START)).toBe(START);
    expect(reader.reads).toBe(1);
    // The window's first word and its last.
    expect(stack.u64(START)).toBe(START);
    expect(stack.u64(START + 0xff8)).toBe(START + 0xff8);
    const seen: number[] = [];
    const found = (v: number) => seen.push(v) > 0;
    expect(stack.scanWords(START, START + 0x1000, START + 0xfe8, START + 0x1000, found)).toBe(START + 0x1000);
    expect(stack.scanWords(START + 0xff8, START + 0x1000, START, START + 0x1000, found)).toBe(START + 0x1000);
    expect(seen).toEqual([START + 0xff0, START + 0xff8, START + 0xff8]);
    expect(reader.reads).toBe(1);
  });

  it('keeps the 64 KiB below the word that slid the window up, and reads again below them', () => {
    const size = 3 * 1024 * 1024;
    const reader = new RecordingReader(new BufferReader(addressed(START, size)));
    const stack = new StackMemory({ ...region(START, new Uint8Array(0)), end: START + size, reader }, START);
    expect(stack.u64(START + 0x200000)).toBe(START + 0x200000);
    expect(reader.reads).toBe(1);
    expect(stack.u64(START + 0x200000 - 0x10000)).toBe(START + 0x200000 - 0x10000);
    expect(stack.u64(START + 0x200000 - 0x100)).toBe(START + 0x200000 - 0x100);
    expect(reader.reads).toBe(1);
    expect(stack.u64(START + 0x200000 - 0x10008)).toBe(START + 0x200000 - 0x10008);
    expect(reader.reads).toBe(2);
  });

  it('scans words below a window that slid up', () => {
    const size = 3 * 1024 * 1024;
    const stack = new StackMemory(region(START, addressed(START, size)), START);
    expect(stack.u64(START + 0x200000)).toBe(START + 0x200000);
    const found: number[] = [];
    stack.scanWords(START, START + 0x100, START + 0x7, START + 0x20, (v) => found.push(v) > 0);
    expect(found).toEqual([START + 8, START + 0x10, START + 0x18, START + 0x20]);
  });

  it('scans the words lying wholly in [from, to): the one ending at `to`, not the one it cuts', () => {
    const stack = new StackMemory(region(START, addressed(START, 0x1000)), START);
    const scan = (from: number, to: number) => {
      const found: number[] = [];
      stack.scanWords(START + from, START + to, START, START + 0x1000, (_, a) => found.push(a - START) > 0);
      return found;
    };
    expect(scan(0x38, 0x40)).toEqual([0x38]);
    expect(scan(0x30, 0x44)).toEqual([0x30, 0x38]);
  });

  it('scans from a stack pointer off a word boundary, from the next aligned word up', () => {
    const stack = new StackMemory(region(START, addressed(START, 0x1000)), START + 3);
    const found: number[] = [];
    stack.scanWords(START, START + 0x28, START, START + 0x1000, (v) => found.push(v) > 0);
    expect(found).toEqual([START + 8, START + 0x10, START + 0x18, START + 0x20]);
    expect(stack.u64(START + 0x10)).toBe(START + 0x10);
  });

  it('reads no byte of the file past the end of the stack region, nor asks it for a word beyond', () => {
    // The stack's region ends before the core file does, the stack pointer half-way up it.
    const reader = new RecordingReader(new BufferReader(addressed(START, 0x2000)), true);
    const stack = new StackMemory({ ...region(START, new Uint8Array(0)), end: START + 0x1000, reader }, START + 0x800);
    expect(stack.u64(START + 0x800)).toBe(START + 0x800);
    expect(stack.u64(START + 0xff8)).toBe(START + 0xff8);
    expect(stack.u64(START + 0x1000)).toBe(-1);
    expect(reader.log).toEqual([[0x800, 0x800]]);
  });
});
