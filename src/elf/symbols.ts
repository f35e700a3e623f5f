import type { ByteReader } from './byte-reader.js';
import { SHN_UNDEF, SHT_DYNSYM, SHT_SYMTAB, STT_FUNC, STT_NOTYPE, STT_OBJECT } from './constants.js';
import { type Section, sectionView } from './sections.js';
import { u64At, type View } from './view.js';

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
    const symbols = new DataView(table.bytes.buffer, table.bytes.byteOffset, table.length);
    const u64 = (at: number) => u64At(symbols, at);
    // One symbol per start, the largest where several share it (aliases); no object per symbol, and
    // the starts sorted natively: this runs once per analysis, before any of it is optimized.
    const byStart = new Map<number, number>();
    for (let at = SYM_SIZE; at + SYM_SIZE <= table.length; at += SYM_SIZE) {
      if ((symbols.getUint8(at + 4) & 0xf) !== STT_FUNC || symbols.getUint16(at + 6, true) === SHN_UNDEF) continue;
      const start = u64(at + 8);
      if (start === 0) continue;
      const other = byStart.get(start);
      if (other === undefined || u64(at + 16) > u64(other + 16)) byStart.set(start, at);
    }
    const starts = Float64Array.from(byStart.keys()).sort();
    const ends = new Float64Array(starts.length);
    const nameOffsets = new Uint32Array(starts.length);
    for (let i = 0; i < starts.length; i++) {
      const at = byStart.get(starts[i]!)!;
      const size = u64(at + 16);
      // A symbol without a size reaches to the next one.
      ends[i] = size > 0 ? starts[i]! + size : (starts[i + 1] ?? starts[i]! + 1);
      nameOffsets[i] = symbols.getUint32(at, true);
    }
    return new SymbolTable(starts, ends, nameOffsets, strings, table, symtab ? 'symtab' : 'dynsym');
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

  /**
   * The name is found in the string table first, by a native search; the
   * symbols are then compared by name offset alone.
   */
  private addressOf(name: string, accept: (kind: number) => boolean): number | undefined {
    const { table, strings } = this;
    if (!table || !strings) return undefined;
    const names = Buffer.from(strings.bytes.buffer, strings.bytes.byteOffset, strings.length);
    const wanted = Buffer.from(`${name}\0`, 'latin1');
    // Every place the name ends a string: a symbol's name may be the tail of a longer one.
    const offsets = new Set<number>();
    for (let at = names.indexOf(wanted); at >= 0; at = names.indexOf(wanted, at + 1)) offsets.add(at);
    if (offsets.size === 0) return undefined;
    for (let at = SYM_SIZE; at + SYM_SIZE <= table.length; at += SYM_SIZE) {
      if (offsets.has(table.u32(at)) && accept(table.u8(at + 4) & 0xf) && table.u16(at + 6) !== 0)
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
