/**
 * The ELF reader (src/elf/elf-file.ts and the tables it reads) against GNU
 * readelf on the same files: a PIE the tests built and crashed, and its core.
 */
import { describe, expect, inject, it } from 'vitest';
import { BufferReader } from '../src/elf/byte-reader.js';
import { findElfNote, openElf } from '../src/elf/elf-file.js';
import { FileReader } from '../src/io/file-reader.js';
import { readelfBuildId, readelfHeader, readelfSections, readelfSegments } from './support/readelf.js';
import { note, tinyElf } from './support/tiny-elf.js';

const crashes = inject('crashes');

function open(path: string) {
  const reader = FileReader.open(path, 'file');
  try {
    return openElf(reader);
  } finally {
    reader.close();
  }
}

const PT: Record<string, number> = { LOAD: 1, DYNAMIC: 2, INTERP: 3, NOTE: 4, PHDR: 6 };
const SHT: Record<string, number> = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  DYNAMIC: 6,
  NOTE: 7,
  NOBITS: 8,
  DYNSYM: 11,
  INIT_ARRAY: 14,
  FINI_ARRAY: 15,
  GNU_HASH: 0x6ffffff6,
  VERNEED: 0x6ffffffe,
  VERSYM: 0x6fffffff,
};

describe.each(['executable', 'core'] as const)('the ELF reader on an %s', (kind) => {
  const path = () => crashes['self-recursion']![kind];

  it('reads the header readelf reads', async () => {
    expect(open(path()).header).toEqual(await readelfHeader(path()));
  });

  it('reads every program header readelf lists, with its type, offsets, sizes and flags', async () => {
    const ours = open(path()).segments;
    const theirs = await readelfSegments(path());
    expect(ours.length).toBe(theirs.length);
    expect(theirs.length).toBeGreaterThan(2);
    theirs.forEach((s, i) => {
      expect(ours[i]).toMatchObject({
        offset: s.offset,
        vaddr: s.vaddr,
        filesz: s.filesz,
        memsz: s.memsz,
        flags: s.flags,
      });
      if (PT[s.type] !== undefined) expect(ours[i]!.type).toBe(PT[s.type]);
    });
  });

  it('reads every section header readelf lists, by name', async () => {
    const ours = open(path()).sections;
    const theirs = await readelfSections(path());
    if (kind === 'core') {
      // A core has no sections.
      expect(ours).toEqual([]);
      return;
    }
    expect(ours.length).toBe(theirs.length + 1);
    expect(ours[0]).toMatchObject({ name: '', type: 0, size: 0 });
    for (const s of theirs) {
      expect(ours[s.index]).toMatchObject({
        name: s.name,
        addr: s.addr,
        offset: s.offset,
        size: s.size,
        entsize: s.entsize,
        link: s.link,
      });
      // The flags readelf spells out as letters.
      expect(ours[s.index]!.flags & 0x6f7).toBe(s.flags);
      if (SHT[s.type] !== undefined) expect(ours[s.index]!.type).toBe(SHT[s.type]);
    }
    expect(ours.map((s) => s.name)).toEqual(expect.arrayContaining(['.text', '.data', '.symtab', '.strtab']));
  });

  it('finds the build-id readelf finds (a core has none of its own)', async () => {
    const ours = open(path()).buildId;
    const theirs = await readelfBuildId(path());
    expect(ours).toBe(theirs);
    if (kind === 'executable') expect(ours).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('notes', () => {
  it("a core's notes are found by owner and type: registers and signal under CORE, nothing under another owner", () => {
    const core = open(crashes['self-recursion']!.core);
    // NT_PRSTATUS (1) and NT_SIGINFO: struct elf_prstatus is 336 bytes, siginfo_t 128 (readelf -n lists these sizes).
    expect(findElfNote(core, 'CORE', 1)?.desc.length).toBe(336);
    expect(findElfNote(core, 'CORE', 0x53494749)?.desc.length).toBe(128);
    expect(findElfNote(core, 'COR', 1)).toBeUndefined();
    expect(findElfNote(core, 'CORES', 1)).toBeUndefined();
    expect(findElfNote(core, 'LINUX', 1)).toBeUndefined();
    expect(findElfNote(core, 'CORE', 0x12345)).toBeUndefined();
  });

  it("an executable's build-id note is the GNU note of type 3, its 20 bytes", () => {
    const exe = open(crashes['self-recursion']!.executable);
    const note = findElfNote(exe, 'GNU', 3);
    expect(note?.desc.length).toBe(20);
    expect(Buffer.from(note!.desc.bytes).toString('hex')).toBe(exe.buildId);
    expect(findElfNote(exe, 'GNU', 4)).toBeUndefined();
  });
});

describe('note areas of files made by hand', () => {
  const buildId = note('GNU', 3, Buffer.from([0xab, 0xcd, 0xef]));

  it('without note segments, the note sections are read, and only they', () => {
    const elf = openElf(
      new BufferReader(
        tinyElf(
          1,
          [],
          [
            { name: '.text', type: SHT.PROGBITS!, data: Buffer.from('code') },
            { name: '.note.gnu.build-id', type: SHT.NOTE!, data: buildId },
          ],
        ),
        'f.o',
      ),
    );
    expect(elf.noteAreas.map((a) => a.length)).toEqual([buildId.length]);
    expect(elf.buildId).toBe('abcdef');
  });

  it('note segments are read instead of the note sections', () => {
    const other = note('GNU', 3, Buffer.from([0x01]));
    const elf = openElf(
      new BufferReader(
        tinyElf(2, [{ type: PT.NOTE!, data: buildId }], [{ name: '.note.other', type: SHT.NOTE!, data: other }]),
        'f',
      ),
    );
    expect(elf.noteAreas).toHaveLength(1);
    expect(elf.buildId).toBe('abcdef');
  });

  it('a note segment or section past the end of the file is refused, named', () => {
    expect(() => openElf(new BufferReader(tinyElf(4, [{ type: PT.NOTE!, offset: 4096, filesz: 16 }]), 'core'))).toThrow(
      /^core is truncated or corrupt: note segment at offset 4096 \(\+16 bytes\) lies outside/,
    );
    const section = { name: '.note.x', type: SHT.NOTE!, offset: 4096, size: 16 };
    expect(() => openElf(new BufferReader(tinyElf(1, [], [section]), 'f.o'))).toThrow(
      /note section \.note\.x at offset 4096/,
    );
  });
});
