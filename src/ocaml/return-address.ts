import type { AddressSpace } from '../core/address-space.js';
import type { SymbolTable } from '../elf/symbols.js';

/**
 * Whether the bytes just before `address` form a call instruction: what makes
 * a stack word a plausible return address rather than a data pointer into
 * code. Covers the encodings compilers emit on x86-64:
 * E8 rel32; FF /2 with register, [reg], [reg+disp8], [reg+disp32], [rip+disp32],
 * and their SIB forms (REX prefixes sit before and do not change the tail).
 */
export function followsCall(code: Uint8Array): boolean {
  // `code` holds the 7 bytes before the return address.
  const at = (back: number) => code[code.length - back]!;
  if (code.length >= 5 && at(5) === 0xe8) return true;
  const isCallModrm = (modrm: number, mod: number) => modrm >> 6 === mod && ((modrm >> 3) & 7) === 2;
  if (code.length >= 2 && at(2) === 0xff && isCallModrm(at(1), 3)) return true;
  if (code.length >= 2 && at(2) === 0xff && isCallModrm(at(1), 0) && (at(1) & 7) !== 4 && (at(1) & 7) !== 5)
    return true;
  if (code.length >= 3 && at(3) === 0xff && isCallModrm(at(2), 0) && (at(2) & 7) === 4) return true;
  if (code.length >= 3 && at(3) === 0xff && isCallModrm(at(2), 1) && (at(2) & 7) !== 4) return true;
  if (code.length >= 4 && at(4) === 0xff && isCallModrm(at(3), 1) && (at(3) & 7) === 4) return true;
  if (
    code.length >= 6 &&
    at(6) === 0xff &&
    (isCallModrm(at(5), 2) || (isCallModrm(at(5), 0) && (at(5) & 7) === 5)) &&
    (at(5) & 7) !== 4
  )
    return true;
  if (code.length >= 7 && at(7) === 0xff && isCallModrm(at(6), 2) && (at(6) & 7) === 4) return true;
  return false;
}

const CACHE_SIZE = 4096;

export interface CodeRange {
  start: number;
  end: number;
}

/** The walk's test for a plausible return address, with bounds that let it skip most stack words at once. */
export interface ReturnAddressTest {
  /** Every return address lies in (low, high]: the executable's code. */
  readonly low: number;
  readonly high: number;
  isReturnAddress(value: number): boolean;
}

/**
 * Decides, with a cache, whether a stack word is a return address into a
 * known function of the executable: the scan mode's test.
 */
export class ReturnAddressOracle implements ReturnAddressTest {
  readonly low: number;
  readonly high: number;
  /**
   * Answers by address, direct-mapped: a stack holds a few thousand distinct
   * return addresses, met millions of times.
   */
  private readonly cachedValues = new Float64Array(CACHE_SIZE);
  private readonly cachedAnswers = new Uint8Array(CACHE_SIZE);

  constructor(
    private readonly memory: AddressSpace,
    private readonly symbols: SymbolTable,
    /** Run-time ranges of executable code. */
    private readonly code: CodeRange[],
    private readonly bias: number,
  ) {
    this.low = Math.min(...code.map((r) => r.start));
    this.high = Math.max(...code.map((r) => r.end));
  }

  isReturnAddress(value: number): boolean {
    if (value <= this.low || value > this.high) return false;
    const slot = ((value >>> 0) ^ (value >>> 13)) & (CACHE_SIZE - 1);
    if (this.cachedValues[slot] === value) return this.cachedAnswers[slot] === 1;
    const answer = this.decide(value);
    this.cachedValues[slot] = value;
    this.cachedAnswers[slot] = answer ? 1 : 0;
    return answer;
  }

  private decide(value: number): boolean {
    if (!this.code.some((r) => value > r.start && value <= r.end)) return false;
    const bytes = this.memory.read(value - 7, 7);
    return bytes !== undefined && followsCall(bytes) && this.symbols.lookup(value - 1 - this.bias) !== undefined;
  }
}
