import type { ByteReader } from './byte-reader.js';
import { type ElfHeader, readElfHeader } from './header.js';
import { buildIdOf, findNote, MAX_NOTE_AREA, type Note } from './notes.js';
import { readSections, type Section, SHT_DYNSYM, SHT_NOTE, SHT_SYMTAB, sectionView } from './sections.js';
import { PT_NOTE, readSegments, type Segment } from './segments.js';
import { View } from './view.js';

const STT_OBJECT = 1;
const STT_NOTYPE = 0;
const STT_FUNC = 2;

/** An ELF file's structure, read once; contents stay in the reader. */
export interface ElfFile {
  reader: ByteReader;
  header: ElfHeader;
  segments: Segment[];
  sections: Section[];
  /** The note segments (or, without them, note sections), each read whole. */
  noteAreas: View[];
  buildId: string | undefined;
}

export function openElf(reader: ByteReader): ElfFile {
  const header = readElfHeader(reader);
  const segments = readSegments(reader, header);
  const sections = readSections(reader, header);
  let noteAreas = segments
    .filter((s) => s.type === PT_NOTE)
    .map((s) => View.read(reader, s.offset, s.filesz, 'note segment', MAX_NOTE_AREA));
  if (noteAreas.length === 0)
    noteAreas = sections
      .filter((s) => s.type === SHT_NOTE)
      .map((s) => View.read(reader, s.offset, s.size, `note section ${s.name}`, MAX_NOTE_AREA));
  return { reader, header, segments, sections, noteAreas, buildId: buildIdOf(noteAreas) };
}

/** The first note of this owner and type in any of the file's note areas. */
export function findElfNote(elf: ElfFile, name: string, type: number): Note | undefined {
  for (const area of elf.noteAreas) {
    const note = findNote(area, name, type);
    if (note) return note;
  }
  return undefined;
}

/**
 * The link-time address of a data symbol (OCaml's `caml_frametable` is a
 * NOTYPE label in .data), from .symtab or else .dynsym.
 */
export function dataSymbolAddress(elf: ElfFile, name: string): number | undefined {
  return symbolAddress(elf, name, (kind) => kind === STT_OBJECT || kind === STT_NOTYPE);
}

/** The link-time address of a function symbol (`caml_raise_exn`), from .symtab or else .dynsym. */
export function functionSymbolAddress(elf: ElfFile, name: string): number | undefined {
  return symbolAddress(elf, name, (kind) => kind === STT_FUNC);
}

function symbolAddress(elf: ElfFile, name: string, accept: (kind: number) => boolean): number | undefined {
  for (const type of [SHT_SYMTAB, SHT_DYNSYM]) {
    const table = elf.sections.find((s) => s.type === type);
    if (!table) continue;
    const strings = elf.sections[table.link];
    if (!strings) continue;
    const syms = sectionView(elf.reader, table);
    const strs = sectionView(elf.reader, strings);
    // Compare bytes in place: decoding every name of a large table costs more than the whole walk.
    const wanted = Buffer.from(`${name}\0`, 'latin1');
    for (let at = 24; at + 24 <= syms.length; at += 24) {
      if (!accept(syms.u8(at + 4) & 0xf) || syms.u16(at + 6) === 0) continue;
      const offset = syms.u32(at);
      if (offset + wanted.length <= strs.length && wanted.equals(strs.bytes.subarray(offset, offset + wanted.length)))
        return syms.u64(at + 8);
    }
  }
  return undefined;
}
