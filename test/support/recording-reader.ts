import type { ByteReader } from '../../src/elf/byte-reader.js';

/** A ByteReader that counts what the analyzer asks for: how many reads, and the largest. */
export class RecordingReader implements ByteReader {
  reads = 0;
  largest = 0;
  /** [offset, length] of every read, when `keep` is set. */
  readonly log: [number, number][] = [];

  constructor(
    private readonly inner: ByteReader,
    private readonly keep = false,
  ) {}

  get size(): number {
    return this.inner.size;
  }

  get name(): string {
    return this.inner.name;
  }

  read(offset: number, length: number): Uint8Array {
    this.reads++;
    this.largest = Math.max(this.largest, length);
    if (this.keep) this.log.push([offset, length]);
    return this.inner.read(offset, length);
  }

  readInto(offset: number, target: Uint8Array): number {
    this.reads++;
    this.largest = Math.max(this.largest, target.length);
    if (this.keep) this.log.push([offset, target.length]);
    return this.inner.readInto(offset, target);
  }
}
