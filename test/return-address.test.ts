/**
 * Whether a stack word is a return address (src/ocaml/return-address.ts): it
 * points into the executable's code, just past a call instruction, inside a
 * known function.
 */
import { describe, expect, it } from 'vitest';
import { AddressSpace } from '../src/core/address-space.js';
import { BufferReader } from '../src/elf/byte-reader.js';
import type { SymbolTable } from '../src/elf/symbols.js';
import { followsCall, ReturnAddressOracle } from '../src/ocaml/return-address.js';

const BIAS = 0x5555_0000_0000;
const TEXT = 0x1000;

/**
 * Code at TEXT (+ BIAS): a call rel32 ending at +0x20, a `jmp *%rax` ending at +0x40, a call *%rax ending at +0x60;
 * calls rel32 ending at +0x80 (the end of the first code range), +0xa0 (between the ranges), +0xc0 (the start of
 * the second) and +0x100 (its end).
 */
function code(): Uint8Array {
  const bytes = new Uint8Array(0x100).fill(0x90);
  bytes.set([0xe8, 1, 2, 3, 4], 0x20 - 5);
  bytes.set([0xff, 0xe0], 0x40 - 2);
  bytes.set([0xff, 0xd0], 0x60 - 2);
  for (const end of [0x80, 0xa0, 0xc0, 0x100]) bytes.set([0xe8, 1, 2, 3, 4], end - 5);
  return bytes;
}

function oracle(functions: [number, number][] = [[TEXT, TEXT + 0x100]]) {
  const reader = new BufferReader(code());
  const memory = new AddressSpace([
    { start: BIAS + TEXT, end: BIAS + TEXT + 0x100, reader, offset: 0, origin: 'executable', writable: false },
  ]);
  let lookups = 0;
  const symbols = {
    lookup: (address: number) => {
      lookups++;
      const f = functions.find(([start, end]) => address >= start && address < end);
      return f && { name: 'f', address: f[0], offset: address - f[0] };
    },
  } as unknown as SymbolTable;
  const ranges = [
    { start: BIAS + TEXT, end: BIAS + TEXT + 0x80 },
    { start: BIAS + TEXT + 0xc0, end: BIAS + TEXT + 0x100 },
  ];
  return { test: new ReturnAddressOracle(memory, symbols, ranges, BIAS), lookups: () => lookups };
}

describe('a return address', () => {
  it('follows a call, inside a function of the executable', () => {
    const { test } = oracle();
    expect(test.low).toBe(BIAS + TEXT);
    expect(test.high).toBe(BIAS + TEXT + 0x100);
    expect(test.isReturnAddress(BIAS + TEXT + 0x20)).toBe(true);
    expect(test.isReturnAddress(BIAS + TEXT + 0x60)).toBe(true);
  });

  it('not after a jump or plain code, nor outside the code, nor between its ranges', () => {
    const { test } = oracle();
    expect(test.isReturnAddress(BIAS + TEXT + 0x40)).toBe(false);
    expect(test.isReturnAddress(BIAS + TEXT + 0x30)).toBe(false);
    expect(test.isReturnAddress(BIAS + TEXT)).toBe(false);
    expect(test.isReturnAddress(BIAS + TEXT + 0x101)).toBe(false);
    expect(test.isReturnAddress(BIAS + TEXT + 0x90)).toBe(false);
    expect(test.isReturnAddress(0x20)).toBe(false);
    expect(test.isReturnAddress(-1)).toBe(false);
  });

  it('not where no function covers it: the call is looked up one byte back, before the load bias', () => {
    expect(oracle([[TEXT + 0x80, TEXT + 0x100]]).test.isReturnAddress(BIAS + TEXT + 0x20)).toBe(false);
    // The return address ends the function: the call is its last instruction.
    expect(oracle([[TEXT, TEXT + 0x20]]).test.isReturnAddress(BIAS + TEXT + 0x20)).toBe(true);
    expect(oracle([[TEXT + 0x20, TEXT + 0x40]]).test.isReturnAddress(BIAS + TEXT + 0x20)).toBe(false);
  });

  it('lies in (start, end] of a code range: the call before it is in the range', () => {
    const { test } = oracle();
    expect(test.isReturnAddress(BIAS + TEXT + 0x80)).toBe(true);
    expect(test.isReturnAddress(BIAS + TEXT + 0x100)).toBe(true);
    expect(test.isReturnAddress(BIAS + TEXT + 0xa0)).toBe(false);
    expect(test.isReturnAddress(BIAS + TEXT + 0xc0)).toBe(false);
  });

  it('remembers a no as a no', () => {
    const { test } = oracle();
    for (let i = 0; i < 3; i++) expect(test.isReturnAddress(BIAS + TEXT + 0xa0)).toBe(false);
    for (let i = 0; i < 3; i++) expect(test.isReturnAddress(BIAS + TEXT + 0x40)).toBe(false);
  });

  it('is decided once per address, then remembered', () => {
    const { test, lookups } = oracle();
    for (let i = 0; i < 5; i++) expect(test.isReturnAddress(BIAS + TEXT + 0x20)).toBe(true);
    for (let i = 0; i < 5; i++) expect(test.isReturnAddress(BIAS + TEXT + 0x60)).toBe(true);
    expect(lookups()).toBe(2);
  });
});

describe('a call before the return address', () => {
  it.each([
    ['call rel32 alone', [0xe8, 0, 0, 0, 0], true],
    ['call *%rax alone', [0xff, 0xd0], true],
    ['call *(%rbx) alone', [0xff, 0x13], true],
    ['call *(%rsp,%rax) with its SIB', [0xff, 0x14, 0x04], true],
    ['call *8(%rsp,%rax) with its SIB', [0xff, 0x54, 0x04, 0x08], true],
    ['call *0x100(%rsp,%rax) with its SIB', [0x90, 0xff, 0x94, 0x04, 0, 1, 0, 0], true],
    ['a byte', [0xd0], false],
    ['call *(%rip) cut short', [0xff, 0x15, 0, 0, 0], false],
    ['push *(%rax)', [0xff, 0x30], false],
    ['jmp *8(%rax)', [0xff, 0x60, 0x08], false],
    ['call *(%rsp) without its SIB', [0x90, 0x90, 0xff, 0x14], false],
    ['an 0xe8 one byte too early', [0xe8, 0, 0, 0, 0, 0], false],
    ['nothing', [], false],
    // Each form at exactly its length, and each form's bytes without its 0xff or with a ModRM it does not take.
    ['call *8(%rax), exactly its 3 bytes', [0xff, 0x50, 0x08], true],
    ['call *0x100(%rbx), exactly its 6 bytes', [0xff, 0x93, 0, 1, 0, 0], true],
    ['call *0x10(%rip), exactly its 6 bytes', [0xff, 0x15, 0x10, 0, 0, 0], true],
    ['call *0x100(%rsp,%rax), exactly its 7 bytes', [0xff, 0x94, 0x04, 0, 1, 0, 0], true],
    ['a call ModRM for a register after a nop', [0x90, 0xd0], false],
    ['a call ModRM for [reg] after a nop', [0x90, 0x13], false],
    ['0xff with [rip] and no displacement after it', [0xff, 0x15], false],
    ['a call ModRM for [reg+SIB] after a nop', [0x90, 0x14, 0x04], false],
    ['0xff, [reg] and a byte: no SIB form', [0xff, 0x13, 0x04], false],
    ['a call ModRM for [reg+disp8] after a nop', [0x90, 0x50, 0x08], false],
    ['0xff, [reg+disp8] naming the SIB, without one', [0xff, 0x54, 0x08], false],
    ['a call ModRM for [reg+SIB+disp8] after a nop', [0x90, 0x54, 0x04, 0x08], false],
    ['0xff, [reg+disp8] and two bytes: no SIB form', [0xff, 0x53, 0x04, 0x08], false],
    ['a call ModRM for [reg+disp32] after a nop', [0x90, 0x93, 0, 1, 0, 0], false],
    ['0xff, [reg+disp32] naming the SIB, without one', [0xff, 0x94, 0, 1, 0, 0], false],
    ['0xff, [reg] and four bytes: no disp32 form', [0xff, 0x13, 0, 1, 0, 0], false],
    ['a call ModRM for [reg+SIB+disp32] after a nop', [0x90, 0x94, 0x04, 0, 1, 0, 0], false],
    ['0xff, [reg+disp32] and five bytes: no SIB form', [0xff, 0x93, 0x04, 0, 1, 0, 0], false],
  ])('%s: %s', (_what, bytes, expected) => {
    expect(followsCall(Uint8Array.from(bytes))).toBe(expected);
  });
});
