/**
 * What a core tells (src/core: registers, signal, auxiliary vector, file
 * mappings, dumped memory, the executable placed at its load address) against
 * gdb and readelf reading the same core.
 */
import { copyFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openCore } from '../src/core/core-dump.js';
import { parseAuxv, parseFileNote } from '../src/core/notes.js';
import { bindProcess } from '../src/core/process-image.js';
import { signalName } from '../src/core/signals.js';
import { BufferReader } from '../src/elf/byte-reader.js';
import { openElf } from '../src/elf/elf-file.js';
import { View } from '../src/elf/view.js';
import { EXIT } from '../src/errors.js';
import { FileReader } from '../src/io/file-reader.js';
import { ElfPatch } from './support/elf-patch.js';
import { gdbBatch } from './support/gdb.js';
import { readelfSegments } from './support/readelf.js';
import { refusal } from './support/refusal.js';
import { note, tinyElf } from './support/tiny-elf.js';

const crashes = inject('crashes');

interface GdbView {
  pid: number;
  terminatedBy: string;
  registers: Record<string, number>;
  siginfo: { signo: number; code: number; address: number };
  auxv: Map<number, number>;
  mappings: { start: number; end: number; offset: number; path: string }[];
  /** The 8-byte words at rsp, rsp + 8, … as gdb reads them from the core. */
  stackWords: number[];
  /** The bytes at the pc, from the executable's code (the kernel does not dump it). */
  codeBytes: number[];
}

const REGISTERS = ['rip', 'rsp', 'rbp', 'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi'].concat(
  Array.from({ length: 8 }, (_, i) => `r${8 + i}`),
);

async function gdbView(executable: string, core: string): Promise<GdbView> {
  const stdout = await gdbBatch(executable, core, [
    `info registers ${REGISTERS.join(' ')}`,
    'p/x $_siginfo.si_signo',
    'p/x $_siginfo.si_code',
    'p/x $_siginfo._sifields._sigfault.si_addr',
    'info auxv',
    'info proc mappings',
    'x/4gx $rsp',
    'x/8xb $pc',
  ]);
  const registers: Record<string, number> = {};
  for (const m of stdout.matchAll(/^(r\w+)\s+0x([0-9a-f]+)/gm)) registers[m[1]!] = parseInt(m[2]!, 16);
  const printed = [...stdout.matchAll(/^\$\d+ = (?:\(void \*\) )?0x([0-9a-f]+)/gm)].map((m) => parseInt(m[1]!, 16));
  const auxv = new Map<number, number>();
  for (const m of stdout.matchAll(/^(\d+)\s+\S+\s.*?\s(0x[0-9a-f]+|\d+)(?: "[^"]*")?$/gm))
    auxv.set(Number(m[1]), Number(m[2]));
  const mappings = [
    ...stdout.matchAll(/^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\/\S+)$/gm),
  ].map((m) => ({ start: parseInt(m[1]!, 16), end: parseInt(m[2]!, 16), offset: parseInt(m[3]!, 16), path: m[4]! }));
  const stackWords = [...stdout.matchAll(/^0x[0-9a-f]+:\s+0x([0-9a-f]{16})\s+0x([0-9a-f]{16})$/gm)].flatMap((m) => [
    parseInt(m[1]!, 16),
    parseInt(m[2]!, 16),
  ]);
  const codeLine = /^0x[0-9a-f]+ <[^>]+>:((?:\s+0x[0-9a-f]{2})+)$/m.exec(stdout)![1]!;
  // siginfo's si_code is an int: gdb prints a negative one in two's complement.
  const code = printed[1]! >= 0x8000_0000 ? printed[1]! - 0x1_0000_0000 : printed[1]!;
  return {
    pid: Number(/\[New LWP (\d+)\]/.exec(stdout)![1]),
    terminatedBy: /Program terminated with signal (\w+)/.exec(stdout)![1]!,
    registers,
    siginfo: { signo: printed[0]!, code, address: printed[2]! },
    auxv,
    mappings,
    stackWords,
    codeBytes: codeLine.trim().split(/\s+/).map(Number),
  };
}

describe('a core of a stack overflow', () => {
  let gdb: GdbView;
  let executable: string;
  let corePath: string;
  const withCore = <T>(f: (exe: FileReader, core: FileReader) => T): T => {
    const exe = FileReader.open(executable, 'executable');
    const core = FileReader.open(corePath, 'core');
    try {
      return f(exe, core);
    } finally {
      exe.close();
      core.close();
    }
  };

  beforeAll(async () => {
    ({ executable, core: corePath } = crashes['self-recursion']!);
    gdb = await gdbView(executable, corePath);
  });

  it('holds the registers gdb shows, the pid and the signal that stopped the thread', () => {
    const dump = withCore((_, core) => openCore(core));
    expect(Object.keys(gdb.registers)).toHaveLength(17);
    expect(dump.thread.registers).toMatchObject(gdb.registers);
    expect(dump.thread.pid).toBe(gdb.pid);
    expect(signalName(dump.thread.signal)).toBe(gdb.terminatedBy);
  });

  it("holds the fault's siginfo gdb shows: SIGSEGV, its code and the address below the stack", () => {
    const dump = withCore((_, core) => openCore(core));
    expect(dump.signal).toEqual(gdb.siginfo);
    expect(dump.signal?.signo).toBe(11);
  });

  it('holds the auxiliary vector gdb shows, entry point included', () => {
    const dump = withCore((_, core) => openCore(core));
    expect(gdb.auxv.size).toBeGreaterThan(10);
    // AT_NULL ends the vector and is not kept.
    const expected = new Map([...gdb.auxv].filter(([type]) => type !== 0));
    expect(dump.auxv).toEqual(expected);
    expect(dump.auxv.get(9)).toBeGreaterThan(0);
  });

  it("holds the file mappings gdb shows, each with its file's path and offset", () => {
    const dump = withCore((_, core) => openCore(core));
    expect(gdb.mappings.length).toBeGreaterThan(3);
    expect(dump.files).toEqual(
      gdb.mappings.map((m) => ({ start: m.start, end: m.end, fileOffset: m.offset, path: m.path })),
    );
  });

  it('dumps as memory the PT_LOAD segments readelf lists with file contents', async () => {
    const dump = withCore((_, core) => openCore(core));
    const loads = (await readelfSegments(corePath)).filter((s) => s.type === 'LOAD' && s.filesz > 0);
    expect(dump.loads.map((s) => [s.vaddr, s.offset, s.filesz])).toEqual(
      loads.map((s) => [s.vaddr, s.offset, s.filesz]),
    );
  });

  it('places the executable where gdb does, matched by build-id, and reads its memory as gdb does', () => {
    withCore((exe, core) => {
      const image = bindProcess(openElf(exe), openCore(core));
      const base = gdb.mappings.find((m) => m.path === executable && m.offset === 0)!;
      // The first PT_LOAD of a PIE links at 0: the load bias is where the file's first page is mapped.
      expect(image.bias).toBe(base.start);
      expect(image.matchedBy).toBe('build-id');
      const rsp = gdb.registers.rsp!;
      expect([0, 8, 16, 24].map((d) => image.memory.u64(rsp + d))).toEqual(gdb.stackWords);
      // Code is not in the core: it comes from the executable's file.
      expect([...image.memory.read(gdb.registers.rip!, 8)!]).toEqual(gdb.codeBytes);
      expect(image.memory.regionAt(gdb.registers.rip!)?.origin).toBe('executable');
      expect(image.memory.regionAt(rsp)?.origin).toBe('core');
      expect(image.memory.stackRegion(rsp)?.writable).toBe(true);
    });
  });
});

describe('a core that does not belong to the executable, or is no core', () => {
  let tmp: Awaited<ReturnType<typeof dir>>;
  beforeAll(async () => {
    tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-core-dump-' });
  });
  afterAll(() => tmp.cleanup());

  const AT_ENTRY = 9;
  const original = () => crashes['self-recursion']!;

  /** A copy of the executable or the core, changed by `change`. */
  async function copy(kind: 'executable' | 'core', name: string, change: (f: ElfPatch) => Promise<void>) {
    const f = await ElfPatch.copy(original()[kind], join(tmp.path, name));
    await change(f);
    await f.close();
    return f.path;
  }

  async function auxvEntry(core: ElfPatch, type: number): Promise<number> {
    const auxv = await core.noteDesc('CORE', 6);
    for (let p = auxv.at; p < auxv.at + auxv.size; p += 16) if ((await core.u64(p)) === type) return p;
    throw new Error(`no auxv entry ${type}`);
  }

  function bind(executable: string, core: string) {
    const exe = FileReader.open(executable, 'executable');
    const c = FileReader.open(core, 'core');
    try {
      return bindProcess(openElf(exe), openCore(c));
    } finally {
      exe.close();
      c.close();
    }
  }

  const mismatch = (exe: string, core: string, why: string) =>
    `core ${core} was not dumped by executable ${exe}: ${why}`;

  it('the two swapped, or the core given twice: a usage error saying which goes first', () => {
    const { executable, core } = original();
    const swapped = refusal(() => withFiles(executable, executable, (e) => openCore(e)));
    expect(swapped.message).toBe(`${executable} is an ELF executable or library, not a core dump`);
    expect(swapped.exitCode).toBe(EXIT.usage);
    expect(swapped.fix).toBe('Pass the executable first and the core second: lwt-regress analyze <executable> <core>');
    const twice = refusal(() => bind(core, core));
    expect(twice.message).toBe(`${core} is a core dump, not an executable`);
    expect(twice.exitCode).toBe(EXIT.usage);
  });

  it('another build: the build-ids differ', async () => {
    const { executable, core } = original();
    const other = await copy('executable', 'other-build', async (e) => {
      const note = await e.noteDesc('GNU', 3);
      await e.write(note.at, Buffer.alloc(20, 0xab));
    });
    const error = refusal(() => bind(other, core));
    expect(error.exitCode).toBe(EXIT.mismatch);
    expect(error.message).toMatch(
      new RegExp(
        `^core ${core} was not dumped by executable ${other}: ` +
          'build-id [0-9a-f]{40} in the core, (ab){20} in the executable$',
      ),
    );
    expect(bind(executable, core).matchedBy).toBe('build-id');
  });

  it('without a build-id in the executable, the mappings alone decide', async () => {
    const { core } = original();
    const anonymous = await copy('executable', 'no-build-id', async (e) => {
      const note = await e.noteDesc('GNU', 3);
      await e.setU32(note.at - 16 + 8, 0x7777); // { namesz, descsz, type, "GNU\0" }: retyped
    });
    expect(bind(anonymous, core).matchedBy).toBe('mappings');
  });

  it('an entry point that is not the executable’s, by less than a page or by a page', async () => {
    const { executable } = original();
    const image = bind(executable, original().core);
    const entry = image.exe.header.entry + image.bias;
    const byte = await copy('core', 'entry-plus-1', async (c) =>
      c.setU64((await auxvEntry(c, AT_ENTRY)) + 8, entry + 1),
    );
    expect(refusal(() => bind(executable, byte)).message).toBe(
      mismatch(
        executable,
        byte,
        `entry point 0x${(entry + 1).toString(16)} in the core does not fit ` +
          `the executable's 0x${image.exe.header.entry.toString(16)}`,
      ),
    );
    const page = await copy('core', 'entry-plus-page', async (c) =>
      c.setU64((await auxvEntry(c, AT_ENTRY)) + 8, entry + 4096),
    );
    expect(refusal(() => bind(executable, page)).message).toBe(
      mismatch(
        executable,
        page,
        "the process's file mappings do not hold the executable's segments " +
          `at load bias 0x${(image.bias + 4096).toString(16)} (from the entry point in the auxiliary vector)`,
      ),
    );
  });

  it('an executable linked at a fixed address must have been loaded there', async () => {
    const { core } = original();
    // The same file, its type changed to EXEC (2): a bias is then impossible.
    const fixed = await copy('executable', 'fixed', async (e) => e.write(16, Buffer.from([2, 0])));
    const image = bind(original().executable, core);
    const entry = image.exe.header.entry + image.bias;
    expect(refusal(() => bind(fixed, core)).message).toBe(
      mismatch(
        fixed,
        core,
        `the process started at 0x${entry.toString(16)}, ` +
          `the executable's entry point is 0x${image.exe.header.entry.toString(16)}`,
      ),
    );
  });

  it('without AT_ENTRY, the bias comes from the mapping of the executable’s file', async () => {
    const { executable } = original();
    const bias = bind(executable, original().core).bias;
    const core = await copy('core', 'no-entry', async (c) => c.setU64(await auxvEntry(c, AT_ENTRY), 0x7777));
    const image = bind(executable, core);
    expect(image.bias).toBe(bias);
    expect(image.core.auxv.has(AT_ENTRY)).toBe(false);
    // The build-id comes from the program holding the entry point: without one, the mappings decide.
    expect(image.matchedBy).toBe('mappings');
    // Another file name: nothing tells where the executable was.
    const renamed = join(tmp.path, 'renamed');
    await copyFile(executable, renamed);
    expect(refusal(() => bind(renamed, core)).message).toBe(
      mismatch(renamed, core, 'the core records neither its entry point nor a mapping of this file'),
    );
  });

  it('a core cut short, or without registers, is corrupt', async () => {
    const { core } = original();
    const size = (await stat(core)).size;
    const cut = await copy('core', 'cut', async (c) => c.extendTo(size - 4096));
    const short = refusal(() => withFiles(cut, cut, (c) => openCore(c)));
    expect(short.exitCode).toBe(EXIT.corrupt);
    expect(short.message).toMatch(
      new RegExp(
        `^${cut} is truncated or corrupt: memory at 0x[0-9a-f]+ ` +
          `should end at file offset ${size} but the file has ${size - 4096} bytes$`,
      ),
    );
    const noRegisters = await copy('core', 'no-prstatus', async (c) => {
      const { at } = await c.noteDesc('CORE', 1);
      await c.setU32(at - 20 + 8, 0x7777);
    });
    expect(refusal(() => withFiles(noRegisters, noRegisters, (c) => openCore(c))).message).toBe(
      `${noRegisters} is truncated or corrupt: no NT_PRSTATUS note, so no registers`,
    );
  });
});

describe('the auxiliary vector and file mappings, note by note', () => {
  /** A note's desc of 64-bit words, then `tail` bytes (the file names). */
  const desc = (words: number[], tail = '') => {
    const bytes = Buffer.alloc(words.length * 8 + tail.length);
    for (const [i, w] of words.entries()) bytes.writeBigUInt64LE(BigInt(w), i * 8);
    bytes.write(tail, words.length * 8, 'latin1');
    return new View(bytes, 'note');
  };

  it('reads the auxiliary vector up to AT_NULL, or to its last whole entry without one', () => {
    expect(parseAuxv(desc([6, 4096, 9, 0x1234, 0, 0, 7, 1]))).toEqual(
      new Map([
        [6, 4096],
        [9, 0x1234],
      ]),
    );
    expect(parseAuxv(desc([6, 4096, 9, 0x1234]))).toEqual(
      new Map([
        [6, 4096],
        [9, 0x1234],
      ]),
    );
    // A trailing half entry is no entry.
    expect(parseAuxv(desc([6, 4096, 9]))).toEqual(new Map([[6, 4096]]));
  });

  it('reads each file mapping with its path, its offset counted in pages of the given size', () => {
    const names = '/srv/app/server\0/usr/lib/libc.so.6\0';
    const note = desc([2, 4096, 0x5000, 0x6000, 0, 0x7f00_0000, 0x7f00_2000, 3], names);
    expect(parseFileNote(note)).toEqual([
      { start: 0x5000, end: 0x6000, fileOffset: 0, path: '/srv/app/server' },
      { start: 0x7f00_0000, end: 0x7f00_2000, fileOffset: 3 * 4096, path: '/usr/lib/libc.so.6' },
    ]);
    // The names cut off right after the entries: the mappings, without their paths.
    expect(parseFileNote(desc([1, 4096, 0x5000, 0x6000, 2]))).toEqual([
      { start: 0x5000, end: 0x6000, fileOffset: 2 * 4096, path: '' },
    ]);
  });

  it('gives no file mappings when the note is too short for the entries it counts', () => {
    // Two entries counted, room for one and a third.
    expect(parseFileNote(desc([2, 4096, 0x5000, 0x6000, 0, 0x7000, 0x8000]))).toEqual([]);
    expect(parseFileNote(desc([2 ** 40, 4096, 0x5000, 0x6000, 0], 'x\0'))).toEqual([]);
  });
});

function withFiles<T>(a: string, b: string, f: (a: FileReader, b: FileReader) => T): T {
  const ra = FileReader.open(a, 'file');
  const rb = FileReader.open(b, 'file');
  try {
    return f(ra, rb);
  } finally {
    ra.close();
    rb.close();
  }
}

describe('cores made by hand', () => {
  it('another kind of ELF file is no core: an executable or library says so, another type gives its number', () => {
    const refused = (type: number) => refusal(() => openCore(new BufferReader(tinyElf(type), 'f'))).message;
    expect(refused(2)).toBe('f is an ELF executable or library, not a core dump');
    expect(refused(3)).toBe('f is an ELF executable or library, not a core dump');
    expect(refused(1)).toBe('f is an ELF file of type 1, not a core dump');
  });

  it('a memory segment with no file contents may lie anywhere: only dumped bytes must be in the file', () => {
    const registers = { type: 4, data: note('CORE', 1, Buffer.alloc(336)) };
    const empty = { type: 1, offset: 1 << 20, filesz: 0, vaddr: 0x7000 };
    // Opened, and not counted as dumped memory.
    expect(openCore(new BufferReader(tinyElf(4, [registers, empty]), 'core')).loads).toEqual([]);
    const cut = { ...empty, filesz: 8 };
    expect(refusal(() => openCore(new BufferReader(tinyElf(4, [registers, cut]), 'core'))).message).toMatch(
      /memory at 0x7000 should end at file offset 1048584/,
    );
  });
});
