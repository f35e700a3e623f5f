import { CorruptInputError } from '../errors.js';
import type { ByteReader } from './byte-reader.js';

/**
 * The most read whole for one table (symbols, their names, section headers):
 * an OCaml program's tables are a few MiB, and 256 MiB is ten million symbols.
 */
export const MAX_BLOCK = 256 * 1024 * 1024;

/** 2^32, the weight of the high half of a 64-bit word. */
export const TWO_32 = 0x1_0000_0000;

/**
 * A little-endian 64-bit word as a number, from its two 32-bit halves: the
 * one place a u64 is read without bounds checks, for the loops that read
 * millions (symbols, frame tables, the stack). Exact below 2^53, which x86-64
 * user-space addresses (below 2^47) and file offsets are; see View.u64.
 */
export function u64At(dv: DataView, at: number): number {
  return dv.getUint32(at, true) + dv.getUint32(at + 4, true) * TWO_32;
}

/**
 * Little-endian field access over a block read in one go, with every access
 * bounds-checked so that a corrupt length becomes an error, never a crash or
 * a silent zero.
 */
export class View {
  private readonly dv: DataView;

  constructor(
    readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * Reads a block whole, after checking that it lies inside the file and is at
   * most `limit` bytes: a corrupt length costs an error, never a huge allocation.
   */
  static read(reader: ByteReader, offset: number, length: number, what: string, limit = MAX_BLOCK): View {
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > reader.size
    ) {
      throw new CorruptInputError(
        reader.name,
        `${what} at offset ${offset} (+${length} bytes) lies outside the file of ${reader.size} bytes`,
      );
    }
    if (length > limit)
      throw new CorruptInputError(
        reader.name,
        `${what} claims ${length} bytes, more than a real one holds (limit ${limit})`,
      );
    const bytes = reader.read(offset, length);
    if (bytes.length !== length) {
      throw new CorruptInputError(reader.name, `${what}: read ${bytes.length} of ${length} bytes at offset ${offset}`);
    }
    return new View(bytes, `${reader.name}: ${what}`);
  }

  get length(): number {
    return this.bytes.length;
  }

  private check(offset: number, size: number): void {
    if (offset < 0 || offset + size > this.bytes.length) {
      throw new CorruptInputError(
        this.what,
        `field at +${offset} (${size} bytes) past the end of ${this.bytes.length} bytes`,
      );
    }
  }

  u8(offset: number): number {
    this.check(offset, 1);
    return this.dv.getUint8(offset);
  }

  u16(offset: number): number {
    this.check(offset, 2);
    return this.dv.getUint16(offset, true);
  }

  u32(offset: number): number {
    this.check(offset, 4);
    return this.dv.getUint32(offset, true);
  }

  i32(offset: number): number {
    this.check(offset, 4);
    return this.dv.getInt32(offset, true);
  }

  /**
   * 64-bit values as numbers: addresses and offsets of real x86-64 user space
   * stay below 2^47, so a double holds them exactly; larger values only come
   * from corrupt data and are caught by the range checks of whoever uses them.
   */
  u64(offset: number): number {
    this.check(offset, 8);
    return u64At(this.dv, offset);
  }

  sub(offset: number, length: number): View {
    this.check(offset, length);
    return new View(this.bytes.subarray(offset, offset + length), this.what);
  }

  /** A NUL-terminated string starting at `offset` (to the end if unterminated). */
  cstring(offset: number): string {
    if (offset < 0 || offset >= this.bytes.length) return '';
    let end = offset;
    while (end < this.bytes.length && this.bytes[end] !== 0) end++;
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + offset, end - offset).toString('latin1');
  }
}
