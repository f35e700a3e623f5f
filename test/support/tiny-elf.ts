/**
 * Small ELF64 files made by hand, for the cases no compiler or kernel writes:
 * an object with note sections but no program headers, segments pointing past
 * the end. Layouts: Elf64_Ehdr (64 bytes), Elf64_Phdr (56), Elf64_Shdr (64),
 * notes { namesz, descsz, type, name, desc } padded to 4 (the System V gABI).
 */

export interface TinySegment {
  type: number;
  /** File offset; by default the offset of `data`, placed after the tables. */
  offset?: number;
  data?: Buffer;
  filesz?: number;
  vaddr?: number;
}

export interface TinySection {
  name: string;
  type: number;
  offset?: number;
  data?: Buffer;
  size?: number;
}

const pad4 = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);

/** One note, its name written with its NUL. */
export function note(name: string, type: number, desc: Buffer): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, 'latin1');
  const head = Buffer.alloc(12);
  head.writeUInt32LE(nameBytes.length, 0);
  head.writeUInt32LE(desc.length, 4);
  head.writeUInt32LE(type, 8);
  return Buffer.concat([head, pad4(nameBytes), pad4(desc)]);
}

/**
 * An x86-64 ELF file of this e_type: the header, the program headers, the
 * section headers (a name table appended last, when there are sections), then
 * the data of each, in order.
 */
export function tinyElf(type: number, segments: TinySegment[] = [], sections: TinySection[] = []): Buffer {
  const listed = [...sections.map((s) => s.name), '.shstrtab'];
  const names = Buffer.from(`\0${listed.map((name) => `${name}\0`).join('')}`, 'latin1');
  const all = sections.length ? [...sections, { name: '.shstrtab', type: 3, data: names }] : [];
  const phoff = 64;
  const shoff = phoff + 56 * segments.length;
  let at = shoff + 64 * all.length;
  const blobs: Buffer[] = [];
  const place = (data: Buffer | undefined) => {
    if (!data) return 0;
    const offset = at;
    blobs.push(data);
    at += data.length;
    return offset;
  };
  const ph = Buffer.alloc(56 * segments.length);
  segments.forEach((s, i) => {
    const placed = place(s.data);
    ph.writeUInt32LE(s.type, 56 * i);
    ph.writeBigUInt64LE(BigInt(s.offset ?? placed), 56 * i + 8);
    ph.writeBigUInt64LE(BigInt(s.vaddr ?? 0), 56 * i + 16);
    ph.writeBigUInt64LE(BigInt(s.filesz ?? s.data?.length ?? 0), 56 * i + 32);
    ph.writeBigUInt64LE(BigInt(s.filesz ?? s.data?.length ?? 0), 56 * i + 40);
  });
  const sh = Buffer.alloc(64 * all.length);
  let nameAt = 1;
  all.forEach((s, i) => {
    const placed = place(s.data);
    sh.writeUInt32LE(nameAt, 64 * i);
    nameAt += s.name.length + 1;
    sh.writeUInt32LE(s.type, 64 * i + 4);
    sh.writeBigUInt64LE(BigInt(s.offset ?? placed), 64 * i + 24);
    sh.writeBigUInt64LE(BigInt(s.size ?? s.data?.length ?? 0), 64 * i + 32);
  });
  const header = Buffer.alloc(64);
  header.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  header.writeUInt16LE(type, 16);
  header.writeUInt16LE(62, 18);
  header.writeBigUInt64LE(BigInt(segments.length ? phoff : 0), 32);
  header.writeBigUInt64LE(BigInt(all.length ? shoff : 0), 40);
  header.writeUInt16LE(64, 52);
  header.writeUInt16LE(56, 54);
  header.writeUInt16LE(segments.length, 56);
  header.writeUInt16LE(64, 58);
  header.writeUInt16LE(all.length, 60);
  header.writeUInt16LE(all.length ? all.length - 1 : 0, 62);
  return Buffer.concat([header, ph, sh, ...blobs]);
}
