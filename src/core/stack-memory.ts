import type { MemoryRegion } from './address-space.js';

/** Stacks up to this size are read in one go; larger ones through a sliding window of this size. */
const WINDOW = 16 * 1024 * 1024;

/**
 * Word reads from the stack region through one sliding window. A walk reads
 * hundreds of thousands of words, mostly moving upward, so this keeps a plain
 * DataView over a few MiB instead of going through a general cache per read,
 * and memory stays bounded whatever the stack's size.
 */
export class StackMemory {
  private window: DataView = new DataView(new ArrayBuffer(0));
  private windowStart = 0;

  constructor(
    private readonly region: MemoryRegion,
    /** Lowest address of interest (the stack pointer, or the region start). */
    readonly low: number,
  ) {}

  /** One past the highest stack address: the bottom of the stack. */
  get high(): number {
    return this.region.end;
  }

  /** The 8-byte word at `address`, or undefined outside [low, high). */
  u64(address: number): number | undefined {
    if (address < this.low || address + 8 > this.region.end) return undefined;
    let at = address - this.windowStart;
    if (at < 0 || at + 8 > this.window.byteLength) {
      this.load(address);
      at = address - this.windowStart;
    }
    return this.window.getUint32(at, true) + this.window.getUint32(at + 4, true) * 0x1_0000_0000;
  }

  private load(address: number): void {
    // Start at the lowest address of interest, or a little below `address` once the window slides.
    const start = Math.max(this.region.start, Math.min(this.low, address), address - 64 * 1024);
    const length = Math.min(WINDOW, this.region.end - start);
    const bytes = this.region.reader.read(this.region.offset + (start - this.region.start), length);
    this.window = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.windowStart = start;
  }
}
