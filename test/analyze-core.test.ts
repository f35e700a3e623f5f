/**
 * The analysis report (src/analyze/analyze-core.ts) field by field, against
 * what gdb, readelf and the compiler say of the same crash: the program, the
 * process, the signal, the stack, the walk and the cycle.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type AnalyzeOptions, analyzeCore } from '../src/analyze/analyze-core.js';
import { PF_X, PT_LOAD, SHT_DYNSYM, SHT_SYMTAB } from '../src/elf/constants.js';
import { EXIT, UserError } from '../src/errors.js';
import { FileReader } from '../src/io/file-reader.js';
import { ElfPatch } from './support/elf-patch.js';
import { gdbBacktrace, gdbBatch } from './support/gdb.js';
import { readelfBuildId, readelfSegments, readelfSymbols } from './support/readelf.js';

const crashes = inject('crashes');
const hex = (n: number) => `0x${n.toString(16)}`;
const num = (h: string) => Number.parseInt(h, 16);
const PAGE = 4096;

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

  it("names a frame's function and pc offset as gdb's info symbol does, and its return address's slot", async () => {
    const { describeFrame } = analyze(executable, core);
    const frame = describeFrame(1);
    const info = await gdbBatch(executable, core, [`info symbol ${frame.pc}`]);
    const [, symbol, offset] = /^(\S+) \+ (\d+) in section \.text/m.exec(info)!;
    expect(frame).toMatchObject({ symbol, offset: Number(offset), name: 'Self_recursion.count', method: 'exact' });
    // Frame 1's return address is the word just under frame 1's stack pointer.
    expect(frame.slot).toBe(hex(gdb.spOfFrame1 - 8));
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

describe('the report on a mutual recursion (three functions in the cycle)', () => {
  it('splits the cycle into whole repetitions and a partial one at the top, wherever the walk stops', () => {
    const { executable, core } = crashes['mutual-recursion']!;
    // Stopping the walk one frame later each time moves the partial repetition through every length.
    for (const maxFrames of [100, 101, 102, undefined]) {
      const cycle = analyze(executable, core, { maxFrames }).report.cycle!;
      expect(cycle.period).toBe(3);
      expect(cycle.partialFrames).toBeLessThan(3);
      expect(cycle.firstFrame + cycle.repetitions * cycle.period + cycle.partialFrames).toBe(cycle.lastFrame + 1);
    }
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

  /** A copy of the self-recursion's executable, changed by `change`. */
  async function patchedExecutable(name: string, change: (exe: ElfPatch) => Promise<void>): Promise<string> {
    const exe = await ElfPatch.copy(crashes['self-recursion']!.executable, join(tmp.path, name));
    await change(exe);
    await exe.close();
    return exe.path;
  }

  /** The unchanged self-recursion: what each change is measured against. */
  function original(options: AnalyzeOptions = {}) {
    const { executable, core } = crashes['self-recursion']!;
    const analysis = analyze(executable, core, options);
    const { stack, executable: exe } = analysis.report;
    return { ...analysis, executable, low: num(stack.low), high: num(stack.high), bias: num(exe.loadBias) };
  }

  const NT_PRSTATUS = 1;
  const NT_SIGINFO = 0x53494749;
  /** struct elf_prstatus: pr_cursig at 12, pr_reg at 112 (rax its 11th register, rip its 17th, rsp its 20th). */
  const REGISTERS = { rax: 10, rip: 16, rsp: 19 };

  async function setRegister(core: ElfPatch, name: keyof typeof REGISTERS, value: number): Promise<void> {
    await core.setU64((await core.noteDesc('CORE', NT_PRSTATUS)).at + 112 + REGISTERS[name] * 8, value);
  }

  /** The signal in siginfo (si_signo) and in the thread's status (pr_cursig). */
  async function setSignal(core: ElfPatch, signo: number): Promise<void> {
    await core.setU32((await core.noteDesc('CORE', NT_SIGINFO)).at, signo);
    await core.write((await core.noteDesc('CORE', NT_PRSTATUS)).at + 12, Buffer.from([signo, 0]));
  }

  /** siginfo's si_addr: where the fault was. */
  async function setFault(core: ElfPatch, address: number): Promise<void> {
    await core.setU64((await core.noteDesc('CORE', NT_SIGINFO)).at + 16, address);
  }

  /** The NT_SIGINFO note retyped: no note says where the fault was. */
  async function dropSiginfo(core: ElfPatch): Promise<void> {
    const { at } = await core.noteDesc('CORE', NT_SIGINFO);
    const header = at - 12 - 8; // { namesz, descsz, type, "CORE\0" padded to 8 }
    await core.setU32(header + 8, 0x7777);
  }

  /** A stack word of the core set to `value`. */
  async function setWord(core: ElfPatch, address: number, value: number): Promise<void> {
    await core.setU64(await core.fileOffsetOf(address), value);
  }

  /**
   * The version string in Stdlib.Sys's data made OCaml 5's: the runtime the
   * analysis reads from it then has fibers (the frame tables keep 4.x's layout).
   */
  async function claimOcaml5(core: ElfPatch, base: ReturnType<typeof original>): Promise<void> {
    const symbols = await readelfSymbols(base.executable, '.symtab');
    const begin = symbols.find((s) => /^camlStdlib__[Ss]ys__data_begin$/.test(s.name))!.value + base.bias;
    const end = symbols.find((s) => /^camlStdlib__[Ss]ys__data_end$/.test(s.name))!.value + base.bias;
    const at = await core.fileOffsetOf(begin);
    const data = await core.bytes(at, end - begin);
    const version = data.indexOf(`\0${base.report.ocaml.version}\0`, 0, 'latin1');
    expect(version).toBeGreaterThanOrEqual(0);
    await core.write(at + version + 1, Buffer.from('5.0.0\0', 'latin1'));
  }

  it('a stack pointer in no dumped memory: exit 7, asking for a full core', async () => {
    const { executable } = crashes['self-recursion']!;
    const core = await patched('no-stack', (c) => setRegister(c, 'rsp', 0x1000));
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
    const core = await patched('no-siginfo', dropSiginfo);
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

  it('the same program linked where it ran (not PIE): no load bias, and the same analysis', async () => {
    const base = original();
    // Every address the executable states moved by the bias, and its type made ET_EXEC: what a non-PIE link gives.
    const executable = await patchedExecutable('linked-in-place', async (e) => {
      await e.write(16, Buffer.from([2, 0])); // e_type = ET_EXEC
      await e.setU64(24, (await e.u64(24)) + base.bias);
      for (const ph of await e.programHeaders()) {
        await e.setU64(ph.at + 16, ph.vaddr + base.bias);
        await e.setU64(ph.at + 24, ph.vaddr + base.bias);
      }
      for (const sh of await e.sectionHeaders()) {
        const addr = await e.u64(sh.at + 16);
        if (addr !== 0) await e.setU64(sh.at + 16, addr + base.bias);
        if (sh.type !== SHT_SYMTAB && sh.type !== SHT_DYNSYM) continue;
        const symbols = await e.bytes(sh.offset, sh.size);
        for (let at = 0; at + 24 <= symbols.length; at += 24) {
          const defined = ![0, 0xfff1].includes(symbols.readUInt16LE(at + 6)); // neither SHN_UNDEF nor SHN_ABS
          const value = symbols.readBigUInt64LE(at + 8);
          if (defined && value !== 0n) symbols.writeBigUInt64LE(value + BigInt(base.bias), at + 8);
        }
        await e.write(sh.offset, symbols);
      }
    });
    const { report } = analyze(executable, crashes['self-recursion']!.core);
    expect(report.executable).toMatchObject({ pie: false, loadBias: '0x0', symbols: 'symtab' });
    expect(report.core.matchedBy).toBe('build-id');
    expect(report.notes).toEqual([]);
    expect(report.walk).toEqual(base.report.walk);
    expect(report.cycle).toEqual(base.report.cycle);
  });

  it('a return address read from address 0 is reported at slot 0x0: only the register frame has no slot', async () => {
    const base = original();
    // The stack's memory moved to address 0, from its second word: frame 1's return address is then the first word.
    const core = await patched('stack-at-zero', async (c) => {
      const stack = (await c.programHeaders()).find((p) => p.type === PT_LOAD && p.vaddr === base.low)!;
      expect(base.frames.slots[1]).toBe(base.low + 8);
      await c.setSegment(stack, { offset: stack.offset + 8, filesz: stack.filesz - 8 });
      await c.setU64(stack.at + 16, 0);
      await c.setU64(stack.at + 40, stack.memsz - 8);
      await setRegister(c, 'rsp', 0);
    });
    const { describeFrame } = analyze(base.executable, core);
    expect(describeFrame(0)).toMatchObject({ method: 'register', slot: null });
    expect(describeFrame(1)).toMatchObject({ name: 'Self_recursion.count', method: 'exact', slot: '0x0' });
    expect(describeFrame(2)).toMatchObject({ name: 'Self_recursion.count', slot: '0x10' });
  });

  it('a SIGBUS at the guard page is the overflow, as a SIGSEGV is', async () => {
    const base = original();
    const { report } = analyze(base.executable, await patched('sigbus', (c) => setSignal(c, 7)));
    expect(report.signal).toMatchObject({ number: 7, name: 'SIGBUS', faultAddress: base.report.signal.faultAddress });
    expect(report.stack.faultBelowStack).toBe(true);
    expect(report.verdict).toBe('stack-overflow-with-cycle');
    expect(report.trigger).toEqual({ kind: 'guard-fault' });
  });

  it('another signal is no overflow: the address in its siginfo is no fault address', async () => {
    const base = original();
    const { report } = analyze(base.executable, await patched('sigabrt', (c) => setSignal(c, 6)));
    expect(report.signal).toMatchObject({ number: 6, name: 'SIGABRT', faultAddress: null });
    expect(report.stack.faultBelowStack).toBe(false);
    expect(report.verdict).toBe('not-stack-overflow');
    expect(report.trigger).toBeNull();
  });

  it("a fault up to the end of the stack's lowest page is the overflow; a page above its start, not", async () => {
    const base = original();
    const at = async (name: string, fault: number) =>
      analyze(base.executable, await patched(name, (c) => setFault(c, fault))).report;
    const inLowestPage = await at('fault-in-lowest-page', base.low + PAGE - 8);
    expect(inLowestPage.stack.faultBelowStack).toBe(true);
    expect(inLowestPage.verdict).toBe('stack-overflow-with-cycle');
    // rsp still sits in the lowest page, but a fault address, where there is one, decides alone.
    const pageUp = await at('fault-a-page-up', base.low + PAGE);
    expect(pageUp.registers.rsp).toBe(hex(base.low));
    expect(pageUp.stack.faultBelowStack).toBe(false);
    expect(pageUp.verdict).toBe('not-stack-overflow');
    expect(pageUp.trigger).toBeNull();
  });

  it('the guard gap reaches 256 pages and 64 KiB under the stack: a fault at its far end is the overflow', async () => {
    const base = original();
    const gap = 256 * PAGE + 64 * 1024;
    const at = async (name: string, fault: number) =>
      analyze(base.executable, await patched(name, (c) => setFault(c, fault))).report;
    const farEnd = await at('fault-at-gap-end', base.low - gap);
    expect(farEnd.stack.faultBelowStack).toBe(true);
    expect(farEnd.verdict).toBe('stack-overflow-with-cycle');
    const beyond = await at('fault-beyond-gap', base.low - gap - 8);
    expect(beyond.stack.faultBelowStack).toBe(false);
    expect(beyond.verdict).toBe('not-stack-overflow');
  });

  it("without siginfo, rsp a whole page above the stack's start is no overflow", async () => {
    const base = original();
    const core = await patched('no-siginfo-rsp-page-up', async (c) => {
      await dropSiginfo(c);
      await setRegister(c, 'rsp', base.low + PAGE);
    });
    const { report } = analyze(base.executable, core);
    expect(report.signal.faultAddress).toBeNull();
    expect(report.stack).toMatchObject({ rspBelowMapping: false, rspPageOffset: 0, rspAtPageBoundary: true });
    expect(report.verdict).toBe('not-stack-overflow');
    expect(report.trigger).toBeNull();
  });

  it('without siginfo, rsp under the stack mapping (where it would grow) is the overflow, and said so', async () => {
    const base = original();
    const rsp = base.low - 72;
    const core = await patched('no-siginfo-rsp-below', async (c) => {
      await dropSiginfo(c);
      await setRegister(c, 'rsp', rsp);
    });
    const { report } = analyze(base.executable, core);
    expect(report.registers.rsp).toBe(hex(rsp));
    expect(report.stack).toEqual({
      low: hex(base.low),
      high: hex(base.high),
      usedBytes: base.high - rsp,
      rspPageOffset: PAGE - 72,
      rspAtPageBoundary: false,
      rspBelowMapping: true,
      faultBelowStack: false,
    });
    expect(report.verdict).toBe('stack-overflow-with-cycle');
    expect(report.trigger).toEqual({ kind: 'guard-fault' });
    // The stack is read from its mapping's start: the same walk as with rsp there.
    expect(report.walk).toEqual(base.report.walk);
  });

  it('a faulting pc equal to a return address takes no source line from the descriptor of that return', async () => {
    const base = original();
    const returnAddress = base.frames.pcs[1]!;
    expect(base.describeFrame(1).line).not.toBeNull();
    const { report } = analyze(
      base.executable,
      await patched('rip-at-return', (c) => setRegister(c, 'rip', returnAddress)),
    );
    expect(report.top[0]).toMatchObject({
      pc: hex(returnAddress),
      name: 'Self_recursion.count',
      method: 'register',
      file: null,
      line: null,
    });
  });

  it('a call that ends its function: the return address, one past the end, still names the caller', async () => {
    const base = original();
    const frame = base.describeFrame(1);
    const returnAddress = base.frames.pcs[1]! - base.bias;
    // count's symbol cut short to end right at the return address, as if the call were its last instruction.
    const executable = await patchedExecutable('call-at-end', async (e) => {
      const entry = await e.symbolEntry(frame.symbol!);
      await e.setU64(entry + 16, returnAddress - (await e.u64(entry + 8)));
    });
    const cut = analyze(executable, crashes['self-recursion']!.core).describeFrame(1);
    expect(cut).toMatchObject({ name: 'Self_recursion.count', symbol: frame.symbol, offset: frame.offset });
  });

  it('in scan mode, a stale return address between two frames of the recursion is noise, not its end', async () => {
    const base = original();
    const cycle = base.report.cycle!;
    const middle = Math.floor((cycle.firstFrame + cycle.lastFrame) / 2);
    // count's frames are 16 bytes: the word above a return address is the frame's other word, which no walk reads.
    const entryReturn = base.frames.pcs[cycle.lastFrame + 1]!;
    const core = await patched('stale-return', (c) => setWord(c, base.frames.slots[middle]! + 8, entryReturn));
    const { report } = analyze(base.executable, core, { mode: 'scan' });
    expect(report.walk.totalFrames).toBe(base.report.walk.totalFrames + 1);
    expect(report.cycle).toMatchObject({
      period: 1,
      firstFrame: 1,
      lastFrame: cycle.lastFrame + 1,
      repetitions: cycle.repetitions,
      noiseFrames: 1,
    });
  });

  it('a stack word into read-only data is no return address, even after a call opcode and in a function', async () => {
    const base = original();
    const segments = await readelfSegments(base.executable);
    const data = segments.find((s) => s.type === 'LOAD' && !(s.flags & PF_X))!;
    expect(data.vaddr).toBeLessThan(segments.find((s) => s.type === 'LOAD' && s.flags & PF_X)!.vaddr);
    // A byte of that segment that reads as `call rel32`, and a function symbol made to cover it.
    const bytes = await readFile(base.executable);
    const call = bytes.indexOf(0xe8, data.offset + PAGE);
    expect(call + 5).toBeLessThan(data.offset + data.filesz);
    const afterCall = data.vaddr + (call - data.offset) + 5;
    const executable = await patchedExecutable('function-over-data', async (e) => {
      const entry = await e.symbolEntry('caml_unregister_frametable');
      await e.setU64(entry + 8, afterCall - 5);
      await e.setU64(entry + 16, 5);
    });
    const cycle = base.report.cycle!;
    const middle = Math.floor((cycle.firstFrame + cycle.lastFrame) / 2);
    const core = await patched('word-into-data', (c) =>
      setWord(c, base.frames.slots[middle]! + 8, afterCall + base.bias),
    );
    const { report } = analyze(executable, core, { mode: 'scan' });
    expect(report.walk.totalFrames).toBe(base.report.walk.totalFrames);
    expect(report.cycle).toMatchObject({ firstFrame: 1, lastFrame: cycle.lastFrame, noiseFrames: 0 });
  });

  it('without a descriptor for the recursive call, most frames are scanned: the walk counts as a scan', async () => {
    const base = original();
    const returnAddress = base.frames.pcs[1]!;
    const symbols = await readelfSymbols(base.executable, '.symtab');
    const table = symbols.find((s) => s.name === 'camlSelf_recursion__frametable')!.value + base.bias;
    // The module's table { count; descriptor { retaddr; ... }... }: a descriptor whose retaddr is 0 is skipped.
    const core = await patched('no-descriptor', async (c) => {
      const at = await c.fileOffsetOf(table);
      const words = await c.bytes(at, 512);
      const hits: number[] = [];
      for (let p = 8; p + 8 <= words.length; p += 8)
        if (Number(words.readBigUInt64LE(p)) === returnAddress) hits.push(p);
      expect(hits).toHaveLength(1);
      await c.setU64(at + hits[0]!, 0);
    });
    const { report } = analyze(base.executable, core);
    expect(report.executable.frameDescriptors).toBe(base.report.executable.frameDescriptors - 1);
    expect(report.walk.scannedFrames).toBeGreaterThan(report.walk.totalFrames / 2);
    expect(report.walk.mode).toBe('scan');
    expect(report.cycle).toMatchObject({ period: 1, firstFrame: 1, repetitions: base.report.cycle!.repetitions });
    // Half the frames scanned is already a scan: the register's frame and one scanned frame.
    const two = analyze(base.executable, core, { maxFrames: 2 }).report.walk;
    expect(two).toMatchObject({ totalFrames: 2, scannedFrames: 1, mode: 'scan' });
  });

  it('an executable with no symbol table: no names, frame tables or version, and notes that say why', async () => {
    const base = original();
    const executable = await patchedExecutable('no-symbols', async (e) => {
      for (const s of await e.sectionHeaders())
        if (s.type === SHT_SYMTAB || s.type === SHT_DYNSYM) await e.setU32(s.at + 4, 1); // SHT_PROGBITS
    });
    const { report } = analyze(executable, crashes['self-recursion']!.core);
    expect(report.executable).toMatchObject({ symbols: 'none', frameDescriptors: 0 });
    expect(report.ocaml).toEqual({ version: null, fibers: false });
    expect(report.notes).toEqual([
      'the executable has no symbols: frames cannot be named and scanning finds no return addresses',
      'the compiler version is unknown (the program does not link Stdlib.Sys): ' +
        'source lines are decoded as OCaml 4.x to 5.1 record them',
      'no caml_frametable symbol (not an OCaml 4.x native executable, or stripped of it): falling back to scan mode',
    ]);
    // Only the faulting pc is known, and it has no name.
    expect(report.walk).toMatchObject({ mode: 'scan', totalFrames: 1, scannedFrames: 0 });
    expect(report.top).toEqual([
      expect.objectContaining({ index: 0, pc: base.report.registers.rip, name: '??', symbol: null, offset: null }),
    ]);
    expect(report.verdict).toBe('stack-overflow-without-cycle');
  });

  it('frames beyond the twenty listed under the cycle are counted as omitted', async () => {
    const base = original();
    const cycle = base.report.cycle!;
    const below = base.report.walk.totalFrames - (cycle.lastFrame + 1);
    // 25 stale copies of a C return address at the top of the stack (argv and the environment live there).
    const outermost = base.frames.pcs[base.frames.pcs.length - 1]!;
    const core = await patched('stale-top', async (c) => {
      for (let i = 1; i <= 25; i++) await setWord(c, base.high - 8 * i, outermost);
    });
    const { report } = analyze(base.executable, core);
    expect(report.walk.totalFrames).toBe(base.report.walk.totalFrames + 25);
    expect(report.cycle).toMatchObject({ firstFrame: 1, lastFrame: cycle.lastFrame });
    expect(report.top).toHaveLength(1);
    expect(report.entry.map((f) => f.index)).toEqual(Array.from({ length: 20 }, (_, i) => cycle.lastFrame + 1 + i));
    expect(report.omittedFrames).toBe(below + 25 - 20);
  });

  it('OCaml 5: a core taken in caml_raise_exn raising Stack_overflow is an overflow raised there', async () => {
    const base = original();
    const symbols = await readelfSymbols(base.executable, '.symtab');
    const address = (name: string) => symbols.find((s) => s.name === name)!.value + base.bias;
    // OCaml 5 raises an overflow as an exception: the core was taken by a debugger, no SIGSEGV shows it.
    const core = await patched('ocaml5-raise', async (c) => {
      await claimOcaml5(c, base);
      await setSignal(c, 5);
      await setRegister(c, 'rip', address('caml_raise_exn'));
      await setRegister(c, 'rax', address('caml_exn_Stack_overflow'));
    });
    const { report } = analyze(base.executable, core);
    expect(report.ocaml).toEqual({ version: '5.0.0', fibers: true });
    expect(report.signal).toMatchObject({ number: 5, name: 'SIGTRAP', faultAddress: null });
    expect(report.trigger).toEqual({ kind: 'stack-overflow-raise', at: 'caml_raise_exn' });
    expect(report.verdict).toBe('stack-overflow-with-cycle');
  });

  it("OCaml 5: at OCaml's entry from C, the walk crosses to the C stack the entry's link points to", async () => {
    const base = original();
    const entry = base.report.entry.find((f) => f.name === 'caml_start_program')!.index;
    const sp = base.frames.slots[entry]! + 8;
    // Above the return into C, the entry header's C stack pointer (at sp + 16) locates a c_stack_link
    // { stack; sp; prev }; six saved registers above it, the C caller's return address.
    const cReturn = base.frames.slots[entry + 1]!;
    const link = cReturn - 24 - 6 * 8;
    const core = await patched('ocaml5-entry', async (c) => {
      await claimOcaml5(c, base);
      await setWord(c, sp + 16, link);
      await setWord(c, link + 16, 0); // prev = NULL: the outermost entry
    });
    const { report, frames, describeFrame } = analyze(base.executable, core);
    expect(report.ocaml.fibers).toBe(true);
    expect(report.walk).toMatchObject({ ended: 'bottom', totalFrames: base.report.walk.totalFrames });
    expect(describeFrame(entry + 1)).toMatchObject({ name: 'caml_startup_common', method: 'context' });
    expect(Array.from(frames.pcs.slice(entry + 1))).toEqual(Array.from(base.frames.pcs.slice(entry + 1)));
  });
});
