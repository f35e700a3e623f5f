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

export interface CodeRange {
  start: number;
  end: number;
}

/**
 * Decides, with a cache, whether a stack word is a return address into a
 * known function of the executable: the scan mode's test.
 */
export class ReturnAddressOracle {
  private readonly known = new Map<number, boolean>();

  constructor(
    private readonly memory: AddressSpace,
    private readonly symbols: SymbolTable,
    /** Run-time ranges of executable code. */
    private readonly code: CodeRange[],
    private readonly bias: number,
  ) {}

  isReturnAddress(value: number): boolean {
    if (!this.code.some((r) => value > r.start && value <= r.end)) return false;
    let answer = this.known.get(value);
    if (answer === undefined) {
      const bytes = this.memory.read(value - 7, 7);
      answer = bytes !== undefined && followsCall(bytes) && this.symbols.lookup(value - 1 - this.bias) !== undefined;
      this.known.set(value, answer);
    }
    return answer;
  }
}
