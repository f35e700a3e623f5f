/**
 * The ELF numbers lwt-regress reads, in one place. Values are those of the
 * System V gABI and Linux's <elf.h> (include/uapi/linux/elf.h, auxvec.h).
 */

/** e_ident[EI_CLASS] and e_ident[EI_DATA]: the one layout read, 64-bit little-endian. */
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;

/** e_type: what the file is. */
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

/** e_machine: the one architecture read. */
export const EM_X86_64 = 62;

/** p_type and p_flags of a program header. */
export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const PF_X = 1;
export const PF_W = 2;
/** Bytes of one ELF64 program header (Elf64_Phdr). */
export const PHDR_SIZE = 56;

/** sh_type of a section header. */
export const SHT_SYMTAB = 2;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;

/** st_shndx of a symbol defined nowhere in this file. */
export const SHN_UNDEF = 0;

/** The type in a symbol's st_info (its low four bits). */
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;

/** Note types in a Linux core ("CORE" notes; NT_SIGINFO and NT_FILE spell "SIGI" and "FILE"). */
export const NT_PRSTATUS = 1;
export const NT_AUXV = 6;
export const NT_SIGINFO = 0x53494749;
export const NT_FILE = 0x46494c45;

/** An auxiliary vector entry: the program's entry point. */
export const AT_ENTRY = 9;
