import { TWO_32, u64At } from '../elf/view.js';
import type { MemoryRegion } from './address-space.js';

/** The window over the stack: one buffer, read into again as the walk moves up. */
const WINDOW = 1024 * 1024;

/**
 * Word reads from the stack region through one sliding window. A walk reads
 * hundreds of thousands of words, mostly moving upward, so this keeps a plain
 * DataView over one buffer, refilled in place as it slides (fresh memory for
 * each window would cost a page fault per 4 KiB), and memory stays bounded
 * whatever the stack's size.
 */
export class StackMemory {
  private readonly buffer: Uint8Array;
  private readonly window: DataView;
  /** The window as 32-bit halves of words, for scanning. */
  private readonly halves: Uint32Array;
  private windowStart = 0;
  /** Bytes of the buffer that hold the stack from windowStart. */
  private windowLength = 0;
  /** One past the highest stack address: the bottom of the stack. */
  readonly high: number;

  constructor(
    private readonly region: MemoryRegion,
    /** Lowest address of interest (the stack pointer, or the region start). */
    readonly low: number,
  ) {
    this.high = region.end;
    // Whole words: the scan reads the buffer as 32-bit halves, and a corrupt core's region may end mid-word.
    this.buffer = new Uint8Array(Math.ceil(Math.min(WINDOW, region.end - region.start) / 8) * 8);
    this.window = new DataView(this.buffer.buffer);
    this.halves = new Uint32Array(this.buffer.buffer);
  }

  /**
   * The 8-byte word at `address`, or -1 outside [low, high): always a number,
   * so that the walk's optimized code never boxes the result.
   */
  u64(address: number): number {
    if (address < this.low || address + 8 > this.high) return -1;
    let at = address - this.windowStart;
    if (at < 0 || at + 8 > this.windowLength) {
      if (!this.load(address)) return -1;
      at = address - this.windowStart;
    }
    return u64At(this.window, at);
  }

  /**
   * Visits the 8-byte-aligned words in [from, to) whose value lies in
   * (min, max], in address order, until `visit` returns false; returns the
   * address of the word it stopped at, or `to`. Scanning a stack for return
   * addresses meets every word, and most are data: comparing the high halves
   * as integers skips them without building a number for each.
   */
  scanWords(
    from: number,
    to: number,
    min: number,
    max: number,
    visit: (value: number, address: number) => boolean,
  ): number {
    const minHigh = Math.floor(min / TWO_32);
    const maxHigh = Math.floor(max / TWO_32);
    const end = Math.min(to, this.region.end);
    let address = Math.max(from, this.low);
    address += (8 - (address % 8)) % 8;
    while (address + 8 <= end) {
      if (address < this.windowStart || address + 8 > this.windowStart + this.windowLength)
        if (!this.load(address)) return to;
      const { halves, windowStart } = this;
      const last = Math.floor((Math.min(end, windowStart + this.windowLength) - windowStart) / 4) - 1;
      let i = (address - windowStart) / 4;
      for (; i < last; i += 2) {
        const high = halves[i + 1]!;
        if (high < minHigh || high > maxHigh) continue;
        const value = halves[i]! + high * TWO_32;
        if (value > min && value <= max && !visit(value, windowStart + i * 4)) return windowStart + i * 4;
      }
      address = windowStart + i * 4;
    }
    return to;
  }

  /** Moves the window over `address`; false if the reader cannot give the word there. */
  private load(address: number): boolean {
    // Start at the lowest address of interest, or a little below `address` once the window slides; on a word boundary.
    let start = Math.max(this.region.start, Math.min(this.low, address), address - 64 * 1024);
    start -= start % 8;
    const length = Math.min(this.buffer.length, this.region.end - start);
    this.windowStart = start;
    this.windowLength = this.region.reader.readInto(
      this.region.offset + (start - this.region.start),
      this.buffer.subarray(0, length),
    );
    return address + 8 <= start + this.windowLength;
  }
}
