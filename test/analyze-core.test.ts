/**
 * The analysis report (src/analyze/analyze-core.ts) field by field, against
 * what gdb, readelf and the compiler say of the same crash: the program, the
 * process, the signal, the stack, the walk and the cycle.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type AnalyzeOptions, analyzeCore } from '../src/analyze/analyze-core.js';
import { EXIT, UserError } from '../src/errors.js';
import { FileReader } from '../src/io/file-reader.js';
import { ElfPatch } from './support/elf-patch.js';
import { gdbBacktrace, gdbBatch } from './support/gdb.js';
import { readelfBuildId, readelfSegments } from './support/readelf.js';

const crashes = inject('crashes');
const hex = (n: number) => `0x${n.toString(16)}`;

function analyze(executable: string, core: string, options: AnalyzeOptions = {}) {
  const exe = FileReader.open(executable, 'executable');
  const c = FileReader.open(core, 'core');
  try {
    return analyzeCore(exe, c, options);
  } finally {
    exe.close();
    c.close();
  }
}

/** What gdb says of the crash: registers, the fault, the process, and where the stack pointer of a frame is. */
async function gdbFacts(executable: string, core: string) {
  const out = await gdbBatch(executable, core, [
    'info registers rip rsp rbp',
    'p/x $_siginfo.si_signo',
    'p/x $_siginfo.si_code',
    'p/x $_siginfo._sifields._sigfault.si_addr',
    'info proc mappings',
    'frame 1',
    'p/x $sp',
    'frame 2',
    'p/x $sp',
  ]);
  const reg = (name: string) => Number.parseInt(new RegExp(`^${name}\\s+0x([0-9a-f]+)`, 'm').exec(out)![1]!, 16);
  const printed = [...out.matchAll(/^\$\d+ = (?:\(void \*\) )?0x([0-9a-f]+)/gm)].map((m) => Number.parseInt(m[1]!, 16));
  const base = new RegExp(`^\\s+0x([0-9a-f]+)\\s+0x[0-9a-f]+\\s+0x[0-9a-f]+\\s+0x0\\s+${executable}$`, 'm').exec(out);
  return {
    rip: reg('rip'),
    rsp: reg('rsp'),
    rbp: reg('rbp'),
    signo: printed[0]!,
    code: printed[1]!,
    faultAddress: printed[2]!,
    spOfFrame1: printed[3]!,
    spOfFrame2: printed[4]!,
    pid: Number(/\[New LWP (\d+)\]/.exec(out)![1]),
    loadBase: Number.parseInt(base![1]!, 16),
  };
}

describe('the report on a self-recursion that overflowed (OCaml 4, SIGSEGV)', () => {
  let executable: string;
  let core: string;
  let gdb: Awaited<ReturnType<typeof gdbFacts>>;
  beforeAll(async () => {
    ({ executable, core } = crashes['self-recursion']!);
    gdb = await gdbFacts(executable, core);
  });

  it('names the executable as readelf and gdb see it, and the compiler that built it', async () => {
    const { report } = analyze(executable, core);
    const ocaml = (await execa('ocamlfind', ['ocamlopt', '-version'])).stdout.trim();
    expect(report.schema).toBe('lwt-regress/analysis');
    expect(report.schemaVersion).toBe(1);
    expect(report.ocaml).toEqual({ version: ocaml, fibers: false });
    expect(report.executable).toMatchObject({
      path: executable,
      buildId: await readelfBuildId(executable),
      pie: true,
      loadBias: hex(gdb.loadBase),
      symbols: 'symtab',
    });
    expect(report.executable.frameTableModules).toBeGreaterThan(5);
    expect(report.executable.frameDescriptors).toBeGreaterThan(100);
    expect(report.notes).toEqual([]);
  });

  it("gives the process, the signal and the registers gdb shows, and the fault below the stack's mapping", async () => {
    const { report } = analyze(executable, core);
    expect(report.core).toEqual({ path: core, pid: gdb.pid, matchedBy: 'build-id' });
    expect(report.signal).toEqual({
      number: gdb.signo,
      name: 'SIGSEGV',
      code: gdb.code,
      faultAddress: hex(gdb.faultAddress),
    });
    expect(report.registers).toEqual({ rip: hex(gdb.rip), rsp: hex(gdb.rsp), rbp: hex(gdb.rbp) });
    const stack = (await readelfSegments(core)).find((s) => s.vaddr <= gdb.rsp && gdb.rsp < s.vaddr + s.filesz)!;
    expect(report.stack).toEqual({
      low: hex(stack.vaddr),
      high: hex(stack.vaddr + stack.filesz),
      usedBytes: stack.vaddr + stack.filesz - gdb.rsp,
      rspPageOffset: gdb.rsp % 4096,
      rspAtPageBoundary: gdb.rsp % 4096 === 0,
      rspBelowMapping: false,
      faultBelowStack: true,
    });
    // The fault is in the guard gap, under the lowest page of the stack.
    expect(gdb.faultAddress).toBeLessThan(stack.vaddr);
    expect(report.verdict).toBe('stack-overflow-with-cycle');
    expect(report.trigger).toEqual({ kind: 'guard-fault' });
  });

  it('walks exactly to where gdb ends: the same frame count to caml_program', async () => {
    const { report, describeFrame } = analyze(executable, core);
    const outermost = await gdbBacktrace(executable, core, -12);
    const gdbIndex = outermost.find((g) => g.symbol === 'caml_program')!.index;
    expect(describeFrame(gdbIndex).symbol).toBe('caml_program');
    expect(report.walk.mode).toBe('exact');
    expect(report.walk.ended).toBe('bottom');
    expect(report.walk.maxFrames).toBeNull();
    expect(report.walk.totalFrames).toBeGreaterThan(gdbIndex);
    expect(report.walk.exactFrames + report.walk.scannedFrames + 1).toBe(report.walk.totalFrames);
    // Frames below caml_start_program are C, found by scanning; OCaml's are exact.
    expect(report.walk.scannedFrames).toBeLessThan(10);
  });

  it('folds the recursion: a frame per repetition down to the entry, its stack bytes as gdb has them', async () => {
    const { report } = analyze(executable, core);
    const outermost = await gdbBacktrace(executable, core, -12);
    const entry = outermost.find((g) => g.symbol === 'camlSelf_recursion__entry')!.index;
    expect(report.cycle).toMatchObject({
      period: 1,
      firstFrame: 1,
      lastFrame: entry - 1,
      repetitions: entry - 1,
      partialFrames: 0,
      noiseFrames: 0,
      bytesPerRepetition: gdb.spOfFrame2 - gdb.spOfFrame1,
    });
    expect(report.cycle!.frames.map((f) => [f.index, f.name, f.method])).toEqual([
      [entry - 1, 'Self_recursion.count', 'exact'],
    ]);
    // Listed: the faulting frame above, twenty frames below (or as many as there are), the rest counted.
    expect(report.top.map((f) => [f.index, f.method, f.slot])).toEqual([[0, 'register', null]]);
    expect(report.top[0]!.pc).toBe(hex(gdb.rip));
    const below = report.walk.totalFrames - entry;
    expect(report.entry.map((f) => f.index)).toEqual(Array.from({ length: Math.min(20, below) }, (_, i) => entry + i));
    expect(report.entry[0]!.name).toBe('Self_recursion.entry');
    expect(report.omittedFrames).toBe(Math.max(0, below - 20));
  });

  it('times each phase: none negative, together no longer than the call', () => {
    const started = performance.now();
    const { timings } = analyze(executable, core);
    const elapsed = performance.now() - started;
    const phases = [timings.open, timings.frameTables, timings.walk, timings.cycle, timings.report];
    for (const ms of phases) expect(ms).toBeGreaterThanOrEqual(0);
    expect(phases.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(elapsed);
    // The walk and the cycle search over tens of thousands of frames take measurable time.
    expect(timings.walk).toBeGreaterThan(0);
  });

  it('stops at the frame limit, and says so', () => {
    const { report, frames } = analyze(executable, core, { maxFrames: 100 });
    expect(frames.pcs.length).toBe(100);
    expect(report.walk).toMatchObject({ totalFrames: 100, ended: 'max-frames', maxFrames: 100 });
    expect(report.cycle).toMatchObject({ period: 1, firstFrame: 1, lastFrame: 99, repetitions: 99 });
    expect(report.entry).toEqual([]);
  });

  it('in scan mode, finds the same cycle from stack words alone, and notes how', () => {
    const exact = analyze(executable, core).report;
    const { report } = analyze(executable, core, { mode: 'scan' });
    expect(report.walk.mode).toBe('scan');
    expect(report.notes).toEqual([
      'scan mode: frames are stack words that look like return addresses, not an exact walk',
    ]);
    expect(report.executable.frameDescriptors).toBe(0);
    expect(report.executable.frameTableModules).toBe(0);
    expect(report.cycle!.frames.map((f) => f.name)).toEqual(['Self_recursion.count']);
    expect(report.cycle!.repetitions).toBe(exact.cycle!.repetitions);
    expect(report.cycle!.frames[0]!.method).toBe('scanned');
  });
});

describe('a crash that is no overflow', () => {
  it('a null-pointer write: the fault address is 0, far from the stack, and nothing is folded', async () => {
    const { executable, core } = crashes['null-write']!;
    const { report } = analyze(executable, core);
    expect(report.verdict).toBe('not-stack-overflow');
    expect(report.trigger).toBeNull();
    expect(report.stack.faultBelowStack).toBe(false);
    expect(report.signal.faultAddress).toBe('0x0');
    expect(report.cycle).toBeNull();
    expect(report.entry).toEqual([]);
    // Without a cycle, the first frames are listed (up to 50), all of them here.
    expect(report.top.map((f) => f.index)).toEqual(Array.from({ length: report.walk.totalFrames }, (_, i) => i));
    expect(report.walk.totalFrames).toBeLessThan(50);
    expect(report.omittedFrames).toBe(0);
  });
});

describe('a stripped executable', () => {
  let tmp: Awaited<ReturnType<typeof dir>>;
  beforeAll(async () => {
    tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-analyze-core-' });
  });
  afterAll(() => tmp.cleanup());

  it('keeps what OCaml exports (functions, frame tables, Stdlib.Sys): the same analysis, from .dynsym', async () => {
    const { executable, core } = crashes['self-recursion']!;
    const stripped = join(tmp.path, 'self-recursion');
    await execa('strip', ['-o', stripped, executable]);
    const whole = analyze(executable, core).report;
    const { report } = analyze(stripped, core);
    expect(report.executable.symbols).toBe('dynsym');
    expect(report.notes).toEqual([
      'the executable is stripped: function names come from its dynamic symbol table only',
    ]);
    expect(report.ocaml).toEqual(whole.ocaml);
    expect(report.walk).toEqual(whole.walk);
    expect(report.cycle!.frames.map((f) => f.name)).toEqual(['Self_recursion.count']);
    // The build is the same: the core still matches by build-id.
    expect(report.core.matchedBy).toBe('build-id');
  });
});

describe('cores changed where the analysis decides', () => {
  let tmp: Awaited<ReturnType<typeof dir>>;
  beforeAll(async () => {
    tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-analyze-core-patched-' });
  });
  afterAll(() => tmp.cleanup());

  /** A copy of the self-recursion's core, changed by `change`. */
  async function patched(name: string, change: (core: ElfPatch) => Promise<void>): Promise<string> {
    const core = await ElfPatch.copy(crashes['self-recursion']!.core, join(tmp.path, name));
    await change(core);
    await core.close();
    return core.path;
  }

  it('a stack pointer in no dumped memory: exit 7, asking for a full core', async () => {
    const { executable } = crashes['self-recursion']!;
    // struct elf_prstatus: pr_reg at 112, rsp its 20th register.
    const core = await patched('no-stack', async (c) =>
      c.setU64((await c.noteDesc('CORE', 1)).at + 112 + 19 * 8, 0x1000),
    );
    let error: unknown;
    try {
      analyze(executable, core);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({
      exitCode: EXIT.noStack,
      message: `core ${core} holds no stack memory at rsp 0x1000`,
      fix: expect.stringMatching(/^Capture a full core/),
    });
  });

  it('without siginfo, the signal is the thread’s and rsp at the stack’s end tells the overflow', async () => {
    const { executable } = crashes['self-recursion']!;
    // The NT_SIGINFO note retyped: no note says where the fault was.
    const core = await patched('no-siginfo', async (c) => {
      const { at } = await c.noteDesc('CORE', 0x53494749);
      const header = at - 12 - 8; // { namesz, descsz, type, "CORE\0" padded to 8 }
      await c.setU32(header + 8, 0x7777);
    });
    const { report } = analyze(executable, core);
    expect(report.signal).toEqual({ number: 11, name: 'SIGSEGV', code: null, faultAddress: null });
    expect(report.stack.faultBelowStack).toBe(false);
    expect(report.stack.rspBelowMapping).toBe(false);
    // rsp sits in the stack's lowest page: the guard was hit.
    expect(Number.parseInt(report.registers.rsp, 16) - Number.parseInt(report.stack.low, 16)).toBeLessThan(4096);
    expect(report.verdict).toBe('stack-overflow-with-cycle');
    expect(report.trigger).toEqual({ kind: 'guard-fault' });
  });

  it('frame tables that cannot be read from the core: scan mode, and a note that says why', async () => {
    const { executable } = crashes['self-recursion']!;
    const bias = Number.parseInt(analyze(executable, crashes['self-recursion']!.core).report.executable.loadBias, 16);
    const exe = await ElfPatch.copy(executable, join(tmp.path, 'exe-for-tables'));
    const frametable = await exe.u64((await exe.symbolEntry('caml_frametable')) + 8);
    await exe.close();
    // caml_frametable's first pointer zeroed in the core's copy of .data: no table is found.
    const core = await patched('no-tables', async (c) => c.setU64(await c.fileOffsetOf(frametable + bias), 0));
    const { report } = analyze(executable, core);
    expect(report.walk.mode).toBe('scan');
    expect(report.executable.frameDescriptors).toBe(0);
    expect(report.notes).toEqual(['the frame tables could not be read from the core: falling back to scan mode']);
    expect(report.cycle!.frames.map((f) => f.name)).toEqual(['Self_recursion.count']);
  });
});
