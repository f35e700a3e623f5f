import { copyFile, type FileHandle, open, stat } from 'node:fs/promises';
import { PT_LOAD, PT_NOTE } from '../../src/elf/constants.js';

/**
 * Crafting hostile inputs from real files: copies an ELF file (a core made
 * by the fixtures, or an executable) and patches it in place, by position,
 * without loading a large core into memory. Layouts: ELF64 header, program
 * headers (56 bytes), section headers (64 bytes), symbols (24 bytes), notes.
 */
export interface ProgramHeader {
  /** File offset of this header. */
  at: number;
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
}

export interface SectionHeader {
  at: number;
  name: string;
  type: number;
  offset: number;
  size: number;
  link: number;
}

export class ElfPatch {
  private constructor(
    private readonly file: FileHandle,
    readonly path: string,
  ) {}

  static async copy(from: string, to: string): Promise<ElfPatch> {
    await copyFile(from, to);
    return new ElfPatch(await open(to, 'r+'), to);
  }

  async size(): Promise<number> {
    return (await stat(this.path)).size;
  }

  async bytes(at: number, length: number): Promise<Buffer> {
    const b = Buffer.alloc(length);
    await this.file.read(b, 0, length, at);
    return b;
  }

  async u16(at: number): Promise<number> {
    return (await this.bytes(at, 2)).readUInt16LE(0);
  }

  async u32(at: number): Promise<number> {
    return (await this.bytes(at, 4)).readUInt32LE(0);
  }

  async u64(at: number): Promise<number> {
    return Number((await this.bytes(at, 8)).readBigUInt64LE(0));
  }

  async write(at: number, bytes: Uint8Array): Promise<void> {
    await this.file.write(bytes, 0, bytes.length, at);
  }

  async setU32(at: number, value: number): Promise<void> {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    await this.write(at, b);
  }

  async setU64(at: number, value: number): Promise<void> {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(value));
    await this.write(at, b);
  }

  /** Makes the file `size` bytes long; what is added reads as zeros and takes no disk space. */
  async extendTo(size: number): Promise<void> {
    await this.file.truncate(size);
  }

  /** Writes `bytes` at the end of the file, at an offset aligned to `align`; returns that offset. */
  async append(bytes: Uint8Array, align = 8): Promise<number> {
    const end = await this.size();
    const at = Math.ceil(end / align) * align;
    await this.write(at, bytes);
    return at;
  }

  async programHeaders(): Promise<ProgramHeader[]> {
    const phoff = await this.u64(32);
    const phnum = await this.u16(56);
    const table = await this.bytes(phoff, phnum * 56);
    return Array.from({ length: phnum }, (_, i) => {
      const p = i * 56;
      return {
        at: phoff + p,
        type: table.readUInt32LE(p),
        flags: table.readUInt32LE(p + 4),
        offset: Number(table.readBigUInt64LE(p + 8)),
        vaddr: Number(table.readBigUInt64LE(p + 16)),
        filesz: Number(table.readBigUInt64LE(p + 32)),
        memsz: Number(table.readBigUInt64LE(p + 40)),
      };
    });
  }

  async setSegment(ph: ProgramHeader, fields: { offset?: number; filesz?: number }): Promise<void> {
    if (fields.offset !== undefined) await this.setU64(ph.at + 8, fields.offset);
    if (fields.filesz !== undefined) await this.setU64(ph.at + 32, fields.filesz);
  }

  /** The file offset of a virtual address in a core's dumped memory. */
  async fileOffsetOf(vaddr: number): Promise<number> {
    const load = (await this.programHeaders()).find(
      (p) => p.type === PT_LOAD && vaddr >= p.vaddr && vaddr < p.vaddr + p.filesz,
    );
    if (!load) throw new Error(`${this.path} holds no memory at 0x${vaddr.toString(16)}`);
    return load.offset + (vaddr - load.vaddr);
  }

  /**
   * Adds a writable PT_LOAD holding `bytes` at `vaddr`: the program header
   * table is rewritten at the end of the file with one more entry.
   */
  async addSegment(vaddr: number, bytes: Uint8Array): Promise<void> {
    const phoff = await this.u64(32);
    const phnum = await this.u16(56);
    const offset = await this.append(bytes, 4096);
    const entry = Buffer.alloc(56);
    entry.writeUInt32LE(PT_LOAD, 0);
    entry.writeUInt32LE(6, 4); // PF_R | PF_W
    entry.writeBigUInt64LE(BigInt(offset), 8);
    entry.writeBigUInt64LE(BigInt(vaddr), 16);
    entry.writeBigUInt64LE(BigInt(bytes.length), 32);
    entry.writeBigUInt64LE(BigInt(bytes.length), 40);
    entry.writeBigUInt64LE(4096n, 48);
    const table = Buffer.concat([await this.bytes(phoff, phnum * 56), entry]);
    const tableAt = await this.append(table);
    await this.setU64(32, tableAt);
    const count = Buffer.alloc(2);
    count.writeUInt16LE(phnum + 1);
    await this.write(56, count);
  }

  async sectionHeaders(): Promise<SectionHeader[]> {
    const shoff = await this.u64(40);
    const shnum = await this.u16(60);
    const shstrndx = await this.u16(62);
    const table = await this.bytes(shoff, shnum * 64);
    const raw = Array.from({ length: shnum }, (_, i) => {
      const p = i * 64;
      return {
        at: shoff + p,
        nameOffset: table.readUInt32LE(p),
        type: table.readUInt32LE(p + 4),
        offset: Number(table.readBigUInt64LE(p + 24)),
        size: Number(table.readBigUInt64LE(p + 32)),
        link: table.readUInt32LE(p + 40),
      };
    });
    const names = raw[shstrndx]!;
    const strings = await this.bytes(names.offset, names.size);
    return raw.map(({ nameOffset, ...s }) => ({
      ...s,
      name: strings.toString('latin1', nameOffset, strings.indexOf(0, nameOffset)),
    }));
  }

  async section(name: string): Promise<SectionHeader> {
    const found = (await this.sectionHeaders()).find((s) => s.name === name);
    if (!found) throw new Error(`${this.path} has no section ${name}`);
    return found;
  }

  /** File offset of the .symtab entry of a symbol. */
  async symbolEntry(name: string): Promise<number> {
    const symtab = await this.section('.symtab');
    const strtab = (await this.sectionHeaders())[symtab.link]!;
    const symbols = await this.bytes(symtab.offset, symtab.size);
    const strings = await this.bytes(strtab.offset, strtab.size);
    for (let p = 0; p + 24 <= symbols.length; p += 24) {
      const at = symbols.readUInt32LE(p);
      if (strings.toString('latin1', at, strings.indexOf(0, at)) === name) return symtab.offset + p;
    }
    throw new Error(`${this.path} has no symbol ${name}`);
  }

  /** File offset of the descriptor of the first note of this owner and type in the PT_NOTE segments. */
  async noteDesc(owner: string, type: number): Promise<{ at: number; size: number }> {
    for (const ph of (await this.programHeaders()).filter((p) => p.type === PT_NOTE)) {
      const area = await this.bytes(ph.offset, ph.filesz);
      for (let p = 0; p + 12 <= area.length; ) {
        const namesz = area.readUInt32LE(p);
        const descsz = area.readUInt32LE(p + 4);
        const descAt = p + 12 + Math.ceil(namesz / 4) * 4;
        if (area.readUInt32LE(p + 8) === type && area.toString('latin1', p + 12, p + 12 + namesz - 1) === owner)
          return { at: ph.offset + descAt, size: descsz };
        p = descAt + Math.ceil(descsz / 4) * 4;
      }
    }
    throw new Error(`${this.path} has no ${owner} note of type ${type}`);
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}
