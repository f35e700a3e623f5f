/**
 * Random access to bytes by position. The analyzer reads cores that reach
 * hundreds of MB, so it never asks for a whole file: parsers take this
 * interface, and only the edges (src/io) decide where the bytes come from.
 */
export interface ByteReader {
  /** Total size in bytes. */
  readonly size: number;
  /** A human name for messages (a path). */
  readonly name: string;
  /** Up to `length` bytes from `offset`; shorter only where the data ends. */
  read(offset: number, length: number): Uint8Array;
  /**
   * Fills `target` with the bytes from `offset`; returns how many it got
   * (fewer only where the data ends). Lets a reader of many windows reuse one
   * buffer instead of faulting in fresh memory for each.
   */
  readInto(offset: number, target: Uint8Array): number;
}

export class BufferReader implements ByteReader {
  constructor(
    private readonly bytes: Uint8Array,
    readonly name = '<buffer>',
  ) {}

  get size(): number {
    return this.bytes.length;
  }

  read(offset: number, length: number): Uint8Array {
    if (offset >= this.bytes.length || length <= 0) return new Uint8Array(0);
    return this.bytes.subarray(offset, Math.min(this.bytes.length, offset + length));
  }

  readInto(offset: number, target: Uint8Array): number {
    const bytes = this.read(offset, target.length);
    target.set(bytes);
    return bytes.length;
  }
}
