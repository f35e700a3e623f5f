import type { View } from './view.js';

export interface Note {
  name: string;
  type: number;
  desc: View;
}

/**
 * The most read whole for one note area. A core's notes are a few KiB per
 * thread (registers, FPU and XSAVE state) plus NT_FILE, which Linux caps at
 * 4 MiB (MAX_FILE_NOTE_SIZE in fs/binfmt_elf.c): 64 MiB leaves room for
 * thousands of threads.
 */
export const MAX_NOTE_AREA = 64 * 1024 * 1024;

const align4 = (n: number) => (n + 3) & ~3;

/**
 * The first note with this owner name and type in a note area (each note is
 * { u32 namesz; u32 descsz; u32 type; name; desc }, name and desc padded to 4
 * bytes: the ELF gABI's "Note Section"). It walks the area without keeping the
 * notes it passes: an area of zeros is millions of empty notes.
 */
export function findNote(area: View, name: string, type: number): Note | undefined {
  const wanted = Buffer.from(name, 'latin1');
  let at = 0;
  while (at + 12 <= area.length) {
    const namesz = area.u32(at);
    const descsz = area.u32(at + 4);
    const nameAt = at + 12;
    const descAt = nameAt + align4(namesz);
    if (descAt + descsz > area.length) return undefined;
    if (area.u32(at + 8) === type && namesz >= wanted.length) {
      const bytes = area.bytes;
      // The name is NUL-terminated within namesz (the kernel writes "CORE\0" with namesz 5).
      const ends = namesz === wanted.length || bytes[nameAt + wanted.length] === 0;
      if (ends && wanted.equals(bytes.subarray(nameAt, nameAt + wanted.length)))
        return { name, type, desc: area.sub(descAt, descsz) };
    }
    at = descAt + align4(descsz);
  }
  return undefined;
}

export const NT_GNU_BUILD_ID = 3;

export function buildIdOf(areas: View[]): string | undefined {
  for (const area of areas) {
    const note = findNote(area, 'GNU', NT_GNU_BUILD_ID);
    if (note) return Buffer.from(note.desc.bytes).toString('hex');
  }
  return undefined;
}
