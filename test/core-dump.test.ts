/**
 * What a core tells (src/core: registers, signal, auxiliary vector, file
 * mappings, dumped memory, the executable placed at its load address) against
 * gdb and readelf reading the same core.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { openCore } from '../src/core/core-dump.js';
import { bindProcess } from '../src/core/process-image.js';
import { signalName } from '../src/core/signals.js';
import { openElf } from '../src/elf/elf-file.js';
import { FileReader } from '../src/io/file-reader.js';
import { gdbBatch } from './support/gdb.js';
import { readelfSegments } from './support/readelf.js';

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
