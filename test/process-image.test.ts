/**
 * The executable placed over the core (src/core/process-image.ts), on small
 * programs and cores built by hand: how the load bias is found, which
 * build-id is compared, what the file mappings must show, and what the
 * process's memory is made of.
 */
import { describe, expect, it } from 'vitest';
import type { CoreDump } from '../src/core/core-dump.js';
import { bindProcess } from '../src/core/process-image.js';
import { parsePrStatus } from '../src/core/registers.js';
import { BufferReader } from '../src/elf/byte-reader.js';
import { AT_ENTRY, ET_CORE, ET_DYN, ET_EXEC, PF_W, PF_X, PT_LOAD, PT_NOTE } from '../src/elf/constants.js';
import { type ElfFile, openElf } from '../src/elf/elf-file.js';
import { MAX_NOTE_AREA } from '../src/elf/notes.js';
import type { Segment } from '../src/elf/segments.js';
import { View } from '../src/elf/view.js';
import { EXIT } from '../src/errors.js';
import { refusal } from './support/refusal.js';
import { note } from './support/tiny-elf.js';

const PF_R = 4;
const AT_PAGESZ = 6;
const PAGE = 0x1000;
const EXE = '/srv/app/server';
const CORE = '/srv/app/core';
const LIBC = '/usr/lib/libc.so.6';
/** Where the PIE was loaded: its load bias. */
const B = 0x5555_5550_0000;
const STACK = 0x7ffd_0000_0000;
const BUILD_ID = 'c0'.repeat(20);
const FIX = 'Pass the exact binary that crashed (the same build; lwt-regress keeps it beside the core in artifacts/)';

type Phdr = Omit<Segment, 'memsz'> & { memsz?: number };

/** A GNU build-id note (NT_GNU_BUILD_ID, 3) holding the 20 bytes of `id`. */
const buildIdNote = (id: string) => note('GNU', 3, Buffer.from(id, 'hex'));

/**
 * The file of an x86-64 program: ELF header, program headers from offset 64,
 * `size` bytes in all, with `put` bytes written at their file offsets.
 */
function elfBytes(type: number, entry: number, phdrs: Phdr[], size: number, put: [number, Uint8Array][] = []) {
  const bytes = new Uint8Array(size);
  const dv = new DataView(bytes.buffer);
  const u64 = (at: number, v: number) => dv.setBigUint64(at, BigInt(v), true);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  dv.setUint16(16, type, true);
  dv.setUint16(18, 62, true);
  dv.setUint32(20, 1, true);
  u64(24, entry);
  u64(32, 64);
  dv.setUint16(52, 64, true);
  dv.setUint16(54, 56, true);
  dv.setUint16(56, phdrs.length, true);
  phdrs.forEach((p, i) => {
    const at = 64 + i * 56;
    dv.setUint32(at, p.type, true);
    dv.setUint32(at + 4, p.flags, true);
    u64(at + 8, p.offset);
    u64(at + 16, p.vaddr);
    u64(at + 24, p.vaddr);
    u64(at + 32, p.filesz);
    u64(at + 40, p.memsz ?? p.filesz);
    u64(at + 48, PAGE);
  });
  for (const [at, b] of put) bytes.set(b, at);
  return bytes;
}

const load = (vaddr: number, offset: number, filesz: number, flags = PF_R, memsz = filesz): Phdr => ({
  type: PT_LOAD,
  flags,
  offset,
  vaddr,
  filesz,
  memsz,
});
const noteAt = (vaddr: number, offset: number, filesz = 36): Phdr => ({
  type: PT_NOTE,
  flags: PF_R,
  offset,
  vaddr,
  filesz,
});

/**
 * A PIE laid out as linkers do: a read-only first page (ELF header, program
 * headers, the build-id note at 0x200), code, data, and zeros only (.bss),
 * which has no file contents and so no file mapping.
 */
const PIE: Phdr[] = [
  load(0, 0, PAGE),
  load(0x10000, 0x1000, PAGE, PF_R | PF_X),
  load(0x20000, 0x2000, 0x800, PF_R | PF_W, PAGE),
  load(0x30000, 0x2800, 0, PF_R | PF_W, 0x4000),
  noteAt(0x200, 0x200),
];

interface Program {
  elf: ElfFile;
  bytes: Uint8Array;
}

function program(
  over: { type?: number; entry?: number; phdrs?: Phdr[]; put?: [number, Uint8Array][]; name?: string } = {},
): Program {
  const put = over.put ?? [[0x200, buildIdNote(BUILD_ID)]];
  const bytes = elfBytes(over.type ?? ET_DYN, over.entry ?? 0x10000, over.phdrs ?? PIE, 0x3000, put);
  return { elf: openElf(new BufferReader(bytes, over.name ?? EXE)), bytes };
}

interface Dumped {
  vaddr: number;
  bytes: Uint8Array;
  writable?: boolean;
}
interface Mapped {
  start: number;
  end: number;
  fileOffset: number;
  path: string;
}

/** A core as openCore gives it: `memory` laid out one after the other in the core file. */
function crash(memory: Dumped[], files: Mapped[], auxv: [number, number][]): CoreDump {
  const size = memory.reduce((n, m) => n + m.bytes.length, 0);
  const bytes = new Uint8Array(size);
  const loads: Segment[] = [];
  let offset = 0;
  for (const m of memory) {
    bytes.set(m.bytes, offset);
    const flags = m.writable ? PF_R | PF_W : PF_R;
    loads.push({ type: PT_LOAD, flags, offset, vaddr: m.vaddr, filesz: m.bytes.length, memsz: m.bytes.length });
    offset += m.bytes.length;
  }
  const header = { type: ET_CORE, entry: 0, phoff: 64, phentsize: 56, phnum: loads.length };
  const elf: ElfFile = {
    reader: new BufferReader(bytes, CORE),
    header: { ...header, shoff: 0, shentsize: 64, shnum: 0, shstrndx: 0 },
    segments: loads,
    sections: [],
    noteAreas: [],
    buildId: undefined,
  };
  // No test here looks at the registers: an NT_PRSTATUS of zeros.
  const thread = parsePrStatus(new View(new Uint8Array(336), 'prstatus'));
  return { elf, thread, signal: undefined, auxv: new Map(auxv), files, loads };
}

/** The kernel keeps the first page of every ELF mapping in a core: that of `exe`, where `start` maps it. */
const firstPage = (exe: Program, start = B): Dumped => ({ vaddr: start, bytes: exe.bytes.subarray(0, PAGE) });
const stack: Dumped = { vaddr: STACK, bytes: new Uint8Array(0x2000), writable: true };
const map = (start: number, fileOffset: number, path = EXE, size = PAGE): Mapped => ({
  start,
  end: start + size,
  fileOffset,
  path,
});
/** The PIE's mappings: its first page, its code and its data (the .bss is anonymous memory). */
const pieFiles = (at = B): Mapped[] => [map(at, 0), map(at + 0x10000, 0x1000), map(at + 0x20000, 0x2000)];
const libc = map(0x7f00_0000_0000, 0, LIBC);
const entryAt = (entry: number): [number, number][] => [
  [AT_PAGESZ, PAGE],
  [AT_ENTRY, entry],
];

describe('the executable placed over the core', () => {
  it('places a PIE at the bias of its entry point and matches it by the build-id of its dumped first page', () => {
    const exe = program();
    const image = bindProcess(exe.elf, crash([firstPage(exe), stack], [...pieFiles(), libc], entryAt(B + 0x10000)));
    expect(image.bias).toBe(B);
    expect(image.matchedBy).toBe('build-id');
    // The dumped first page comes from the core, read-only as the process had it.
    expect(image.memory.regionAt(B)).toMatchObject({ origin: 'core', writable: false });
    expect(image.memory.stackRegion(B + 0x100)).toBeUndefined();
    expect(image.memory.stackRegion(STACK + 0x100)?.start).toBe(STACK);
    // What the core did not dump comes from the file, writable as its program header says.
    expect(image.memory.regionAt(B + 0x10000)).toMatchObject({ origin: 'executable', writable: false });
    expect(image.memory.regionAt(B + 0x20000)).toMatchObject({ origin: 'executable', writable: true });
    expect(image.memory.read(B + 0x10000, 4)).toEqual(exe.bytes.subarray(0x1000, 0x1004));
  });

  it('makes memory of loaded segments with file contents only, not of the other program headers', () => {
    // A note segment outside every loaded one, as a linker script can leave it.
    const exe = program({ phdrs: [...PIE, noteAt(0x50000, 0x200)] });
    const image = bindProcess(exe.elf, crash([firstPage(exe), stack], pieFiles(), entryAt(B + 0x10000)));
    expect(image.matchedBy).toBe('build-id');
    expect(image.memory.regionAt(B + 0x50000)).toBeUndefined();
    expect(image.memory.read(B + 0x50000, 36)).toBeUndefined();
    // The .bss has no file contents: no memory of the executable's either.
    expect(image.memory.regionAt(B + 0x30000)).toBeUndefined();
  });

  it('refuses a core given as the executable, saying which file goes first', () => {
    const core = crash([stack], [], entryAt(B));
    const error = refusal(() => bindProcess(core.elf, core));
    expect(error.message).toBe(`${CORE} is a core dump, not an executable`);
    expect(error.exitCode).toBe(EXIT.usage);
    expect(error.fix).toBe('Pass the executable first and the core second: lwt-regress analyze <executable> <core>');
  });

  it('takes the build-id of the file mapped at the entry point, though another file ends right there', () => {
    // Libraries mapped below the executable, one in the gap just below its code, and above it:
    // none of their pages are in the core, so only the executable's first page can give a build-id.
    const files = [
      map(0x4000_0000, 0, '/usr/lib/libfirst.so'),
      map(B, 0),
      map(B + 0xf000, 0, '/usr/lib/libgap.so'),
      map(B + 0x10000, 0x1000),
      map(B + 0x20000, 0x2000),
      libc,
    ];
    const exe = program();
    const image = bindProcess(exe.elf, crash([firstPage(exe), stack], files, entryAt(B + 0x10000)));
    expect(image.matchedBy).toBe('build-id');
  });

  it('compares no build-id when the entry point lies in no file mapping: the mappings decide', () => {
    // The entry point in the unmapped gap below the code, the code mapped just above it.
    const exe = program({ entry: 0x8000 });
    const image = bindProcess(exe.elf, crash([firstPage(exe), stack], pieFiles(), entryAt(B + 0x8000)));
    expect(image.bias).toBe(B);
    expect(image.matchedBy).toBe('mappings');
  });

  it("reads the build-id and the bias from the executable's mapping at offset 0, not another of the same file", () => {
    // The program mapped part of its own file again, at a lower address.
    const files = [map(0x1000_0000, 0x1000), ...pieFiles(), libc];
    const exe = program();
    const withEntry = bindProcess(exe.elf, crash([firstPage(exe), stack], files, entryAt(B + 0x10000)));
    expect(withEntry.matchedBy).toBe('build-id');
    const withoutEntry = bindProcess(exe.elf, crash([firstPage(exe), stack], files, [[AT_PAGESZ, PAGE]]));
    expect(withoutEntry.bias).toBe(B);
    expect(withoutEntry.matchedBy).toBe('mappings');
  });

  it('places the program by its first loaded segment, whatever program header comes first', () => {
    // The note (in the second page) listed before the segments; the first two pages dumped.
    const phdrs = [noteAt(0x1200, 0x1200), load(0, 0, 0x2000), load(0x10000, 0x2000, PAGE, PF_R | PF_X)];
    const exe = program({ phdrs, put: [[0x1200, buildIdNote(BUILD_ID)]] });
    const firstPages = { vaddr: B, bytes: exe.bytes.subarray(0, 0x2000) };
    const files = [map(B, 0, EXE, 0x2000), map(B + 0x10000, 0x2000)];
    const withEntry = bindProcess(exe.elf, crash([firstPages, stack], files, entryAt(B + 0x10000)));
    expect(withEntry.bias).toBe(B);
    expect(withEntry.matchedBy).toBe('build-id');
    const withoutEntry = bindProcess(exe.elf, crash([firstPages, stack], files, [[AT_PAGESZ, PAGE]]));
    expect(withoutEntry.bias).toBe(B);
    expect(withoutEntry.matchedBy).toBe('mappings');
  });

  it('places a program linked at a fixed address where it was linked, matched by build-id', () => {
    const phdrs = [load(0x40_0000, 0, PAGE), load(0x41_0000, 0x1000, PAGE, PF_R | PF_X), noteAt(0x40_0200, 0x200)];
    const exe = program({ type: ET_EXEC, entry: 0x41_0000, phdrs });
    const files = [map(0x40_0000, 0), map(0x41_0000, 0x1000), libc];
    const image = bindProcess(exe.elf, crash([firstPage(exe, 0x40_0000), stack], files, entryAt(0x41_0000)));
    expect(image.bias).toBe(0);
    expect(image.matchedBy).toBe('build-id');
    expect(image.memory.regionAt(0x41_0000)?.origin).toBe('executable');
  });

  it('takes a program linked at a fixed address as loaded there when the core has no entry point nor mappings', () => {
    const phdrs = [load(0x40_0000, 0, PAGE), load(0x41_0000, 0x1000, PAGE, PF_R | PF_X), noteAt(0x40_0200, 0x200)];
    const exe = program({ type: ET_EXEC, entry: 0x41_0000, phdrs });
    const image = bindProcess(exe.elf, crash([stack], [], [[AT_PAGESZ, PAGE]]));
    expect(image.bias).toBe(0);
    expect(image.matchedBy).toBe('mappings');
  });

  it('refuses a core with neither file mappings nor an auxiliary vector: nothing ties it to the executable', () => {
    const exe = program({ type: ET_EXEC, entry: 0x41_0000, phdrs: [load(0x41_0000, 0x1000, PAGE, PF_R | PF_X)] });
    const error = refusal(() => bindProcess(exe.elf, crash([stack], [], [])));
    expect(error.message).toBe(
      `core ${CORE} was not dumped by executable ${EXE}: ` +
        'the core has neither a build-id, file mappings nor an auxiliary vector to check against',
    );
    expect(error.exitCode).toBe(EXIT.mismatch);
    expect(error.fix).toBe(FIX);
  });

  it('without an entry point, places a PIE by the mapping of its first page, wherever it was linked', () => {
    // Linked at 0x100000 (as prelinked objects are); no auxiliary vector at all.
    const phdrs = [load(0x10_0000, 0, PAGE), load(0x11_0000, 0x1000, PAGE, PF_R | PF_X), noteAt(0x10_0200, 0x200)];
    const exe = program({ entry: 0x11_0000, phdrs });
    const image = bindProcess(exe.elf, crash([stack], [map(B, 0), map(B + 0x10000, 0x1000)], []));
    expect(image.bias).toBe(B - 0x10_0000);
    expect(image.matchedBy).toBe('mappings');
    expect(image.memory.read(B + 0x10000, 4)).toEqual(exe.bytes.subarray(0x1000, 0x1004));
  });

  it('refuses mappings that miss a segment, or map it from another part of the file', () => {
    const exe = program();
    const noData = crash([stack], pieFiles().slice(0, 2), [[AT_PAGESZ, PAGE]]);
    const missing = refusal(() => bindProcess(exe.elf, noData));
    expect(missing.message).toBe(
      `core ${CORE} was not dumped by executable ${EXE}: ` +
        `the process's file mappings do not hold the executable's segments at load bias 0x${B.toString(16)}`,
    );
    expect(missing.exitCode).toBe(EXIT.mismatch);
    expect(missing.fix).toBe(FIX);
    const otherOffset = crash([stack], [...pieFiles().slice(0, 2), map(B + 0x20000, 0x3000)], [[AT_PAGESZ, PAGE]]);
    expect(refusal(() => bindProcess(exe.elf, otherOffset)).message).toBe(missing.message);
  });

  it('looks for the build-id in the note segments only, not in data that looks like a note', () => {
    // The data segment (dumped, as written memory is) starts with bytes shaped as another build-id note.
    const exe = program({
      put: [
        [0x200, buildIdNote(BUILD_ID)],
        [0x2000, buildIdNote('ee'.repeat(20))],
      ],
    });
    const data = { vaddr: B + 0x20000, bytes: exe.bytes.subarray(0x2000, 0x3000), writable: true };
    const image = bindProcess(exe.elf, crash([firstPage(exe), data, stack], pieFiles(), entryAt(B + 0x10000)));
    expect(image.matchedBy).toBe('build-id');
  });

  it('reads a note segment of up to 64 MiB in the core for the build-id, and no larger one', () => {
    const exe = program();
    // The core's program: the executable's layout, its note 64 MiB long at 0x100000 with another build-id.
    const notes = new Uint8Array(MAX_NOTE_AREA + 1);
    notes.set(buildIdNote('ab'.repeat(20)));
    const coreOf = (filesz: number) => {
      const header = elfBytes(ET_DYN, 0x10000, [...PIE.slice(0, 4), noteAt(0x10_0000, 0x4000, filesz)], PAGE);
      const memory = [{ vaddr: B, bytes: header }, { vaddr: B + 0x10_0000, bytes: notes }, stack];
      return crash(memory, pieFiles(), entryAt(B + 0x10000));
    };
    expect(refusal(() => bindProcess(exe.elf, coreOf(MAX_NOTE_AREA))).message).toBe(
      `core ${CORE} was not dumped by executable ${EXE}: build-id ${'ab'.repeat(20)} in the core, ` +
        `${BUILD_ID} in the executable`,
    );
    expect(bindProcess(exe.elf, coreOf(MAX_NOTE_AREA + 1)).matchedBy).toBe('mappings');
  });
});
