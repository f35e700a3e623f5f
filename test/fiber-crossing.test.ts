/**
 * Crossing from an OCaml 5 fiber to the C stack (src/ocaml/fiber-crossing.ts),
 * on stacks laid out as runtime/amd64.S's caml_start_program leaves them: the
 * 32-byte entry header on the fiber (its third word the C stack pointer), and
 * on the C stack the c_stack_link { stack; sp; prev }, six saved registers,
 * then the return address into C.
 */
import { describe, expect, it } from 'vitest';
import { StackMemory } from '../src/core/stack-memory.js';
import { BufferReader } from '../src/elf/byte-reader.js';
import { crossToC } from '../src/ocaml/fiber-crossing.js';

const FIBER = 0x7f00_0000_0000;
const C = 0x7ffe_0000_0000;
const SIZE = 0x1000;
const CODE = 0x5555_0000_0000;

/** A dumped stack at `start` holding `words` (by offset), read from `low` up. */
function stackAt(start: number, words: Record<number, number>, low = start): StackMemory {
  const bytes = new Uint8Array(SIZE);
  const dv = new DataView(bytes.buffer);
  for (const [offset, v] of Object.entries(words)) {
    dv.setUint32(Number(offset), v % 0x1_0000_0000, true);
    dv.setUint32(Number(offset) + 4, Math.floor(v / 0x1_0000_0000), true);
  }
  const region = {
    start,
    end: start + SIZE,
    reader: new BufferReader(bytes),
    offset: 0,
    origin: 'core',
    writable: true,
  };
  return new StackMemory(region as ConstructorParameters<typeof StackMemory>[0], low);
}

const isCode = (v: number) => v > CODE && v < CODE + 0x10000;
const SP = FIBER + 0x200;
const LINK = C + 0x400;

/** A fiber whose entry header at SP names LINK, and a C stack with that link, `prev`, and C frames above it. */
function entry(prev: number, more: Record<number, number> = {}) {
  const fiber = stackAt(FIBER, { 528: LINK });
  const c = stackAt(C, {
    1024: FIBER,
    1032: SP,
    1040: prev,
    // 0x418-0x447: the six callee-saved registers, one of them a code address.
    1056: CODE + 0x99,
    1096: CODE + 0x100, // the return address into C
    1104: 0x1234,
    1112: CODE + 0x200,
    1128: CODE + 0x300,
    ...more,
  });
  const stacks = (address: number) => (address >= C && address < C + SIZE ? c : undefined);
  return { fiber, stacks };
}

describe('crossing from a fiber to C', () => {
  it('the outermost entry: the return address the link locates, then C frames scanned to the stack end', () => {
    const { fiber, stacks } = entry(0);
    expect(crossToC(fiber, SP, stacks, isCode, 100)).toEqual({
      kind: 'outermost',
      frames: [
        { pc: CODE + 0x100, slot: C + 0x448, method: 'context' },
        { pc: CODE + 0x200, slot: C + 0x458, method: 'scanned' },
        { pc: CODE + 0x300, slot: C + 0x468, method: 'scanned' },
      ],
    });
  });

  it('a callback: the C frames up to the previous entry, then back on the fiber above the header', () => {
    const { fiber, stacks } = entry(C + 0x460, { 1128: CODE + 0x300 });
    expect(crossToC(fiber, SP, stacks, isCode, 100)).toEqual({
      kind: 'callback',
      frames: [
        { pc: CODE + 0x100, slot: C + 0x448, method: 'context' },
        { pc: CODE + 0x200, slot: C + 0x458, method: 'scanned' },
      ],
      slot: SP + 32,
    });
  });

  it('finds no more frames than there is room for', () => {
    const { fiber, stacks } = entry(0);
    expect(crossToC(fiber, SP, stacks, isCode, 2)).toMatchObject({ kind: 'outermost', frames: { length: 2 } });
    expect(crossToC(fiber, SP, stacks, isCode, 1)).toMatchObject({ kind: 'outermost', frames: { length: 1 } });
  });

  it('a previous link at the end of the C stack holds; past it, or at or below this link, it is corrupt', () => {
    expect(crossToC(entry(C + SIZE).fiber, SP, entry(C + SIZE).stacks, isCode, 100).kind).toBe('callback');
    for (const prev of [C + SIZE + 8, LINK, LINK - 8]) {
      const { fiber, stacks } = entry(prev);
      expect(crossToC(fiber, SP, stacks, isCode, 100)).toEqual({
        kind: 'lost',
        why: `the entry's c_stack_link 0x${LINK.toString(16)} has a bad prev link`,
      });
    }
  });

  it('a header naming no C stack pointer (zero) is lost as a pointer outside the dumped stacks', () => {
    const { stacks } = entry(0);
    expect(crossToC(stackAt(FIBER, { 528: 0 }), SP, stacks, isCode, 100)).toEqual({
      kind: 'lost',
      why: "the entry's C stack pointer 0x0 is not in a dumped stack",
    });
  });

  it('a link whose prev word lies below the dumped C stack is lost as not dumped, not as a bad prev link', () => {
    const { fiber } = entry(0);
    // The C stack is dumped from just above the link's prev word: the return address is there, the prev word is not.
    const cut = stackAt(C, { 1096: CODE + 0x100 }, LINK + 24);
    expect(cut.u64(LINK + 16)).toBe(-1);
    expect(cut.u64(LINK + 72)).toBe(CODE + 0x100);
    expect(crossToC(fiber, SP, () => cut, isCode, 100)).toEqual({
      kind: 'lost',
      why: `the entry's C stack pointer 0x${LINK.toString(16)} is not in a dumped stack`,
    });
  });

  it('is lost where the header, the link or the return address is not in a dumped stack', () => {
    const { fiber, stacks } = entry(0);
    expect(crossToC(fiber, FIBER + SIZE - 16, stacks, isCode, 100)).toEqual({
      kind: 'lost',
      why: 'the fiber ends inside the entry header',
    });
    const nowhere = `the entry's C stack pointer 0x${LINK.toString(16)} is not in a dumped stack`;
    expect(crossToC(fiber, SP, () => undefined, isCode, 100)).toEqual({ kind: 'lost', why: nowhere });
    // The link's prev word, or the return address above it, beyond the dumped C stack.
    const c = stackAt(C, {});
    for (const link of [C + SIZE - 16, C + SIZE - 0x40]) {
      expect(crossToC(stackAt(FIBER, { 528: link }), SP, () => c, isCode, 100)).toEqual({
        kind: 'lost',
        why: `the entry's C stack pointer 0x${link.toString(16)} is not in a dumped stack`,
      });
    }
  });
});
