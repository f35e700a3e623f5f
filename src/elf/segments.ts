import { CorruptInputError } from '../errors.js';
import type { ByteReader } from './byte-reader.js';
import { PHDR_SIZE } from './constants.js';
import type { ElfHeader } from './header.js';
import { View } from './view.js';

export interface Segment {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
}

const MAX_SEGMENTS = 1 << 16;

export function readSegments(reader: ByteReader, header: ElfHeader): Segment[] {
  if (header.phnum === 0) return [];
  if (header.phentsize < PHDR_SIZE)
    throw new CorruptInputError(reader.name, `program header entries of ${header.phentsize} bytes`);
  if (header.phnum > MAX_SEGMENTS) throw new CorruptInputError(reader.name, `${header.phnum} program headers`);
  const table = View.read(reader, header.phoff, header.phnum * header.phentsize, 'program header table');
  return parseSegments(table, header.phnum, header.phentsize);
}

/** Program headers from their table, wherever it was read (a file, or a process's memory in a core). */
export function parseSegments(table: View, count: number, entrySize: number): Segment[] {
  const segments: Segment[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * entrySize;
    segments.push({
      type: table.u32(at),
      flags: table.u32(at + 4),
      offset: table.u64(at + 8),
      vaddr: table.u64(at + 16),
      filesz: table.u64(at + 32),
      memsz: table.u64(at + 40),
    });
  }
  return segments;
}
