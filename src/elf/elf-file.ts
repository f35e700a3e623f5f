import type { ByteReader } from './byte-reader.js';
import { PT_NOTE, SHT_NOTE } from './constants.js';
import { type ElfHeader, readElfHeader } from './header.js';
import { buildIdOf, findNote, MAX_NOTE_AREA, type Note } from './notes.js';
import { readSections, type Section } from './sections.js';
import { readSegments, type Segment } from './segments.js';
import { View } from './view.js';

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
