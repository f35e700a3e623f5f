import type { ByteReader } from './byte-reader.js';
import { type Section, SHT_DYNSYM, SHT_SYMTAB, sectionView } from './sections.js';
import type { View } from './view.js';

const STT_NOTYPE = 0;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const SYM_SIZE = 24;

export interface SymbolHit {
  name: string;
  /** Link-time address of the symbol. */
  address: number;
  /** Distance of the looked-up address from the symbol's start. */
  offset: number;
}

/**
 * The executable's symbols, from .symtab or else .dynsym (a stripped file
 * keeps the dynamic ones), each table and its names read once. Function
 * symbols are sorted by address and looked up by binary search over a typed
 * array: a deep stack asks for hundreds of thousands of look-ups.
 */
export class SymbolTable {
  private constructor(
    private readonly starts: Float64Array,
    private readonly ends: Float64Array,
    /** Offsets into the string table: names are decoded only for the few frames reported. */
    private readonly nameOffsets: Uint32Array,
    private readonly strings: View | undefined,
    private readonly table: View | undefined,
    /** Which table the symbols came from: 'symtab', 'dynsym' or 'none'. */
    readonly source: 'symtab' | 'dynsym' | 'none',
  ) {}

  static read(reader: ByteReader, sections: Section[]): SymbolTable {
    const symtab = sections.find((s) => s.type === SHT_SYMTAB);
    const dynsym = sections.find((s) => s.type === SHT_DYNSYM);
    const chosen = symtab ?? dynsym;
    if (!chosen)
      return new SymbolTable(
        new Float64Array(0),
        new Float64Array(0),
        new Uint32Array(0),
        undefined,
        undefined,
        'none',
      );
    const strtab = sections[chosen.link];
    const strings = strtab ? sectionView(reader, strtab) : undefined;
    const table = sectionView(reader, chosen);
    const found: { start: number; size: number; name: number }[] = [];
    for (let at = SYM_SIZE; at + SYM_SIZE <= table.length; at += SYM_SIZE) {
      const info = table.u8(at + 4);
      const shndx = table.u16(at + 6);
      const value = table.u64(at + 8);
      if ((info & 0xf) !== STT_FUNC || shndx === 0 || value === 0) continue;
      found.push({ start: value, size: table.u64(at + 16), name: table.u32(at) });
    }
    found.sort((a, b) => a.start - b.start || b.size - a.size);
    const unique = found.filter((s, i) => i === 0 || s.start !== found[i - 1]!.start);
    const starts = new Float64Array(unique.length);
    const ends = new Float64Array(unique.length);
    unique.forEach((s, i) => {
      starts[i] = s.start;
      // A symbol without a size reaches to the next one.
      ends[i] = s.size > 0 ? s.start + s.size : (unique[i + 1]?.start ?? s.start + 1);
    });
    return new SymbolTable(
      starts,
      ends,
      Uint32Array.from(unique, (s) => s.name),
      strings,
      table,
      symtab ? 'symtab' : 'dynsym',
    );
  }

  /**
   * The link-time address of a data symbol (OCaml's `caml_frametable` is a
   * NOTYPE label in .data).
   */
  dataAddress(name: string): number | undefined {
    return this.addressOf(name, (kind) => kind === STT_OBJECT || kind === STT_NOTYPE);
  }

  /** The link-time address of a function symbol (`caml_runstack`). */
  functionAddress(name: string): number | undefined {
    return this.addressOf(name, (kind) => kind === STT_FUNC);
  }

  /** Names are compared in place: decoding every name of a large table costs more than the whole walk. */
  private addressOf(name: string, accept: (kind: number) => boolean): number | undefined {
    const { table, strings } = this;
    if (!table || !strings) return undefined;
    const wanted = Buffer.from(`${name}\0`, 'latin1');
    for (let at = SYM_SIZE; at + SYM_SIZE <= table.length; at += SYM_SIZE) {
      if (!accept(table.u8(at + 4) & 0xf) || table.u16(at + 6) === 0) continue;
      const offset = table.u32(at);
      if (
        offset + wanted.length <= strings.length &&
        wanted.equals(strings.bytes.subarray(offset, offset + wanted.length))
      )
        return table.u64(at + 8);
    }
    return undefined;
  }

  /** The function containing a link-time address, if any. */
  lookup(address: number): SymbolHit | undefined {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]! <= address) lo = mid + 1;
      else hi = mid - 1;
    }
    if (hi < 0 || address >= this.ends[hi]!) return undefined;
    const start = this.starts[hi]!;
    return {
      name: this.strings ? this.strings.cstring(this.nameOffsets[hi]!) : '',
      address: start,
      offset: address - start,
    };
  }
}
