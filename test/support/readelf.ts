import { execa } from 'execa';

/**
 * GNU readelf on the same files as the analyzer: the independent oracle for
 * the ELF reader (header, program headers, section headers, symbols, build-id).
 */
async function readelf(args: string[], file: string): Promise<string> {
  return (await execa('readelf', ['-W', ...args, file])).stdout;
}

const TYPES: Record<string, number> = { NONE: 0, REL: 1, EXEC: 2, DYN: 3, CORE: 4 };

export interface ReadelfHeader {
  type: number;
  entry: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  shoff: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
}

export async function readelfHeader(file: string): Promise<ReadelfHeader> {
  const out = await readelf(['-h'], file);
  const field = (label: string) => {
    const m = new RegExp(`^\\s*${label}:\\s+(\\S+)`, 'm').exec(out);
    if (!m) throw new Error(`readelf -h ${file}: no "${label}"`);
    return m[1]!;
  };
  const num = (label: string) => Number(field(label));
  return {
    type: TYPES[field('Type')]!,
    entry: num('Entry point address'),
    phoff: num('Start of program headers'),
    phentsize: num('Size of program headers'),
    phnum: num('Number of program headers'),
    shoff: num('Start of section headers'),
    shentsize: num('Size of section headers'),
    shnum: num('Number of section headers'),
    shstrndx: num('Section header string table index'),
  };
}

export interface ReadelfSegment {
  type: string;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  /** PF_R 4, PF_W 2, PF_X 1, from readelf's `RWE` column. */
  flags: number;
}

export async function readelfSegments(file: string): Promise<ReadelfSegment[]> {
  const out = await readelf(['-l'], file);
  const segments: ReadelfSegment[] = [];
  const re = /^\s+(\S+)\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x[0-9a-f]+ 0x([0-9a-f]+) 0x([0-9a-f]+) (.{3}) 0x/gm;
  for (const m of out.matchAll(re)) {
    const f = m[6]!;
    segments.push({
      type: m[1]!,
      offset: parseInt(m[2]!, 16),
      vaddr: parseInt(m[3]!, 16),
      filesz: parseInt(m[4]!, 16),
      memsz: parseInt(m[5]!, 16),
      flags: (f[0] === 'R' ? 4 : 0) | (f[1] === 'W' ? 2 : 0) | (f[2] === 'E' ? 1 : 0),
    });
  }
  return segments;
}

const SECTION_FLAGS: Record<string, number> = {
  W: 0x1,
  A: 0x2,
  X: 0x4,
  M: 0x10,
  S: 0x20,
  I: 0x40,
  L: 0x80,
  G: 0x200,
  T: 0x400,
};

export interface ReadelfSection {
  index: number;
  name: string;
  type: string;
  addr: number;
  offset: number;
  size: number;
  entsize: number;
  flags: number;
  link: number;
}

/** Every section but the null one at index 0, which readelf prints without a name. */
export async function readelfSections(file: string): Promise<ReadelfSection[]> {
  const out = await readelf(['-S'], file);
  const sections: ReadelfSection[] = [];
  // [Nr] Name Type Address Off Size ES Flg Lk Inf Al
  const re = new RegExp(
    String.raw`^\s*\[\s*(\d+)\] (\S+)\s+(\S+)\s+([0-9a-f]{16}) ([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]{2})` +
      String.raw`\s+([A-Za-z]*)\s+(\d+)\s+\d+\s+\d+$`,
    'gm',
  );
  for (const m of out.matchAll(re)) {
    sections.push({
      index: Number(m[1]),
      name: m[2]!,
      type: m[3]!,
      addr: parseInt(m[4]!, 16),
      offset: parseInt(m[5]!, 16),
      size: parseInt(m[6]!, 16),
      entsize: parseInt(m[7]!, 16),
      flags: [...m[8]!].reduce((sum, letter) => sum | (SECTION_FLAGS[letter] ?? 0), 0),
      link: Number(m[9]),
    });
  }
  return sections;
}

export async function readelfBuildId(file: string): Promise<string | undefined> {
  return /Build ID: ([0-9a-f]+)/.exec(await readelf(['-n'], file))?.[1];
}

export interface ReadelfSymbol {
  value: number;
  size: number;
  type: string;
  name: string;
  defined: boolean;
}

/** The symbols of one table (`.symtab` or `.dynsym`), as readelf lists them. */
export async function readelfSymbols(file: string, table: '.symtab' | '.dynsym'): Promise<ReadelfSymbol[]> {
  const out = await readelf(table === '.symtab' ? ['--syms'] : ['--dyn-syms'], file);
  const start = out.indexOf(`Symbol table '${table}'`);
  if (start < 0) return [];
  const next = out.indexOf("Symbol table '", start + 1);
  const body = out.slice(start, next < 0 ? undefined : next);
  const symbols: ReadelfSymbol[] = [];
  for (const m of body.matchAll(/^\s*\d+: ([0-9a-f]{16})\s+(\d+|0x[0-9a-f]+) (\S+)\s+\S+\s+\S+\s+(\S+)(?: (\S+))?/gm)) {
    symbols.push({
      value: parseInt(m[1]!, 16),
      size: Number(m[2]),
      type: m[3]!,
      defined: m[4] !== 'UND',
      name: (m[5] ?? '').replace(/@.*$/, ''),
    });
  }
  return symbols;
}
