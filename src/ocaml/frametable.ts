import type { AddressSpace } from '../core/address-space.js';
import { TWO_32, u64At } from '../elf/view.js';

/** What the stack walk needs to know about one return address. */
export interface FrameDescriptor {
  /** Bytes the frame occupies, with the low flag bits masked off; 0xFFFF marks a return to C. */
  frameSize: number;
  /** Address of the debuginfo record (file, line), or 0 when compiled without -g. */
  debugInfo: number;
}

export const RETURN_TO_C = 0xffff;

/**
 * Return address -> descriptor, as open addressing over typed arrays: the
 * walk looks one up per frame, and a Map keyed by 47-bit doubles costs several
 * times more per look-up than this.
 */
export class DescriptorTable {
  private keys = new Float64Array(0);
  private sizes = new Uint16Array(0);
  private infos = new Float64Array(0);
  private mask = 0;
  size = 0;

  /** Room for `expected` descriptors without growing (kept at most half full). */
  constructor(expected = 512) {
    this.allocate(2 ** Math.ceil(Math.log2(Math.max(1024, expected * 2))));
  }

  private allocate(slots: number): void {
    this.keys = new Float64Array(slots);
    this.sizes = new Uint16Array(slots);
    this.infos = new Float64Array(slots);
    this.mask = slots - 1;
    this.size = 0;
  }

  private static hash(pc: number): number {
    const lo = pc >>> 0;
    return Math.imul(lo ^ (lo >>> 16) ^ ((pc / TWO_32) >>> 0), 0x45d9f3b) >>> 0;
  }

  set(pc: number, frameSize: number, debugInfo: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    let i = DescriptorTable.hash(pc) & this.mask;
    while (this.keys[i] !== 0 && this.keys[i] !== pc) i = (i + 1) & this.mask;
    if (this.keys[i] === 0) this.size++;
    this.keys[i] = pc;
    this.sizes[i] = frameSize;
    this.infos[i] = debugInfo;
  }

  /** The frame size recorded for return address `pc` (RETURN_TO_C for a return into C), or -1 if none is. */
  frameSize(pc: number): number {
    const slot = this.find(pc);
    return slot < 0 ? -1 : this.sizes[slot]!;
  }

  private find(pc: number): number {
    if (pc === 0) return -1;
    let i = DescriptorTable.hash(pc) & this.mask;
    for (;;) {
      const k = this.keys[i];
      if (k === pc) return i;
      if (k === 0) return -1;
      i = (i + 1) & this.mask;
    }
  }

  has(pc: number): boolean {
    return this.find(pc) >= 0;
  }

  get(pc: number): FrameDescriptor | undefined {
    const slot = this.find(pc);
    return slot < 0 ? undefined : { frameSize: this.sizes[slot]!, debugInfo: this.infos[slot]! };
  }

  private grow(): void {
    const { keys, sizes, infos } = this;
    this.allocate(keys.length * 2);
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.set(keys[i]!, sizes[i]!, infos[i]!);
  }
}

export interface FrameTables {
  descriptors: DescriptorTable;
  /** Distinct module tables read. */
  modules: number;
}

const MAX_MODULES = 100_000;
const MAX_DESCRIPTORS_PER_MODULE = 10_000_000;
/** Presizing trusts the counts up to this many descriptors (an OCaml program has tens of thousands). */
const PRESIZE_LIMIT = 1 << 20;

/**
 * Reads OCaml 4.x frame tables: `caml_frametable` is a NULL-terminated array of
 * pointers to per-module tables { int64 count; descriptor[count] }, each
 * descriptor { u64 retaddr; u16 frame_size; u16 num_live; u16 live_ofs[num_live];
 * [u8 num_allocs; u8 lengths[num_allocs]] if frame_size & 2;
 * [u32 debuginfo offsets] if frame_size & 1 (aligned to 4) } aligned to 8
 * (OCaml's runtime/backtrace_nat.c and asmcomp/amd64/emit.mlp).
 * Read from the core (PIE tables hold relocated addresses there). Any table
 * that runs out of readable memory is cut where it ends: a corrupt core gives
 * fewer descriptors, never a hang.
 * Each module has a table of its own, so a pointer met twice, or one into a
 * table already read, is skipped: every byte is parsed at most once, however
 * the pointers repeat.
 */
export function readFrameTables(
  memory: AddressSpace,
  frametableAddress: number,
  layout: FrameTableLayout = 'offsets',
): FrameTables {
  const pointers = new Set<number>();
  for (let i = 0; i < MAX_MODULES; i++) {
    const table = memory.u64(frametableAddress + i * 8);
    if (!table) break;
    pointers.add(table);
  }
  const sorted = [...pointers].sort((a, b) => a - b);
  // Sized from the tables' own counts, so that it never grows; a corrupt count only costs growing later.
  const counts = sorted.reduce((sum, table) => sum + Math.min(memory.u64(table) ?? 0, PRESIZE_LIMIT), 0);
  const descriptors = new DescriptorTable(Math.min(counts, PRESIZE_LIMIT));
  let modules = 0;
  let readUpTo = 0;
  for (const table of sorted) {
    if (table < readUpTo) continue;
    const end = readModuleTable(memory, table, descriptors, layout);
    if (end === undefined) continue;
    modules++;
    readUpTo = end;
  }
  return { descriptors, modules };
}

/**
 * `offsets`: OCaml 4.11 and later, as above. `pointers`: up to 4.10
 * (runtime/roots_nat.c, next_frame_descr, in 4.10.0): no allocation lengths,
 * the descriptor aligned to 8 after its live offsets, then, if frame_size & 1,
 * an 8-byte pointer to the debuginfo record.
 */
export type FrameTableLayout = 'offsets' | 'pointers';

/** Reads one module's table into `into`; returns the address where it ends, or undefined if it is not in memory. */
function readModuleTable(
  memory: AddressSpace,
  table: number,
  into: DescriptorTable,
  layout: FrameTableLayout,
): number | undefined {
  const block = memory.block(table);
  if (!block) return undefined;
  const { bytes, start } = block;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;
  let at = table - start;
  if (at + 8 > end) return undefined;
  const count = Math.min(u64At(dv, at), MAX_DESCRIPTORS_PER_MODULE);
  at += 8;
  for (let n = 0; n < count; n++) {
    if (at + 12 > end) break;
    const retaddr = u64At(dv, at);
    const frameSize = dv.getUint16(at + 8, true);
    const numLive = dv.getUint16(at + 10, true);
    let p = at + 12 + numLive * 2;
    if (layout === 'pointers') {
      p = (p + 7) & ~7;
      const debug = frameSize !== RETURN_TO_C && (frameSize & 1) === 1;
      if (debug && p + 8 > end) break;
      const pointer = debug ? u64At(dv, p) : 0;
      if (retaddr !== 0) into.set(retaddr, frameSize === RETURN_TO_C ? RETURN_TO_C : frameSize & 0xfffc, pointer);
      at = debug ? p + 8 : p;
      continue;
    }
    let numAllocs = 0;
    if (frameSize !== RETURN_TO_C && frameSize & 2) {
      if (p >= end) break;
      numAllocs = bytes[p]!;
      p += numAllocs + 1;
    }
    let debugInfo = 0;
    if (frameSize !== RETURN_TO_C && frameSize & 1) {
      p = (p + 3) & ~3;
      if (p + 4 > end) break;
      debugInfo = start + p + dv.getUint32(p, true);
      p += 4 * (frameSize & 2 ? numAllocs : 1);
    }
    if (retaddr !== 0) into.set(retaddr, frameSize === RETURN_TO_C ? RETURN_TO_C : frameSize & 0xfffc, debugInfo);
    at = (p + 7) & ~7;
  }
  return start + Math.min(at, end);
}

export interface SourceLocation {
  file: string;
  /** The enclosing definition's dotted name (OCaml 4.12+ records it), e.g. `Lwt.Resolution_loop.resolve`. */
  definition: string | undefined;
  line: number;
  startChar: number;
  endChar: number;
}

/**
 * Decodes a debuginfo record (OCaml 4.x runtime/backtrace_nat.c): two u32 words;
 * the file name sits (info1 & 0x3FFFFFC) bytes after the record, the line is
 * info2 >> 12, the characters (info2 >> 4) & 0xFF and ((info2 & 0xF) << 6) | (info1 >> 26).
 * From OCaml 4.12 that offset points at { i32 offset to the file name;
 * char definition_name[] } instead of at the file name; four bytes that all
 * print cannot be such an offset, which tells the two apart.
 * With inlining the first record is the innermost location, as a debugger's
 * line table reports it.
 */
export function decodeLocation(memory: AddressSpace, debugInfo: number): SourceLocation | undefined {
  const words = memory.read(debugInfo, 8);
  if (!words) return undefined;
  const dv = new DataView(words.buffer, words.byteOffset, 8);
  const info1 = dv.getUint32(0, true);
  const info2 = dv.getUint32(4, true);
  const names = debugInfo + (info1 & 0x3fffffc);
  const head = memory.read(names, 4);
  if (!head) return undefined;
  let file: string | undefined;
  let definition: string | undefined;
  if (head.every((b) => b >= 0x20 && b < 0x7f)) {
    file = memory.cstring(names);
  } else {
    file = memory.cstring(names + new DataView(head.buffer, head.byteOffset, 4).getInt32(0, true));
    definition = memory.cstring(names + 4);
  }
  if (file === undefined) return undefined;
  return {
    file,
    definition,
    line: info2 >>> 12,
    startChar: (info2 >>> 4) & 0xff,
    endChar: ((info2 & 0xf) << 6) | (info1 >>> 26),
  };
}
