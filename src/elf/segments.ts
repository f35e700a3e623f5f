import { CorruptInputError } from '../errors.js';
import type { ByteReader } from './byte-reader.js';
import type { ElfHeader } from './header.js';
import { View } from './view.js';

export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const PF_X = 1;
export const PF_W = 2;

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
  if (header.phentsize < 56)
    throw new CorruptInputError(reader.name, `program header entries of ${header.phentsize} bytes`);
  if (header.phnum > MAX_SEGMENTS) throw new CorruptInputError(reader.name, `${header.phnum} program headers`);
  const table = View.read(reader, header.phoff, header.phnum * header.phentsize, 'program header table');
  const segments: Segment[] = [];
  for (let i = 0; i < header.phnum; i++) {
    const at = i * header.phentsize;
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
