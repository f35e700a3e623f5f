import type { ByteReader } from '../elf/byte-reader.js';
import { ET_CORE, ET_DYN, ET_EXEC, NT_AUXV, NT_FILE, NT_PRSTATUS, NT_SIGINFO, PT_LOAD } from '../elf/constants.js';
import { type ElfFile, findElfNote, openElf } from '../elf/elf-file.js';
import type { Segment } from '../elf/segments.js';
import { CorruptInputError, EXIT, UserError } from '../errors.js';
import { type FileMapping, parseAuxv, parseFileNote, parseSigInfo, type SignalInfo } from './notes.js';
import { parsePrStatus, type ThreadStatus } from './registers.js';

export interface CoreDump {
  elf: ElfFile;
  /** The first thread in the core: the kernel puts the one that took the fatal signal first. */
  thread: ThreadStatus;
  signal: SignalInfo | undefined;
  auxv: Map<number, number>;
  files: FileMapping[];
  /** Dumped memory (PT_LOAD with file contents). */
  loads: Segment[];
}

export function openCore(reader: ByteReader): CoreDump {
  const elf = openElf(reader);
  if (elf.header.type !== ET_CORE) {
    const type = elf.header.type;
    const what = type === ET_EXEC || type === ET_DYN ? 'executable or library' : `file of type ${type}`;
    throw new UserError(
      `${reader.name} is an ELF ${what}, not a core dump`,
      EXIT.usage,
      'Pass the executable first and the core second: lwt-regress analyze <executable> <core>',
    );
  }
  const status = findElfNote(elf, 'CORE', NT_PRSTATUS);
  if (!status) throw new CorruptInputError(reader.name, 'no NT_PRSTATUS note, so no registers');
  const loads = elf.segments.filter((s) => s.type === PT_LOAD);
  for (const s of loads) {
    if (s.filesz > 0 && s.offset + s.filesz > reader.size) {
      throw new CorruptInputError(
        reader.name,
        `memory at 0x${s.vaddr.toString(16)} should end at file offset ${s.offset + s.filesz} ` +
          `but the file has ${reader.size} bytes`,
      );
    }
  }
  const siginfo = findElfNote(elf, 'CORE', NT_SIGINFO);
  const auxv = findElfNote(elf, 'CORE', NT_AUXV);
  const files = findElfNote(elf, 'CORE', NT_FILE);
  return {
    elf,
    thread: parsePrStatus(status.desc),
    signal: siginfo ? parseSigInfo(siginfo.desc) : undefined,
    auxv: auxv ? parseAuxv(auxv.desc) : new Map(),
    files: files ? parseFileNote(files.desc) : [],
    loads: loads.filter((s) => s.filesz > 0),
  };
}
