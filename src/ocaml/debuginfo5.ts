import type { AddressSpace } from '../core/address-space.js';
import type { SourceLocation } from './frametable.js';

/**
 * Decodes a debuginfo record in the packed layout of OCaml 5.2 and later
 * (runtime/backtrace_nat.c, caml_debuginfo_location, read in 5.3.0): two u32 words, info1 then info2. Bits 2-25
 * of info1 are the offset, in bytes from the record, of a name struct whose first
 * i32 is the offset from the struct to the file name. If info2's top bit is set
 * (partially packed), the struct is { i32; u16 start_chr; u16 end_chr; i32; char
 * name[] } and the line is (info2 >> 12) & 0x7FFFF; otherwise (fully packed) it is
 * { i32; char name[] }, the line is info2 >> 19 and the characters are
 * (info2 >> 10) & 0x3F and (info2 >> 3) & 0x7F. The older layout reads the line
 * as info2 >> 12, which on a packed record gives about 128 times the real line.
 */
export function decodePackedLocation(memory: AddressSpace, debugInfo: number): SourceLocation | undefined {
  const words = memory.read(debugInfo, 8);
  if (!words) return undefined;
  const dv = new DataView(words.buffer, words.byteOffset, 8);
  const info1 = dv.getUint32(0, true);
  const info2 = dv.getUint32(4, true);
  const struct = debugInfo + (info1 & 0x3fffffc);
  const partial = (info2 & 0x80000000) !== 0;
  const head = memory.read(struct, partial ? 12 : 4);
  if (!head) return undefined;
  const hv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const file = memory.cstring(struct + hv.getInt32(0, true));
  if (file === undefined) return undefined;
  const definition = memory.cstring(struct + (partial ? 12 : 4));
  return partial
    ? {
        file,
        definition,
        line: (info2 >>> 12) & 0x7ffff,
        startChar: hv.getUint16(4, true),
        endChar: hv.getUint16(6, true),
      }
    : {
        file,
        definition,
        line: info2 >>> 19,
        startChar: (info2 >>> 10) & 0x3f,
        endChar: (info2 >>> 3) & 0x7f,
      };
}
