import { CorruptInputError } from '../errors.js';
import type { ByteReader } from './byte-reader.js';
import { SHT_NOBITS } from './constants.js';
import type { ElfHeader } from './header.js';
import { View } from './view.js';

export interface Section {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

const MAX_SECTIONS = 1 << 16;

export function readSections(reader: ByteReader, header: ElfHeader): Section[] {
  if (header.shnum === 0 || header.shoff === 0) return [];
  if (header.shentsize < 64)
    throw new CorruptInputError(reader.name, `section header entries of ${header.shentsize} bytes`);
  if (header.shnum > MAX_SECTIONS) throw new CorruptInputError(reader.name, `${header.shnum} section headers`);
  const table = View.read(reader, header.shoff, header.shnum * header.shentsize, 'section header table');
  const raw = [];
  for (let i = 0; i < header.shnum; i++) {
    const at = i * header.shentsize;
    raw.push({
      nameOffset: table.u32(at),
      type: table.u32(at + 4),
      flags: table.u64(at + 8),
      addr: table.u64(at + 16),
      offset: table.u64(at + 24),
      size: table.u64(at + 32),
      link: table.u32(at + 40),
      entsize: table.u64(at + 56),
    });
  }
  const strtab = raw[header.shstrndx];
  const names =
    strtab && strtab.type !== SHT_NOBITS
      ? View.read(reader, strtab.offset, strtab.size, 'section name table')
      : undefined;
  return raw.map(({ nameOffset, ...s }) => ({ ...s, name: names ? names.cstring(nameOffset) : '' }));
}

/** The bytes of a section, read whole: only for small tables (symbols, notes). */
export function sectionView(reader: ByteReader, section: Section): View {
  return View.read(reader, section.offset, section.size, `section ${section.name || section.type}`);
}
