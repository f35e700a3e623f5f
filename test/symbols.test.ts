/**
 * The symbol table (src/elf/symbols.ts) against readelf's listing of the same
 * executable: every function is found at its address and named, data symbols
 * are told from functions, and a stripped copy falls back to .dynsym.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openElf } from '../src/elf/elf-file.js';
import { SymbolTable } from '../src/elf/symbols.js';
import { FileReader } from '../src/io/file-reader.js';
import { type ReadelfSymbol, readelfSymbols } from './support/readelf.js';

const crashes = inject('crashes');

function symbolsOf(path: string): SymbolTable {
  const reader = FileReader.open(path, 'executable');
  try {
    return SymbolTable.read(reader, openElf(reader).sections);
  } finally {
    reader.close();
  }
}

let tmp: Awaited<ReturnType<typeof dir>>;
let exe: string;
let listed: ReadelfSymbol[];
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-symbols-' });
  exe = crashes['self-recursion']!.executable;
  listed = await readelfSymbols(exe, '.symtab');
});
afterAll(() => tmp.cleanup());

/** Functions readelf lists as defined with an address and a size; where several share an address, the names there. */
function functions(symbols: ReadelfSymbol[]) {
  const byAddress = new Map<number, { size: number; names: string[] }>();
  for (const s of symbols) {
    if (s.type !== 'FUNC' || !s.defined || s.value === 0) continue;
    const at = byAddress.get(s.value) ?? { size: 0, names: [] };
    at.size = Math.max(at.size, s.size);
    at.names.push(s.name);
    byAddress.set(s.value, at);
  }
  return byAddress;
}

// Each test reads the table itself (not a hook), so that mutation testing sees which test runs the reader.
describe('the symbol table of an executable', () => {
  it('is read from .symtab', () => {
    const table = symbolsOf(exe);
    expect(table.source).toBe('symtab');
  });

  it('finds every function readelf lists at its first and last byte, with its name', () => {
    const table = symbolsOf(exe);
    const byAddress = functions(listed);
    const starts = [...byAddress.keys()].sort((a, b) => a - b);
    expect(starts.length).toBeGreaterThan(1000);
    starts.forEach((address, i) => {
      const { size, names } = byAddress.get(address)!;
      const hit = table.lookup(address);
      expect(hit?.address).toBe(address);
      expect(hit?.offset).toBe(0);
      expect(names).toContain(hit?.name);
      const next = starts[i + 1];
      if (size > 1 && (next === undefined || next >= address + size)) {
        expect(table.lookup(address + size - 1)).toMatchObject({ address, offset: size - 1 });
      }
    });
  });

  it('finds nothing below the first function, nor past the end of a sized one with a gap after it', () => {
    const table = symbolsOf(exe);
    const byAddress = functions(listed);
    const starts = [...byAddress.keys()].sort((a, b) => a - b);
    expect(table.lookup(starts[0]! - 1)).toBeUndefined();
    expect(table.lookup(0)).toBeUndefined();
    const gap = starts.find((a, i) => {
      const end = a + byAddress.get(a)!.size;
      return byAddress.get(a)!.size > 0 && starts[i + 1] !== undefined && starts[i + 1]! > end;
    })!;
    expect(gap).toBeDefined();
    expect(table.lookup(gap + byAddress.get(gap)!.size)).toBeUndefined();
  });

  it("gives a data symbol's address (caml_frametable, a label) and a function's, never one for the other", () => {
    const table = symbolsOf(exe);
    const address = (name: string) => listed.find((s) => s.name === name && s.defined)!.value;
    expect(table.dataAddress('caml_frametable')).toBe(address('caml_frametable'));
    expect(table.functionAddress('caml_program')).toBe(address('caml_program'));
    expect(table.functionAddress('caml_start_program')).toBe(address('caml_start_program'));
    expect(table.dataAddress('caml_program')).toBeUndefined();
    expect(table.functionAddress('caml_frametable')).toBeUndefined();
    expect(table.dataAddress('no_such_symbol_anywhere')).toBeUndefined();
    // A name that is only the tail of another (camlSelf_recursion__count_82 ends in "count_82") is no match.
    const count = listed.find((s) => s.name.startsWith('camlSelf_recursion__count_'))!;
    expect(table.functionAddress(count.name)).toBe(count.value);
    expect(table.functionAddress(count.name.slice('camlSelf_recursion__'.length))).toBeUndefined();
  });

  it('an undefined symbol (a libc function the program imports) has no address', () => {
    const table = symbolsOf(exe);
    const imported = listed.find((s) => s.type === 'FUNC' && !s.defined && s.name === 'memset');
    expect(imported).toBeDefined();
    expect(table.functionAddress('memset')).toBeUndefined();
  });
});

describe('a stripped executable', () => {
  it('keeps its dynamic symbols, read from .dynsym', async () => {
    const stripped = join(tmp.path, 'stripped');
    await execa('strip', ['-o', stripped, exe]);
    const dynamic = symbolsOf(stripped);
    expect(dynamic.source).toBe('dynsym');
    const exported = functions(await readelfSymbols(stripped, '.dynsym'));
    expect(exported.size).toBeGreaterThan(10);
    for (const [address, { names }] of exported) {
      expect(names).toContain(dynamic.lookup(address)?.name);
    }
  });
});
