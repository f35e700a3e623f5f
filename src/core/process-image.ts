import { AT_ENTRY, ET_CORE, ET_DYN, PF_W, PHDR_SIZE, PT_LOAD, PT_NOTE } from '../elf/constants.js';
import type { ElfFile } from '../elf/elf-file.js';
import { ELF_HEADER_SIZE, headerFields } from '../elf/header.js';
import { buildIdOf, MAX_NOTE_AREA } from '../elf/notes.js';
import { parseSegments } from '../elf/segments.js';
import { View } from '../elf/view.js';
import { EXIT, UserError } from '../errors.js';
import { AddressSpace, type MemoryRegion } from './address-space.js';
import type { CoreDump } from './core-dump.js';

/** The crashed process as the analyzer sees it: the executable placed at its load address, over the core's memory. */
export interface ProcessImage {
  exe: ElfFile;
  core: CoreDump;
  /** Load bias: run-time address minus link-time address (0 unless PIE). */
  bias: number;
  memory: AddressSpace;
  /** How we know the core belongs to the executable. */
  matchedBy: 'build-id' | 'mappings';
}

const PAGE = 4096;
const pageDown = (n: number) => n - (n % PAGE);

export function bindProcess(exe: ElfFile, core: CoreDump): ProcessImage {
  if (exe.header.type === ET_CORE) {
    throw new UserError(
      `${exe.reader.name} is a core dump, not an executable`,
      EXIT.usage,
      'Pass the executable first and the core second: lwt-regress analyze <executable> <core>',
    );
  }
  const bias = loadBias(exe, core);
  const coreRegions: MemoryRegion[] = core.loads.map((s) => ({
    start: s.vaddr,
    end: s.vaddr + s.filesz,
    reader: core.elf.reader,
    offset: s.offset,
    origin: 'core',
    writable: (s.flags & PF_W) !== 0,
  }));
  const coreOnly = new AddressSpace(coreRegions);
  const matchedBy = checkBelongs(exe, core, bias, coreOnly);
  const exeRegions: MemoryRegion[] = exe.segments
    .filter((s) => s.type === PT_LOAD && s.filesz > 0)
    .map((s) => ({
      start: s.vaddr + bias,
      end: s.vaddr + bias + s.filesz,
      reader: exe.reader,
      offset: s.offset,
      origin: 'executable',
      writable: (s.flags & PF_W) !== 0,
    }));
  return { exe, core, bias, memory: new AddressSpace([...coreRegions, ...exeRegions]), matchedBy };
}

function mismatch(exe: ElfFile, core: CoreDump, why: string): UserError {
  return new UserError(
    `core ${core.elf.reader.name} was not dumped by executable ${exe.reader.name}: ${why}`,
    EXIT.mismatch,
    'Pass the exact binary that crashed (the same build; lwt-regress keeps it beside the core in artifacts/)',
  );
}

/**
 * The build-id of the program that crashed, read from its ELF header and
 * notes as the kernel dumped them (the first page of every ELF mapping is kept
 * by default): the mapping at file offset 0 of the file that holds the entry point.
 */
function mainProgramBuildId(core: CoreDump, memory: AddressSpace): string | undefined {
  const entry = core.auxv.get(AT_ENTRY);
  if (entry === undefined) return undefined;
  const holder = core.files.find((f) => entry >= f.start && entry < f.end);
  const base = holder && core.files.find((f) => f.path === holder.path && f.fileOffset === 0);
  if (!base) return undefined;
  const header = memory.read(base.start, ELF_HEADER_SIZE);
  if (!header) return undefined;
  const { phoff, phnum } = headerFields(new View(header, 'program header in the core'));
  const table = memory.read(base.start + phoff, phnum * PHDR_SIZE);
  if (!table || phnum === 0) return undefined;
  const segments = parseSegments(new View(table, 'program headers in the core'), phnum, PHDR_SIZE);
  const first = segments.find((s) => s.type === PT_LOAD);
  if (first === undefined) return undefined;
  const loadBias = base.start - pageDown(first.vaddr);
  for (const s of segments.filter((s) => s.type === PT_NOTE)) {
    const notes = s.filesz <= MAX_NOTE_AREA ? memory.read(s.vaddr + loadBias, s.filesz) : undefined;
    const id = notes && buildIdOf([new View(notes, 'notes in the core')]);
    if (id) return id;
  }
  return undefined;
}

function loadBias(exe: ElfFile, core: CoreDump): number {
  const entry = core.auxv.get(AT_ENTRY);
  if (entry !== undefined) {
    const bias = entry - exe.header.entry;
    if (exe.header.type !== ET_DYN && bias !== 0)
      throw mismatch(
        exe,
        core,
        `the process started at 0x${entry.toString(16)}, ` +
          `the executable's entry point is 0x${exe.header.entry.toString(16)}`,
      );
    if (bias % PAGE !== 0)
      throw mismatch(
        exe,
        core,
        `entry point 0x${entry.toString(16)} in the core does not fit ` +
          `the executable's 0x${exe.header.entry.toString(16)}`,
      );
    return bias;
  }
  if (exe.header.type !== ET_DYN) return 0;
  const first = exe.segments.find((s) => s.type === PT_LOAD);
  const name = exe.reader.name.split('/').pop();
  const mapping = core.files.find((f) => f.fileOffset === 0 && f.path.split('/').pop() === name);
  if (!first || !mapping)
    throw mismatch(exe, core, 'the core records neither its entry point nor a mapping of this file');
  return mapping.start - pageDown(first.vaddr);
}

/**
 * Build-id when the core kept the executable's first page (the default), else
 * the layout of its mappings. The mappings are checked in both cases: the load
 * bias comes from the entry point in the auxiliary vector, and a bias that
 * does not put the executable's segments where the process mapped them would
 * misplace every frame, whatever proved the build.
 */
function checkBelongs(exe: ElfFile, core: CoreDump, bias: number, coreMemory: AddressSpace): ProcessImage['matchedBy'] {
  const coreId = mainProgramBuildId(core, coreMemory);
  if (exe.buildId && coreId && coreId !== exe.buildId)
    throw mismatch(exe, core, `build-id ${coreId} in the core, ${exe.buildId} in the executable`);
  // Linux maps each PT_LOAD from its page-aligned file offset at its page-aligned
  // address plus the bias (fs/binfmt_elf.c).
  const loads = exe.segments.filter((s) => s.type === PT_LOAD && s.filesz > 0);
  const mapped = loads.every((s) =>
    core.files.some((f) => f.start === pageDown(s.vaddr + bias) && f.fileOffset === pageDown(s.offset)),
  );
  const fromEntry = core.auxv.has(AT_ENTRY) ? ' (from the entry point in the auxiliary vector)' : '';
  if (core.files.length > 0 && !mapped)
    throw mismatch(
      exe,
      core,
      "the process's file mappings do not hold the executable's segments " +
        `at load bias 0x${bias.toString(16)}${fromEntry}`,
    );
  if (exe.buildId && coreId) return 'build-id';
  if (core.files.length === 0 && core.auxv.size === 0)
    throw mismatch(
      exe,
      core,
      'the core has neither a build-id, file mappings nor an auxiliary vector to check against',
    );
  return 'mappings';
}
