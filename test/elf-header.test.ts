/**
 * The ELF header (src/elf/header.ts) and the bounds of what the reader takes
 * whole (src/elf/view.ts, segments.ts, sections.ts, notes.ts): each wrong
 * kind of file is one user error with its exit code, never a crash.
 */
import { describe, expect, it } from 'vitest';
import { BufferReader } from '../src/elf/byte-reader.js';
import { readElfHeader } from '../src/elf/header.js';
import { buildIdOf, findNote } from '../src/elf/notes.js';
import { readSections, type Section, sectionView } from '../src/elf/sections.js';
import { readSegments } from '../src/elf/segments.js';
import { View } from '../src/elf/view.js';
import { EXIT, type UserError } from '../src/errors.js';
import { refusal } from './support/refusal.js';

/** A 64-byte ELF64 little-endian x86-64 header (the gABI's Elf64_Ehdr), with fields to override. */
function header(fields: Partial<Record<'class' | 'data' | 'machine' | 'type', number>> = {}): Buffer {
  const b = Buffer.alloc(64);
  b.set([0x7f, 0x45, 0x4c, 0x46, fields.class ?? 2, fields.data ?? 1, 1], 0);
  b.writeUInt16LE(fields.type ?? 2, 16);
  b.writeUInt16LE(fields.machine ?? 62, 18);
  b.writeBigUInt64LE(0x401000n, 24); // e_entry
  b.writeBigUInt64LE(64n, 32); // e_phoff
  b.writeBigUInt64LE(0x12345n, 40); // e_shoff
  b.writeUInt16LE(64, 52); // e_ehsize
  b.writeUInt16LE(56, 54); // e_phentsize
  b.writeUInt16LE(3, 56); // e_phnum
  b.writeUInt16LE(64, 58); // e_shentsize
  b.writeUInt16LE(30, 60); // e_shnum
  b.writeUInt16LE(29, 62); // e_shstrndx
  return b;
}

function refusalOf(bytes: Uint8Array): UserError {
  return refusal(() => readElfHeader(new BufferReader(bytes, 'f')));
}

describe('the ELF header', () => {
  it('gives the fields of Elf64_Ehdr at their offsets', () => {
    expect(readElfHeader(new BufferReader(header(), 'f'))).toEqual({
      type: 2,
      entry: 0x401000,
      phoff: 64,
      shoff: 0x12345,
      phentsize: 56,
      phnum: 3,
      shentsize: 64,
      shnum: 30,
      shstrndx: 29,
    });
  });

  it.each([
    ['an empty file', new Uint8Array(0), EXIT.corrupt, /^f is empty$/],
    [
      'a text file',
      Buffer.from('#!/bin/sh\necho hello, this is not ELF\n'),
      EXIT.unsupportedFormat,
      /^f is not an ELF file$/,
    ],
    ['three bytes of the magic', Buffer.from([0x7f, 0x45, 0x4c]), EXIT.unsupportedFormat, /not an ELF file/],
    [
      'a magic with one byte wrong',
      Buffer.from([0x7f, 0x45, 0x4c, 0x47, ...header().subarray(4)]),
      EXIT.unsupportedFormat,
      /not an ELF file/,
    ],
    [
      'a magic with its first byte wrong',
      Buffer.from([0x7e, ...header().subarray(1)]),
      EXIT.unsupportedFormat,
      /not an ELF file/,
    ],
    [
      'a magic with its second byte wrong',
      Buffer.from([0x7f, 0x44, ...header().subarray(2)]),
      EXIT.unsupportedFormat,
      /not an ELF file/,
    ],
    [
      'a magic with its third byte wrong',
      Buffer.from([0x7f, 0x45, 0x4d, ...header().subarray(3)]),
      EXIT.unsupportedFormat,
      /not an ELF file/,
    ],
    ['an ident cut short', header().subarray(0, 15), EXIT.corrupt, /^f is truncated: its ELF header is cut short$/],
    ['a 32-bit file', header({ class: 1 }), EXIT.unsupportedFormat, /^f is a 32-bit ELF file/],
    ['a big-endian file', header({ data: 2 }), EXIT.unsupportedFormat, /^f is a big-endian ELF file/],
    ['a header cut short', header().subarray(0, 63), EXIT.corrupt, /^f is truncated: its ELF header is cut short$/],
    ['an AArch64 file', header({ machine: 183 }), EXIT.unsupportedFormat, /^f is an ELF file for AArch64, not x86-64$/],
    [
      'a 32-bit x86 file with a 64-bit header',
      header({ machine: 3 }),
      EXIT.unsupportedFormat,
      /for x86 \(32-bit\), not/,
    ],
    ['an unknown machine', header({ machine: 999 }), EXIT.unsupportedFormat, /for machine 999, not x86-64/],
  ])('refuses %s', (_what, bytes, code, message) => {
    const error = refusalOf(bytes);
    expect(error.exitCode).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.fix).toBeTruthy();
  });

  it('judges the ident only when whole: a magic alone, or a 32-bit ident cut short, is a truncated file', () => {
    expect(refusalOf(header().subarray(0, 4)).message).toBe('f is truncated: its ELF header is cut short');
    expect(refusalOf(header({ class: 1 }).subarray(0, 15)).message).toBe('f is truncated: its ELF header is cut short');
  });

  it('accepts exactly 16 bytes of ident before asking for the rest', () => {
    // 16 bytes are a whole ident: what is missing then is the rest of the header.
    expect(refusalOf(header().subarray(0, 16)).message).toMatch(/truncated/);
    expect(refusalOf(header({ class: 1 }).subarray(0, 16)).message).toMatch(/32-bit/);
  });
});

describe('program and section header tables', () => {
  const header64 = () => readElfHeader(new BufferReader(header(), 'f'));

  it('refuses entries smaller than the format says, or more of them than a real file has', () => {
    const file = new BufferReader(new Uint8Array(4096), 'f');
    expect(() => readSegments(file, { ...header64(), phentsize: 55 })).toThrow(/program header entries of 55 bytes/);
    expect(() => readSegments(file, { ...header64(), phnum: 65537 })).toThrow(/65537 program headers/);
    expect(() => readSections(file, { ...header64(), shoff: 64, shentsize: 63 })).toThrow(
      /section header entries of 63/,
    );
    expect(() => readSections(file, { ...header64(), shoff: 64, shnum: 65537 })).toThrow(/65537 section headers/);
    expect(() => readSegments(file, { ...header64(), phoff: 4000 })).toThrow(/program header table at offset 4000/);
  });

  it('reads tables whose entries are exactly the size the format gives, and at most 65,536 of them', () => {
    const file = new BufferReader(new Uint8Array(65536 * 64 + 64), 'f');
    expect(readSegments(file, { ...header64(), phoff: 0, phnum: 65536 })).toHaveLength(65536);
    expect(readSections(file, { ...header64(), shoff: 64, shnum: 65536, shstrndx: 0 })).toHaveLength(65536);
  });

  it('has no segments without program headers, and no sections without a table or with none in it', () => {
    const file = new BufferReader(new Uint8Array(4096), 'f');
    expect(readSegments(file, { ...header64(), phnum: 0, phentsize: 0 })).toEqual([]);
    expect(readSections(file, { ...header64(), shnum: 0, shentsize: 0 })).toEqual([]);
    expect(readSections(file, { ...header64(), shoff: 0, shentsize: 0 })).toEqual([]);
  });

  it('names the table or section it cannot read: the header table, the name table, a section by name or type', () => {
    const file = new BufferReader(new Uint8Array(256), 'f');
    expect(() => readSections(file, { ...header64(), shoff: 200, shnum: 2 })).toThrow(
      /^f is truncated or corrupt: section header table at offset 200 \(\+128 bytes\)/,
    );
    const table = Buffer.alloc(64);
    table.writeUInt32LE(3, 4); // SHT_STRTAB, 16 bytes at offset 4096
    table.writeBigUInt64LE(4096n, 24);
    table.writeBigUInt64LE(16n, 32);
    const named = new BufferReader(Buffer.concat([Buffer.alloc(8), table]), 'f');
    expect(() => readSections(named, { ...header64(), shoff: 8, shnum: 1, shstrndx: 0 })).toThrow(
      /: section name table at offset 4096/,
    );
    const section: Section = {
      name: '.symtab',
      type: 2,
      flags: 0,
      addr: 0,
      offset: 4096,
      size: 24,
      link: 0,
      entsize: 24,
    };
    expect(() => sectionView(file, section)).toThrow(/: section \.symtab at offset 4096/);
    expect(() => sectionView(file, { ...section, name: '' })).toThrow(/: section 2 at offset 4096/);
  });

  it('names no section when the name table is a NOBITS section (it has no bytes in the file)', () => {
    // The table at offset 8, the names after it at 136.
    const table = Buffer.alloc(2 * 64);
    table.writeUInt32LE(1, 0); // section 0's name at offset 1
    table.writeUInt32LE(8, 64 + 4); // section 1: SHT_NOBITS
    table.writeBigUInt64LE(136n, 64 + 24);
    table.writeBigUInt64LE(7n, 64 + 32);
    const file = () => new BufferReader(Buffer.concat([Buffer.alloc(8), table, Buffer.from('\0.text\0')]), 'f');
    expect(readSections(file(), { ...header64(), shoff: 8, shnum: 2, shstrndx: 1 }).map((s) => s.name)).toEqual([
      '',
      '',
    ]);
    table.writeUInt32LE(3, 64 + 4); // now SHT_STRTAB
    expect(readSections(file(), { ...header64(), shoff: 8, shnum: 2, shstrndx: 1 }).map((s) => s.name)).toEqual([
      '.text',
      '',
    ]);
  });
});

describe('a view over a block of the file', () => {
  const file = new BufferReader(
    Uint8Array.from({ length: 32 }, (_, i) => i),
    'f',
  );

  it('reads little-endian fields, and refuses one that runs past its end', () => {
    const v = View.read(file, 8, 16, 'block');
    expect(v.length).toBe(16);
    expect(v.u8(0)).toBe(8);
    expect(v.u16(0)).toBe(0x0908);
    expect(v.u32(0)).toBe(0x0b0a0908);
    expect(new View(Buffer.from([0x10, 0x11, 0x12, 0x13, 0x03, 0x02, 0x01, 0x00]), 'x').u64(0)).toBe(
      0x0001_0203_1312_1110,
    );
    expect(v.u8(15)).toBe(23);
    expect(() => v.u8(16)).toThrow(/field at \+16 \(1 bytes\) past the end of 16 bytes/);
    expect(() => v.u16(15)).toThrow(/past the end/);
    expect(() => v.u32(13)).toThrow(/past the end/);
    expect(() => v.u64(9)).toThrow(/past the end/);
    expect(() => v.i32(13)).toThrow(/past the end/);
    expect(() => v.u8(-1)).toThrow(/past the end/);
    expect(v.sub(4, 12).u8(0)).toBe(12);
    expect(() => v.sub(4, 13)).toThrow(/past the end/);
  });

  it('names a field past the end by the file and the block it was read as', () => {
    expect(() => View.read(file, 8, 16, 'block').u8(16)).toThrow(/^f: block is truncated or corrupt: field at \+16/);
    expect(() => View.read(new BufferReader(new Uint8Array(4)), 0, 4, 'block').u8(4)).toThrow(/^<buffer>: block /);
  });

  it('reads nothing from a buffer for a length of zero or less, wherever it starts', () => {
    expect(file.read(2, -5)).toHaveLength(0);
    expect(file.read(2, 0)).toHaveLength(0);
    expect(file.read(40, 4)).toHaveLength(0);
    expect([...file.read(30, 4)]).toEqual([30, 31]);
  });

  it('reads negative 32-bit fields as negative', () => {
    const v = new View(Buffer.from([0xfe, 0xff, 0xff, 0xff]), 'x');
    expect(v.i32(0)).toBe(-2);
    expect(v.u32(0)).toBe(0xfffffffe);
  });

  it('takes a block only inside the file and under its limit', () => {
    expect(View.read(file, 0, 32, 'all').length).toBe(32);
    expect(View.read(file, 32, 0, 'nothing').length).toBe(0);
    expect(() => View.read(file, 1, 32, 'table')).toThrow(
      /table at offset 1 \(\+32 bytes\) lies outside the file of 32 bytes/,
    );
    expect(() => View.read(file, -1, 4, 'table')).toThrow(/lies outside/);
    expect(() => View.read(file, 0, -1, 'table')).toThrow(/lies outside/);
    expect(() => View.read(file, 0.5, 4, 'table')).toThrow(/lies outside/);
    expect(() => View.read(file, 0, 2 ** 53, 'table')).toThrow(/lies outside/);
    expect(View.read(file, 0, 16, 'table', 16).length).toBe(16);
    expect(() => View.read(file, 0, 17, 'table', 16)).toThrow(
      /table claims 17 bytes, more than a real one holds \(limit 16\)/,
    );
    const corrupt = (() => {
      try {
        View.read(file, 1, 32, 'table');
      } catch (error) {
        return error as UserError;
      }
    })();
    expect(corrupt?.exitCode).toBe(EXIT.corrupt);
  });

  it('refuses a block the reader gives short', () => {
    const short = { size: 100, name: 'short', read: () => new Uint8Array(3), readInto: () => 3 };
    expect(() => View.read(short, 0, 8, 'table')).toThrow(/table: read 3 of 8 bytes at offset 0/);
  });

  it('reads NUL-terminated strings, to the end when unterminated, and none outside', () => {
    const v = new View(Buffer.from('ab\0cd'), 'x');
    expect(v.cstring(0)).toBe('ab');
    expect(v.cstring(1)).toBe('b');
    expect(v.cstring(2)).toBe('');
    expect(v.cstring(3)).toBe('cd');
    expect(v.cstring(5)).toBe('');
    expect(v.cstring(-1)).toBe('');
    // Past the end of a view that has its buffer to itself.
    expect(new View(Uint8Array.from([0x61, 0]), 'own').cstring(3)).toBe('');
  });
});

/** A note area: { namesz, descsz, type, name padded to 4, desc padded to 4 } per note. */
function notes(...list: { name: string; type: number; desc: number[]; namesz?: number }[]): View {
  const parts = list.map(({ name, type, desc, namesz }) => {
    const nameBytes = Buffer.from(`${name}\0`, 'latin1');
    const size = namesz ?? nameBytes.length;
    const head = Buffer.alloc(12);
    head.writeUInt32LE(size, 0);
    head.writeUInt32LE(desc.length, 4);
    head.writeUInt32LE(type, 8);
    const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
    return Buffer.concat([head, pad(nameBytes.subarray(0, size)), pad(Buffer.from(desc))]);
  });
  return new View(Buffer.concat(parts), 'notes');
}

describe('notes', () => {
  it('finds a note by owner and type past others, its descriptor whole', () => {
    const area = notes(
      { name: 'CORE', type: 1, desc: [1, 2, 3] },
      { name: 'LINUX', type: 3, desc: [4] },
      { name: 'GNU', type: 3, desc: [0xab, 0xcd, 0xef, 0x01, 0x23] },
    );
    expect([...findNote(area, 'CORE', 1)!.desc.bytes]).toEqual([1, 2, 3]);
    expect([...findNote(area, 'GNU', 3)!.desc.bytes]).toEqual([0xab, 0xcd, 0xef, 0x01, 0x23]);
    expect(findNote(area, 'GNU', 3)).toMatchObject({ name: 'GNU', type: 3 });
    expect(buildIdOf([area])).toBe('abcdef0123');
    expect(findNote(area, 'GNU', 1)).toBeUndefined();
    expect(findNote(area, 'LINUX', 1)).toBeUndefined();
  });

  it('an owner matches whole: not a prefix of a longer name, and with or without the NUL in namesz', () => {
    const area = notes({ name: 'CORES', type: 1, desc: [1] }, { name: 'GNU', type: 3, desc: [2], namesz: 3 });
    expect(findNote(area, 'CORE', 1)).toBeUndefined();
    expect(findNote(area, 'CORES', 1)).toBeDefined();
    expect([...findNote(area, 'GNU', 3)!.desc.bytes]).toEqual([2]);
    expect(findNote(area, 'GN', 3)).toBeUndefined();
  });

  it('reads a note that ends the area exactly, even one that is only its 12-byte header', () => {
    expect([...findNote(notes({ name: 'CORE', type: 1, desc: [1, 2, 3, 4] }), 'CORE', 1)!.desc.bytes]).toEqual([
      1, 2, 3, 4,
    ]);
    const bare = new View(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0]), 'bare');
    expect(findNote(bare, '', 7)).toMatchObject({ name: '', type: 7 });
  });

  it('reads an owner only within its namesz, whatever the padding after it holds', () => {
    // namesz 2 ("GN"), its padding holding "U\0": no "GNU" note. namesz 3 ("GNU" without its NUL), then "x".
    const raw = (namesz: number, name: string) =>
      new View(
        Buffer.concat([
          Buffer.from([namesz, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0]),
          Buffer.from(name),
          Buffer.from([9, 0, 0, 0]),
        ]),
        'raw',
      );
    expect(findNote(raw(2, 'GNU\0'), 'GNU', 3)).toBeUndefined();
    expect(findNote(raw(2, 'GNU\0'), 'GN', 3)).toBeDefined();
    expect([...findNote(raw(3, 'GNUx'), 'GNU', 3)!.desc.bytes]).toEqual([9]);
  });

  it('stops at a note whose descriptor runs past the area, and at a partial header', () => {
    const area = notes({ name: 'CORE', type: 1, desc: [1, 2, 3, 4] });
    const cut = new View(area.bytes.subarray(0, area.length - 1), 'cut');
    expect(findNote(cut, 'CORE', 1)).toBeUndefined();
    const whole = new View(Buffer.concat([area.bytes, Buffer.alloc(11)]), 'tail');
    expect(findNote(whole, 'CORE', 1)).toBeDefined();
    expect(findNote(whole, 'CORE', 0)).toBeUndefined();
    expect(buildIdOf([])).toBeUndefined();
    expect(buildIdOf([area])).toBeUndefined();
  });
});
