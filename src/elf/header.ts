import { EXIT, UserError } from '../errors.js';
import type { ByteReader } from './byte-reader.js';
import { ELFCLASS64, ELFDATA2LSB, EM_X86_64 } from './constants.js';
import { View } from './view.js';

export interface ElfHeader {
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

const MACHINES: Record<number, string> = {
  3: 'x86 (32-bit)',
  40: 'ARM',
  183: 'AArch64',
  243: 'RISC-V',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC64',
  22: 'S390',
};

/** Reads and validates the ELF header: only 64-bit little-endian x86-64 is supported. */
export function readElfHeader(reader: ByteReader): ElfHeader {
  checkIdent(reader);
  if (reader.size < ELF_HEADER_SIZE)
    throw new UserError(
      `${reader.name} is truncated: its ELF header is cut short`,
      EXIT.corrupt,
      'Re-capture or re-copy the file',
    );
  const v = View.read(reader, 0, ELF_HEADER_SIZE, 'ELF header');
  const machine = v.u16(18);
  if (machine !== EM_X86_64) {
    throw new UserError(
      `${reader.name} is an ELF file for ${MACHINES[machine] ?? `machine ${machine}`}, not x86-64`,
      EXIT.unsupportedFormat,
      'Analyze x86-64 executables and cores (run lwt-regress on the architecture that produced them)',
    );
  }
  return headerFields(v);
}

/** Bytes of the ELF64 header (Elf64_Ehdr). */
export const ELF_HEADER_SIZE = 64;

/** The fields of an ELF64 header already read (and, from a file, validated by readElfHeader). */
export function headerFields(v: View): ElfHeader {
  return {
    type: v.u16(16),
    entry: v.u64(24),
    phoff: v.u64(32),
    shoff: v.u64(40),
    phentsize: v.u16(54),
    phnum: v.u16(56),
    shentsize: v.u16(58),
    shnum: v.u16(60),
    shstrndx: v.u16(62),
  };
}

/** e_ident, the first 16 bytes: the magic, then the class (2: 64-bit) and the byte order (1: little-endian). */
function checkIdent(reader: ByteReader): void {
  if (reader.size === 0) {
    throw new UserError(
      `${reader.name} is empty`,
      EXIT.corrupt,
      'Check that the file was written completely (a core cut off by a full disk or a core size limit is empty)',
    );
  }
  const ident = reader.read(0, Math.min(16, reader.size));
  if (ident.length < 4 || ident[0] !== 0x7f || ident[1] !== 0x45 || ident[2] !== 0x4c || ident[3] !== 0x46) {
    throw new UserError(
      `${reader.name} is not an ELF file`,
      EXIT.unsupportedFormat,
      'Pass the OCaml executable and the core file it dumped (check the argument order: executable first, then core)',
    );
  }
  if (ident.length < 16)
    throw new UserError(
      `${reader.name} is truncated: its ELF header is cut short`,
      EXIT.corrupt,
      'Re-capture or re-copy the file',
    );
  if (ident[4] !== ELFCLASS64) {
    throw new UserError(
      `${reader.name} is a 32-bit ELF file; lwt-regress reads 64-bit x86-64 executables and cores only`,
      EXIT.unsupportedFormat,
      'Build and run the program as a 64-bit x86-64 binary',
    );
  }
  if (ident[5] !== ELFDATA2LSB) {
    throw new UserError(
      `${reader.name} is a big-endian ELF file; lwt-regress reads little-endian x86-64 files only`,
      EXIT.unsupportedFormat,
      'Analyze cores from x86-64 machines',
    );
  }
}
