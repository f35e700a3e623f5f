/**
 * OCaml's frame tables and debug info (src/ocaml/frametable.ts,
 * src/ocaml/debuginfo5.ts), on tables laid out byte by byte as the runtime
 * reads them: runtime/backtrace_nat.c and asmcomp/amd64/emit.mlp (4.11+),
 * runtime/roots_nat.c (up to 4.10), and 5.2's packed debug info.
 */
import { describe, expect, it } from 'vitest';
import { AddressSpace } from '../src/core/address-space.js';
import { BufferReader } from '../src/elf/byte-reader.js';
import { decodePackedLocation } from '../src/ocaml/debuginfo5.js';
import { DescriptorTable, decodeLocation, RETURN_TO_C, readFrameTables } from '../src/ocaml/frametable.js';

const BASE = 0x10000;

/** A core's writable data segment holding `bytes` at `start`. */
const segment = (bytes: Uint8Array, start = BASE) => ({
  start,
  end: start + bytes.length,
  reader: new BufferReader(bytes, `segment at 0x${start.toString(16)}`),
  offset: 0,
  origin: 'core' as const,
  writable: true,
});

/** Memory holding `bytes` at BASE. */
function memoryOf(bytes: Uint8Array): AddressSpace {
  return new AddressSpace([segment(bytes)]);
}

/** A little-endian byte image written field by field. */
class Image {
  readonly bytes: Uint8Array;
  private readonly dv: DataView;
  constructor(size = 4096) {
    this.bytes = new Uint8Array(size);
    this.dv = new DataView(this.bytes.buffer);
  }
  u16(at: number, v: number) {
    this.dv.setUint16(at, v, true);
    return this;
  }
  u32(at: number, v: number) {
    this.dv.setUint32(at, v, true);
    return this;
  }
  i32(at: number, v: number) {
    this.dv.setInt32(at, v, true);
    return this;
  }
  u64(at: number, v: number) {
    this.dv.setUint32(at, v % 0x1_0000_0000, true);
    this.dv.setUint32(at + 4, Math.floor(v / 0x1_0000_0000), true);
    return this;
  }
  text(at: number, s: string) {
    this.bytes.set(Buffer.from(`${s}\0`, 'latin1'), at);
    return this;
  }
}

describe('the descriptor table', () => {
  it('finds what was set, by return address, and nothing else; grows past its first size', () => {
    const table = new DescriptorTable(1);
    const pcs = Array.from({ length: 5000 }, (_, i) => 0x5555_0000_0000 + i * 0x1_0001);
    for (const [i, pc] of pcs.entries()) table.set(pc, (i % 100) * 8, i);
    expect(table.size).toBe(5000);
    pcs.forEach((pc, i) => {
      expect(table.frameSize(pc)).toBe((i % 100) * 8);
      expect(table.get(pc)).toEqual({ frameSize: (i % 100) * 8, debugInfo: i });
      expect(table.has(pc)).toBe(true);
    });
    expect(table.frameSize(0x1234)).toBe(-1);
    expect(table.get(0x1234)).toBeUndefined();
    expect(table.has(0)).toBe(false);
    expect(table.frameSize(0)).toBe(-1);
  });

  it('keeps one entry per return address: setting it again replaces it', () => {
    const table = new DescriptorTable();
    table.set(0x400100, 16, 1);
    table.set(0x400100, RETURN_TO_C, 0);
    expect(table.size).toBe(1);
    expect(table.frameSize(0x400100)).toBe(RETURN_TO_C);
  });

  it('presized for no descriptors at all, it still answers look-ups and takes entries', () => {
    const table = new DescriptorTable(0);
    expect(table.frameSize(0x401000)).toBe(-1);
    expect(table.has(0x401000)).toBe(false);
    table.set(0x401000, 16, 0);
    expect(table.frameSize(0x401000)).toBe(16);
  });
});

describe('frame tables of OCaml 4.11 and later', () => {
  /**
   * caml_frametable at BASE: pointers to one module table at BASE + 0x100, the
   * same pointer twice, then NULL. The table: { count = 4;
   *  d0 { retaddr 0x401000; frame_size 0x23 (size 32, allocs 2, debug 1); num_live 1; live[1];
   *       num_allocs 2, lengths[2]; (align 4) debuginfo offsets[2] } (align 8)
   *  d1 { retaddr 0x402000; frame_size 0xffff (return to C); num_live 0 } (align 8)
   *  d2 { retaddr 0x403000; frame_size 0x19 (size 24, debug 1); num_live 0; (align 4) debuginfo } (align 8)
   *  d3 { retaddr 0x404000; frame_size 0x30; num_live 2; live[2] } }
   */
  function tables() {
    const img = new Image();
    img
      .u64(0, BASE + 0x100)
      .u64(8, BASE + 0x100)
      .u64(16, 0);
    let at = 0x100;
    img.u64(at, 4);
    at += 8;
    // d0
    img
      .u64(at, 0x401000)
      .u16(at + 8, 0x23)
      .u16(at + 10, 1)
      .u16(at + 12, 8);
    img.bytes[at + 14] = 2;
    img.bytes[at + 15] = 3;
    img.bytes[at + 16] = 4;
    const d0debug = at + 20; // 17 rounded up to 4, from the table's start (0x108 is 8-aligned)
    img.u32(d0debug, 0x400 - d0debug).u32(d0debug + 4, 0);
    at = (d0debug + 8 + 7) & ~7;
    // d1
    img
      .u64(at, 0x402000)
      .u16(at + 8, 0xffff)
      .u16(at + 10, 0);
    at = (at + 12 + 7) & ~7;
    // d2
    img
      .u64(at, 0x403000)
      .u16(at + 8, 0x19)
      .u16(at + 10, 0);
    const d2debug = at + 12;
    img.u32(d2debug, 0x500 - d2debug);
    at = (d2debug + 4 + 7) & ~7;
    // d3
    img
      .u64(at, 0x404000)
      .u16(at + 8, 0x30)
      .u16(at + 10, 2)
      .u16(at + 12, 8)
      .u16(at + 14, 16);
    return img;
  }

  it('reads every descriptor: its frame size without the flag bits, its debug info where it has some', () => {
    const { descriptors, modules } = readFrameTables(memoryOf(tables().bytes), BASE);
    expect(modules).toBe(1);
    expect(descriptors.size).toBe(4);
    const at = (offset: number) => BASE + offset;
    expect(descriptors.get(0x401000)).toEqual({ frameSize: 32, debugInfo: expect.any(Number) });
    const d0 = descriptors.get(0x401000)!.debugInfo;
    expect(d0).toBe(at(0x400));
    expect(descriptors.get(0x402000)).toEqual({ frameSize: RETURN_TO_C, debugInfo: 0 });
    expect(descriptors.get(0x403000)).toEqual({ frameSize: 24, debugInfo: at(0x500) });
    expect(descriptors.get(0x404000)).toEqual({ frameSize: 0x30, debugInfo: 0 });
  });

  it('stops at the NULL pointer, and reads a table met twice once', () => {
    const img = tables();
    img.u64(16, BASE + 0x800).u64(24, 0); // a second module, empty
    img.u64(0x800, 0);
    expect(readFrameTables(memoryOf(img.bytes), BASE).modules).toBe(2);
    img.u64(8, 0); // NULL before the duplicate: only the first
    expect(readFrameTables(memoryOf(img.bytes), BASE).modules).toBe(1);
    // No table at all.
    expect(readFrameTables(memoryOf(new Uint8Array(64)), BASE)).toMatchObject({ modules: 0 });
  });

  it('cuts a table where memory ends, keeping the descriptors read whole', () => {
    const img = tables();
    img.u64(0x100, 1000); // more descriptors than there are
    // d0 takes 0x108-0x124, d1 0x128-0x134, d2 0x138-0x144: memory ends at 0x140, inside d2.
    const { descriptors } = readFrameTables(memoryOf(img.bytes.subarray(0, 0x140)), BASE);
    expect(descriptors.has(0x401000)).toBe(true);
    expect(descriptors.has(0x402000)).toBe(true);
    expect(descriptors.has(0x403000)).toBe(false);
    expect(descriptors.has(0x404000)).toBe(false);
  });

  it('a pointer outside memory is no table', () => {
    const img = new Image();
    img.u64(0, 0x7777_0000).u64(8, 0);
    expect(readFrameTables(memoryOf(img.bytes), BASE).modules).toBe(0);
  });

  it('a pointer into a table already read is no table of its own', () => {
    const img = tables();
    img.u64(8, BASE + 0x128); // d1's address, inside the module's table
    const { descriptors, modules } = readFrameTables(memoryOf(img.bytes), BASE);
    expect(modules).toBe(1);
    expect(descriptors.size).toBe(4);
  });

  it('a table that starts right where the previous one ends is read too', () => {
    // { count 1; { 0x401000; size 16; no live } } at 0x100 ends at 0x118, where the second table begins.
    const img = new Image();
    img
      .u64(0, BASE + 0x100)
      .u64(8, BASE + 0x118)
      .u64(16, 0);
    img.u64(0x100, 1).u64(0x108, 0x401000).u16(0x110, 16);
    img.u64(0x118, 1).u64(0x120, 0x402000).u16(0x128, 32);
    const { descriptors, modules } = readFrameTables(memoryOf(img.bytes), BASE);
    expect(modules).toBe(2);
    expect(descriptors.frameSize(0x401000)).toBe(16);
    expect(descriptors.frameSize(0x402000)).toBe(32);
  });

  it('reads the pointers of thousands of modules, each to its table', () => {
    const n = 2000;
    const tablesAt = 0x4000; // after the n pointers and their NULL
    const img = new Image(tablesAt + n * 24);
    for (let i = 0; i < n; i++) {
      const table = tablesAt + i * 24; // { count 1; { retaddr; size 16; no live } (padded to 16) }
      img.u64(i * 8, BASE + table);
      img
        .u64(table, 1)
        .u64(table + 8, 0x400000 + i * 0x10)
        .u16(table + 16, 16);
    }
    const { descriptors, modules } = readFrameTables(memoryOf(img.bytes), BASE);
    expect(modules).toBe(n);
    expect(descriptors.size).toBe(n);
    expect(descriptors.frameSize(0x400000 + (n - 1) * 0x10)).toBe(16);
  });

  it('reads at most 100 000 module pointers', () => {
    const max = 100_000;
    const first = (max + 2) * 8; // table A, then table B
    const img = new Image(first + 0x40);
    for (let i = 0; i < max; i++) img.u64(i * 8, BASE + first);
    img.u64(max * 8, BASE + first + 0x20); // the 100 001st pointer, to table B
    img
      .u64(first, 1)
      .u64(first + 8, 0x401000)
      .u16(first + 16, 16);
    img
      .u64(first + 0x20, 1)
      .u64(first + 0x28, 0x402000)
      .u16(first + 0x30, 16);
    const { descriptors, modules } = readFrameTables(memoryOf(img.bytes), BASE);
    expect(modules).toBe(1);
    expect(descriptors.has(0x401000)).toBe(true);
    expect(descriptors.has(0x402000)).toBe(false);
  });

  it('the counts corrupt tables claim presize the descriptor table no further than a real program needs', () => {
    // 4096 pointers to consecutive words that each claim 2^40 descriptors, then a null word: the first table runs
    // over all the others to the end of memory (each pair of words read as one descriptor with no live offsets).
    const n = 4096;
    const img = new Image(n * 16 + 16);
    for (let i = 0; i < n; i++) img.u64(i * 8, BASE + (n + 1 + i) * 8).u64((n + 1 + i) * 8, 2 ** 40);
    expect(readFrameTables(memoryOf(img.bytes), BASE).modules).toBe(1);
  });

  it('a table whose count is cut off by the end of memory is none; one whose count ends there is read', () => {
    const img = new Image(0x100);
    img.u64(0, BASE + 0xfc).u64(8, 0);
    expect(readFrameTables(memoryOf(img.bytes), BASE).modules).toBe(0);
    img.u64(0, BASE + 0xf8); // count 0, the last word
    expect(readFrameTables(memoryOf(img.bytes), BASE).modules).toBe(1);
  });

  it('a descriptor whose fixed fields end exactly where memory ends is read', () => {
    const img = new Image();
    img.u64(0, BASE + 0x100).u64(8, 0);
    img.u64(0x100, 1).u64(0x108, 0x401000).u16(0x110, 16);
    const { descriptors } = readFrameTables(memoryOf(img.bytes.subarray(0, 0x114)), BASE);
    expect(descriptors.get(0x401000)).toEqual({ frameSize: 16, debugInfo: 0 });
  });

  it('a descriptor whose allocation lengths or debug info lie past the end of memory is dropped', () => {
    const img = new Image();
    img.u64(0, BASE + 0x100).u64(8, 0);
    img.u64(0x100, 1).u64(0x108, 0x401000);
    // Allocations (frame_size & 2): their count byte would be at 0x114, where memory ends.
    img.u16(0x110, 0x12);
    expect(readFrameTables(memoryOf(img.bytes.subarray(0, 0x114)), BASE).descriptors.has(0x401000)).toBe(false);
    // Debug info (frame_size & 1): its 4-byte offset at 0x114, cut in half, then whole.
    img.u16(0x110, 0x11).u32(0x114, 0x100);
    expect(readFrameTables(memoryOf(img.bytes.subarray(0, 0x116)), BASE).descriptors.has(0x401000)).toBe(false);
    const whole = readFrameTables(memoryOf(img.bytes.subarray(0, 0x118)), BASE).descriptors;
    expect(whole.get(0x401000)).toEqual({ frameSize: 16, debugInfo: BASE + 0x214 });
  });

  it('a descriptor without allocations has no allocation lengths, whatever byte follows its live offsets', () => {
    // After d3 (frame_size 0x30, two live offsets) ends at 0x158, a fifth descriptor whose first byte is 0xa8.
    const img = tables();
    img.u64(0x100, 5);
    img.u64(0x158, 0x4050a8).u16(0x160, 0x18);
    const { descriptors } = readFrameTables(memoryOf(img.bytes), BASE);
    expect(descriptors.get(0x404000)).toEqual({ frameSize: 0x30, debugInfo: 0 });
    expect(descriptors.get(0x4050a8)).toEqual({ frameSize: 0x18, debugInfo: 0 });
  });

  it('a descriptor with a null return address is skipped', () => {
    const img = tables();
    img.u64(0x128, 0); // d1
    const { descriptors } = readFrameTables(memoryOf(img.bytes), BASE);
    expect(descriptors.size).toBe(3);
    expect(descriptors.get(0x403000)).toEqual({ frameSize: 24, debugInfo: BASE + 0x500 });
  });
});

describe('frame tables of OCaml 4.10 and before', () => {
  it('align each descriptor to 8 after its live offsets, and point at debug info with 8 bytes', () => {
    const img = new Image();
    img.u64(0, BASE + 0x100).u64(8, 0);
    let at = 0x100;
    img.u64(at, 3);
    at += 8;
    // { retaddr; frame_size 0x11 (16 + debug); num_live 1; live[1]; (align 8) debuginfo pointer }
    img
      .u64(at, 0x401000)
      .u16(at + 8, 0x11)
      .u16(at + 10, 1)
      .u16(at + 12, 8);
    at = (at + 14 + 7) & ~7;
    img.u64(at, BASE + 0x600);
    at += 8;
    // { retaddr; return to C }
    img
      .u64(at, 0x402000)
      .u16(at + 8, 0xffff)
      .u16(at + 10, 0);
    at = (at + 12 + 7) & ~7;
    // { retaddr; frame_size 0x20, no debug; num_live 0 }
    img
      .u64(at, 0x403000)
      .u16(at + 8, 0x20)
      .u16(at + 10, 0);
    const { descriptors, modules } = readFrameTables(memoryOf(img.bytes), BASE, 'pointers');
    expect(modules).toBe(1);
    expect(descriptors.get(0x401000)).toEqual({ frameSize: 16, debugInfo: BASE + 0x600 });
    expect(descriptors.get(0x402000)).toEqual({ frameSize: RETURN_TO_C, debugInfo: 0 });
    expect(descriptors.get(0x403000)).toEqual({ frameSize: 0x20, debugInfo: 0 });
  });

  /** { count 3; { 0x401000; size 0x20; no live } (aligned to 8); { 0; size 0x18 }; { 0x402000; 0x11; pointer } }. */
  function pointerTables() {
    const img = new Image();
    img.u64(0, BASE + 0x100).u64(8, 0);
    img.u64(0x100, 3);
    img.u64(0x108, 0x401000).u16(0x110, 0x20);
    img.u64(0x118, 0).u16(0x120, 0x18);
    img
      .u64(0x128, 0x402000)
      .u16(0x130, 0x11)
      .u64(0x138, BASE + 0x600);
    return img;
  }

  it('a descriptor without debug info has no pointer; one with a null return address is skipped', () => {
    const { descriptors } = readFrameTables(memoryOf(pointerTables().bytes), BASE, 'pointers');
    expect(descriptors.size).toBe(2);
    expect(descriptors.get(0x401000)).toEqual({ frameSize: 0x20, debugInfo: 0 });
    expect(descriptors.get(0x402000)).toEqual({ frameSize: 16, debugInfo: BASE + 0x600 });
  });

  it('a debug info pointer cut off by the end of memory drops its descriptor; one ending there is read', () => {
    const bytes = pointerTables().bytes;
    const cut = readFrameTables(memoryOf(bytes.subarray(0, 0x13c)), BASE, 'pointers').descriptors;
    expect(cut.has(0x401000)).toBe(true);
    expect(cut.has(0x402000)).toBe(false);
    const whole = readFrameTables(memoryOf(bytes.subarray(0, 0x140)), BASE, 'pointers').descriptors;
    expect(whole.get(0x402000)).toEqual({ frameSize: 16, debugInfo: BASE + 0x600 });
  });
});

describe('debug info', () => {
  it('OCaml 4.11: the file name follows the record, with line and characters packed in two words', () => {
    // info1: offset 0x10 to the name (bits 2-25), the end char's low 6 bits at 26-31;
    // info2: line << 12, start << 4, end >> 6.
    const line = 1376;
    const [start, end] = [12, 70];
    const img = new Image();
    img.u32(0x100, 0x10 | ((end & 0x3f) << 26)).u32(0x104, (line << 12) | (start << 4) | (end >> 6));
    img.text(0x110, 'src/core/lwt.ml');
    expect(decodeLocation(memoryOf(img.bytes), BASE + 0x100)).toEqual({
      file: 'src/core/lwt.ml',
      definition: undefined,
      line,
      startChar: start,
      endChar: end,
    });
  });

  it('OCaml 4.12: the record points at { offset to the file name; the definition }', () => {
    const img = new Image();
    img.u32(0x100, 0x20).u32(0x104, 99 << 12);
    img.i32(0x120, 0x40).text(0x124, 'Lwt.Resolution_loop.resolve');
    img.text(0x160, 'lwt.ml');
    expect(decodeLocation(memoryOf(img.bytes), BASE + 0x100)).toMatchObject({
      file: 'lwt.ml',
      definition: 'Lwt.Resolution_loop.resolve',
      line: 99,
    });
  });

  it('OCaml 5.2, fully packed: line in the top 13 bits, characters below; the struct { offset; name }', () => {
    const img = new Image();
    // info2: line << 19 | start << 10 | end << 3 (top bit clear).
    img.u32(0x100, 0x20).u32(0x104, (1234 << 19) | (17 << 10) | (45 << 3));
    img.i32(0x120, 0x30).text(0x124, 'Tri.ping');
    img.text(0x150, 'tri.ml');
    expect(decodePackedLocation(memoryOf(img.bytes), BASE + 0x100)).toEqual({
      file: 'tri.ml',
      definition: 'Tri.ping',
      line: 1234,
      startChar: 17,
      endChar: 45,
    });
  });

  it('OCaml 5.2, partially packed: the top bit set, line in bits 12-30, characters in the struct', () => {
    const img = new Image();
    img.u32(0x100, 0x40 | 3).u32(0x104, 0x8000_0000 | (300_000 << 12));
    img.i32(0x140, 0x40).u16(0x144, 1000).u16(0x146, 2000).i32(0x148, 0).text(0x14c, 'Big.f');
    img.text(0x180, 'big.ml');
    expect(decodePackedLocation(memoryOf(img.bytes), BASE + 0x100)).toEqual({
      file: 'big.ml',
      definition: 'Big.f',
      line: 300_000,
      startChar: 1000,
      endChar: 2000,
    });
  });

  it('a file name with a space among its first four characters is still read as the name', () => {
    const img = new Image();
    img.u32(0x100, 0x10).u32(0x104, 7 << 12);
    img.text(0x110, 'a b.ml');
    expect(decodeLocation(memoryOf(img.bytes), BASE + 0x100)).toMatchObject({ file: 'a b.ml', line: 7 });
  });

  it('OCaml 4.12: an offset to the file name is not text, even when all its bytes but a 0x7f one print', () => {
    // The offset 0x2020207f is the bytes 7f 20 20 20: the file name lies that far from the record's names.
    const img = new Image();
    img.u32(0x100, 0x20).u32(0x104, 5 << 12);
    img.i32(0x120, 0x2020207f).text(0x124, 'Far.f');
    const far = new Image(0x100).text(0, 'far.ml');
    const memory = new AddressSpace([segment(img.bytes), segment(far.bytes, BASE + 0x120 + 0x2020207f)]);
    expect(decodeLocation(memory, BASE + 0x100)).toMatchObject({ file: 'far.ml', definition: 'Far.f', line: 5 });
  });

  it('a record outside memory has no location', () => {
    const memory = memoryOf(new Image().bytes);
    expect(decodeLocation(memory, BASE + 4090)).toBeUndefined();
    expect(decodePackedLocation(memory, BASE + 4090)).toBeUndefined();
    expect(decodeLocation(memory, 0x99)).toBeUndefined();
    const img = new Image();
    img.u32(0x100, 0x3fffffc).u32(0x104, 0);
    expect(decodeLocation(memoryOf(img.bytes), BASE + 0x100)).toBeUndefined();
    expect(decodePackedLocation(memoryOf(img.bytes), BASE + 0x100)).toBeUndefined();
  });
});
