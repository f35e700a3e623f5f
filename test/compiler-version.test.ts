/**
 * What an executable tells of the OCaml that built it (src/ocaml/compiler-version.ts)
 * and of a core taken at OCaml 5's Stack_overflow raise (src/analyze/overflow-raise.ts):
 * `Sys.ocaml_version` in Stdlib.Sys's data block, under the label each
 * compiler gives it, and the layouts that follow from the version.
 */
import { describe, expect, it } from 'vitest';
import { stackOverflowRaise } from '../src/analyze/overflow-raise.js';
import { AddressSpace } from '../src/core/address-space.js';
import type { Registers } from '../src/core/registers.js';
import { BufferReader } from '../src/elf/byte-reader.js';
import type { SymbolTable } from '../src/elf/symbols.js';
import { identifyRuntime } from '../src/ocaml/compiler-version.js';

const BIAS = 0x5555_0000_0000;
const DATA = 0x8000;

/** Symbols by name, for the look-ups the code makes (data and function addresses, the function at a pc). */
function symbolsOf(data: Record<string, number>, functions: Record<string, number> = {}): SymbolTable {
  return {
    dataAddress: (name: string) => data[name],
    functionAddress: (name: string) => functions[name],
    lookup: (address: number) => {
      const hit = Object.entries(functions).find(([, at]) => address >= at && address < at + 16);
      return hit && { name: hit[0], address: hit[1], offset: address - hit[1] };
    },
  } as unknown as SymbolTable;
}

/** Stdlib.Sys's data block at DATA (+ BIAS at run time), holding `text`. */
function program(label: string | undefined, text: string, extra: Record<string, number> = {}) {
  const bytes = Buffer.alloc(0x11000);
  bytes.write(text, 0x10, 'latin1');
  const memory = new AddressSpace([
    {
      start: BIAS + DATA,
      end: BIAS + DATA + bytes.length,
      reader: new BufferReader(bytes),
      offset: 0,
      origin: 'core',
      writable: true,
    },
  ]);
  const data = label ? { [`${label}begin`]: DATA + 0x10, [`${label}end`]: DATA + 0x10 + text.length, ...extra } : extra;
  return { symbols: symbolsOf(data), memory };
}

const runtime = (label: string | undefined, text: string) => {
  const { symbols, memory } = program(label, text);
  return identifyRuntime(symbols, memory, BIAS);
};

describe('the compiler an executable was built with', () => {
  it.each([
    ['camlStdlib__sys__data_', '4.10.0', { fibers: false, packedDebugInfo: false, frameTables: 'pointers' }],
    ['camlStdlib__sys__data_', '4.11.1', { fibers: false, packedDebugInfo: false, frameTables: 'offsets' }],
    ['camlStdlib__sys__data_', '4.13.1', { fibers: false, packedDebugInfo: false, frameTables: 'offsets' }],
    ['camlStdlib__Sys__data_', '4.14.1+flambda', { fibers: false, packedDebugInfo: false, frameTables: 'offsets' }],
    ['camlStdlib__Sys__data_', '5.0.0', { fibers: true, packedDebugInfo: false, frameTables: 'offsets' }],
    ['camlStdlib__Sys.data_', '5.1.1', { fibers: true, packedDebugInfo: false, frameTables: 'offsets' }],
    ['camlStdlib__Sys.data_', '5.2.0', { fibers: true, packedDebugInfo: true, frameTables: 'offsets' }],
    ['camlStdlib__Sys.data_', '5.4.0~alpha1', { fibers: true, packedDebugInfo: true, frameTables: 'offsets' }],
    ['camlStdlib__Sys.data_', '6.0.0', { fibers: true, packedDebugInfo: true, frameTables: 'offsets' }],
  ] as const)('under %s, %s', (label, version, layout) => {
    // The version string sits among the block's other constants, NUL-terminated.
    expect(runtime(label, `\x08\x00\x00\x00Unix\0${version}\0Win32\0`)).toEqual({ version, ...layout });
  });

  it('the version may open the block, and only a whole version string counts', () => {
    expect(runtime('camlStdlib__Sys__data_', '4.14.1\0x\0').version).toBe('4.14.1');
    expect(runtime('camlStdlib__Sys__data_', 'a4.14.1\0').version).toBeUndefined();
    expect(runtime('camlStdlib__Sys__data_', '\x004.14\0').version).toBeUndefined();
    expect(runtime('camlStdlib__Sys__data_', '\x004.14.1 beta\0').version).toBeUndefined();
  });

  it('without Stdlib.Sys: no version, 4.x layouts, and fibers only where caml_runstack (OCaml 5) exists', () => {
    const unknown = { version: undefined, packedDebugInfo: false, frameTables: 'offsets' };
    expect(runtime(undefined, '')).toEqual({ ...unknown, fibers: false });
    const { memory } = program(undefined, '');
    expect(identifyRuntime(symbolsOf({}, { caml_runstack: 0x1000 }), memory, BIAS)).toEqual({
      ...unknown,
      fibers: true,
    });
  });

  it('a block that ends before it begins, is over 64 KiB or is not in memory is not read; 64 KiB is', () => {
    const backwards = symbolsOf({ camlStdlib__Sys__data_begin: DATA + 0x20, camlStdlib__Sys__data_end: DATA + 0x10 });
    expect(identifyRuntime(backwards, program(undefined, '\x004.14.1\0').memory, BIAS).version).toBeUndefined();
    const empty = symbolsOf({ camlStdlib__Sys__data_begin: DATA + 0x10, camlStdlib__Sys__data_end: DATA + 0x10 });
    expect(identifyRuntime(empty, program(undefined, '\x004.14.1\0').memory, BIAS).version).toBeUndefined();
    const huge = symbolsOf({ camlStdlib__Sys__data_begin: DATA, camlStdlib__Sys__data_end: DATA + 64 * 1024 + 1 });
    expect(identifyRuntime(huge, program(undefined, '\x004.14.1\0').memory, BIAS).version).toBeUndefined();
    const exactly64 = symbolsOf({ camlStdlib__Sys__data_begin: DATA, camlStdlib__Sys__data_end: DATA + 64 * 1024 });
    expect(identifyRuntime(exactly64, program(undefined, '\x004.14.1\0').memory, BIAS).version).toBe('4.14.1');
    // Not in memory under the first label: the next one is tried.
    const { memory } = program(undefined, '\x005.3.0\0');
    const both = symbolsOf({
      'camlStdlib__Sys.data_begin': 0x100,
      'camlStdlib__Sys.data_end': 0x110,
      camlStdlib__Sys__data_begin: DATA + 0x10,
      camlStdlib__Sys__data_end: DATA + 0x20,
    });
    expect(identifyRuntime(both, memory, BIAS).version).toBe('5.3.0');
    // An empty block under the first label: the next one is tried too.
    const emptyFirst = symbolsOf({
      'camlStdlib__Sys.data_begin': DATA + 0x10,
      'camlStdlib__Sys.data_end': DATA + 0x10,
      camlStdlib__Sys__data_begin: DATA + 0x10,
      camlStdlib__Sys__data_end: DATA + 0x20,
    });
    expect(identifyRuntime(emptyFirst, memory, BIAS).version).toBe('5.3.0');
    // Only one label of a pair is no block.
    const half = symbolsOf({ camlStdlib__Sys__data_begin: DATA + 0x10 });
    expect(identifyRuntime(half, memory, BIAS).version).toBeUndefined();
  });
});

describe('a core taken where OCaml 5 raises Stack_overflow', () => {
  const registers = (rip: number, rax: number) => ({ rip: BIAS + rip, rax }) as Registers;
  const symbols = symbolsOf(
    { caml_exn_Stack_overflow: 0x9000 },
    { caml_raise_exn: 0x1000, caml_raise_stack_overflow: 0x2000, caml_call_gc: 0x3000 },
  );

  it('stopped in caml_raise_exn with %rax holding &caml_exn_Stack_overflow', () => {
    expect(stackOverflowRaise(symbols, BIAS, registers(0x1000, BIAS + 0x9000))).toBe('caml_raise_exn');
    expect(stackOverflowRaise(symbols, BIAS, registers(0x1004, BIAS + 0x9000))).toBe('caml_raise_exn');
  });

  it('not another exception raised there, nor the address unrelocated', () => {
    expect(stackOverflowRaise(symbols, BIAS, registers(0x1000, BIAS + 0x9008))).toBeUndefined();
    expect(stackOverflowRaise(symbols, BIAS, registers(0x1000, 0x9000))).toBeUndefined();
    expect(
      stackOverflowRaise(symbolsOf({}, { caml_raise_exn: 0x1000 }), BIAS, registers(0x1000, BIAS + 0x9000)),
    ).toBeUndefined();
  });

  it("stopped in the runtime's caml_raise_stack_overflow, whatever the registers; elsewhere, no raise", () => {
    expect(stackOverflowRaise(symbols, BIAS, registers(0x2008, 0))).toBe('caml_raise_stack_overflow');
    expect(stackOverflowRaise(symbols, BIAS, registers(0x3000, BIAS + 0x9000))).toBeUndefined();
    expect(stackOverflowRaise(symbols, BIAS, registers(0x7000, BIAS + 0x9000))).toBeUndefined();
  });
});
