/**
 * The symbol table (src/elf/symbols.ts) against readelf's listing of the same
 * executable: every function is found at its address and named, data symbols
 * are told from functions, and a stripped copy falls back to .dynsym.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BufferReader } from '../src/elf/byte-reader.js';
import { SHN_UNDEF, SHT_SYMTAB, STT_FUNC, STT_OBJECT } from '../src/elf/constants.js';
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

const SHT_STRTAB = 3;
/** Any defined section index: what matters of st_shndx is only whether it is SHN_UNDEF. */
const TEXT_SECTION = 13;

interface HandSymbol {
  name: string;
  value: number;
  size?: number;
  type?: number;
  defined?: boolean;
}

/**
 * A .symtab and its .strtab built by hand: the null symbol, then one 24-byte
 * entry per symbol (global binding), in the order given. `leadingNul: false`
 * starts the first name at offset 0; `link` is the symtab's string table index
 * (1, or one that names no section); `symtabSize` cuts the table short.
 */
function handTable(
  symbols: HandSymbol[],
  options: { leadingNul?: boolean; link?: number; symtabSize?: number } = {},
): SymbolTable {
  const { leadingNul = true, link = 1 } = options;
  const names: Buffer[] = leadingNul ? [Buffer.from('\0')] : [];
  let nameAt = leadingNul ? 1 : 0;
  const entries = Buffer.alloc(24 * (symbols.length + 1));
  symbols.forEach((s, i) => {
    const at = 24 * (i + 1);
    entries.writeUInt32LE(nameAt, at);
    entries.writeUInt8(0x10 | (s.type ?? STT_FUNC), at + 4);
    entries.writeUInt16LE(s.defined === false ? SHN_UNDEF : TEXT_SECTION, at + 6);
    entries.writeBigUInt64LE(BigInt(s.value), at + 8);
    entries.writeBigUInt64LE(BigInt(s.size ?? 0), at + 16);
    names.push(Buffer.from(`${s.name}\0`, 'latin1'));
    nameAt += s.name.length + 1;
  });
  const strtab = Buffer.concat(names);
  const symtabAt = Math.ceil(strtab.length / 8) * 8;
  const bytes = Buffer.alloc(symtabAt + entries.length);
  strtab.copy(bytes);
  entries.copy(bytes, symtabAt);
  const section = (name: string, type: number, offset: number, size: number, linked: number) => ({
    name,
    type,
    flags: 0,
    addr: 0,
    offset,
    size,
    link: linked,
    entsize: 0,
  });
  return SymbolTable.read(new BufferReader(bytes), [
    section('', 0, 0, 0, 0),
    section('.strtab', SHT_STRTAB, 0, strtab.length, 0),
    section('.symtab', SHT_SYMTAB, symtabAt, options.symtabSize ?? entries.length, link),
  ]);
}

describe('a symbol table built by hand', () => {
  it('of functions at one address (aliases), the largest names it in either order; of equal ones, the first', () => {
    const table = handTable([
      { name: 'b_long', value: 0x2000, size: 0x20 },
      { name: 'b_short', value: 0x2000, size: 4 },
      { name: 'a_short', value: 0x1000, size: 4 },
      { name: 'a_long', value: 0x1000, size: 0x20 },
      { name: 'c_first', value: 0x3000, size: 8 },
      { name: 'c_second', value: 0x3000, size: 8 },
    ]);
    expect(table.lookup(0x1010)).toEqual({ name: 'a_long', address: 0x1000, offset: 0x10 });
    expect(table.lookup(0x2010)).toEqual({ name: 'b_long', address: 0x2000, offset: 0x10 });
    expect(table.lookup(0x3004)).toEqual({ name: 'c_first', address: 0x3000, offset: 4 });
  });

  it('holds only defined functions: not data, not imports, not a function at address zero', () => {
    const table = handTable([
      { name: 'at_zero', value: 0, size: 0x10 },
      { name: 'data', value: 0x4000, size: 0x40, type: STT_OBJECT },
      { name: 'imported', value: 0x5000, size: 0x10, defined: false },
      { name: 'real', value: 0x6000, size: 0x10 },
    ]);
    expect(table.lookup(8)).toBeUndefined();
    expect(table.lookup(0x4010)).toBeUndefined();
    expect(table.lookup(0x5008)).toBeUndefined();
    expect(table.lookup(0x6008)).toEqual({ name: 'real', address: 0x6000, offset: 8 });
  });

  it('names its functions with the empty string when its string table is missing', () => {
    const table = handTable([{ name: 'f', value: 0x1000, size: 0x10 }], { link: 9 });
    expect(table.source).toBe('symtab');
    expect(table.lookup(0x1004)).toEqual({ name: '', address: 0x1000, offset: 4 });
    expect(table.functionAddress('f')).toBeUndefined();
  });

  it('an empty .symtab holds no functions, and is no error', () => {
    const table = handTable([], { symtabSize: 0 });
    expect(table.lookup(0x1000)).toBeUndefined();
    expect(table.functionAddress('f')).toBeUndefined();
  });

  it("gives a data object's address as a data symbol's, and never as a function's", () => {
    const table = handTable([{ name: 'caml_globals', value: 0x7000, size: 0x40, type: STT_OBJECT }]);
    expect(table.dataAddress('caml_globals')).toBe(0x7000);
    expect(table.functionAddress('caml_globals')).toBeUndefined();
  });

  it('finds a name at the very start of the string table, and the last symbol of the table', () => {
    const table = handTable(
      [
        { name: 'first', value: 0x1000, size: 0x10 },
        { name: 'middle', value: 0x2000, size: 0x10 },
        { name: 'last', value: 0x3000, size: 0x10 },
      ],
      { leadingNul: false },
    );
    expect(table.functionAddress('first')).toBe(0x1000);
    expect(table.functionAddress('middle')).toBe(0x2000);
    expect(table.functionAddress('last')).toBe(0x3000);
  });

  it('passes over the import of a name for its definition', () => {
    const table = handTable([
      { name: 'memcpy', value: 0, defined: false },
      { name: 'memcpy', value: 0x1230, size: 0x10 },
    ]);
    expect(table.functionAddress('memcpy')).toBe(0x1230);
  });
});
