import type { MemoryRegion } from '../core/address-space.js';
import { openCore } from '../core/core-dump.js';
import { bindProcess, type ProcessImage } from '../core/process-image.js';
import { signalName } from '../core/signals.js';
import { StackMemory } from '../core/stack-memory.js';
import type { ByteReader } from '../elf/byte-reader.js';
import { ET_DYN, PF_X, PT_LOAD } from '../elf/constants.js';
import { type ElfFile, openElf } from '../elf/elf-file.js';
import { SymbolTable } from '../elf/symbols.js';
import { EXIT, UserError } from '../errors.js';
import { identifyRuntime, type OcamlRuntime } from '../ocaml/compiler-version.js';
import { decodePackedLocation } from '../ocaml/debuginfo5.js';
import { demangle } from '../ocaml/demangle.js';
import { decodeLocation, type FrameTables, readFrameTables } from '../ocaml/frametable.js';
import { ReturnAddressOracle } from '../ocaml/return-address.js';
import { METHODS, type StackFrames, walkStack } from '../ocaml/stack-walk.js';
import {
  ANALYSIS_SCHEMA,
  ANALYSIS_SCHEMA_VERSION,
  type AnalysisReport,
  type CycleReport,
  type Diagnosis,
  type FrameInfo,
} from './analysis-report.js';
import { type CycleMatch, findCycle, findCycleTolerant } from './cycle.js';
import { stackOverflowRaise } from './overflow-raise.js';

export interface AnalyzeOptions {
  /** `exact` walks the OCaml frame tables (falling back to scanning where there are none); `scan` only scans. */
  mode?: 'exact' | 'scan';
  /** Stop the walk after this many frames. */
  maxFrames?: number;
}

export interface Analysis {
  report: AnalysisReport;
  /** Every frame found, for callers that need more than the report lists. */
  frames: StackFrames;
  describeFrame(index: number): FrameInfo;
  /** Milliseconds per phase, for the benchmark. */
  timings: { open: number; frameTables: number; walk: number; cycle: number; report: number };
}

const SIGSEGV = 11;
const SIGBUS = 7;
const PAGE = 4096;
/**
 * How far below the stack mapping a fault still counts as an overflow: Linux
 * keeps a gap of `stack_guard_gap` (256 pages by default, mm/mmap.c) between a
 * growing stack and the mapping below it, and the access that overruns the
 * stack faults somewhere in that gap (a large frame skips its first pages);
 * 64 KiB beyond it is a margin.
 */
const GUARD_GAP = 256 * PAGE + 64 * 1024;
/**
 * How many frames the report lists by name around a cycle (the rest are
 * counted in `omittedFrames`): enough to see what called into the recursion
 * and what it was doing at the top, short enough to read; without a cycle,
 * more of the top, since nothing else locates the problem.
 */
const TOP_FRAMES_WITH_CYCLE = 20;
const TOP_FRAMES_WITHOUT_CYCLE = 50;
const ENTRY_FRAMES = 20;

const hex = (n: number) => `0x${n.toString(16)}`;

/** Milliseconds since the last call: the phases' timings. */
function stopwatch(): () => number {
  let mark = performance.now();
  return () => {
    const now = performance.now();
    const ms = now - mark;
    mark = now;
    return ms;
  };
}

/** From an executable and its core to the recurring cycle. Pure: reads only through the two readers. */
export function analyzeCore(executable: ByteReader, core: ByteReader, options: AnalyzeOptions = {}): Analysis {
  const lap = stopwatch();
  const mode = options.mode ?? 'exact';
  const maxFrames = options.maxFrames ?? Number.POSITIVE_INFINITY;
  const opened = openProcess(executable, core);
  const openMs = lap();
  const walked = walkProcess(opened, mode, maxFrames, lap);
  const { frames, tables, runtime } = walked;
  const walkMode = tables && frames.scanned < frames.pcs.length / 2 ? 'exact' : 'scan';
  const found =
    walkMode === 'exact'
      ? { cycle: findCycle(frames.pcs, 1), noise: new Uint32Array(0) }
      : findCycleTolerant(frames.pcs, frames.slots, 1);
  const cycleMs = lap();
  const { image, symbols } = opened;
  const describeFrame = (index: number): FrameInfo => describe(image, symbols, tables, runtime, frames, index);
  const overflow = diagnose(opened, runtime, found?.cycle);
  const report = buildReport({
    opened,
    walked: { ...walked, walkMode, maxFrames },
    found,
    overflow,
    describeFrame,
    names: { executable: executable.name, core: core.name },
  });
  return {
    report,
    frames,
    describeFrame,
    timings: { open: openMs, frameTables: walked.frameTablesMs, walk: walked.walkMs, cycle: cycleMs, report: lap() },
  };
}

/** The executable bound to its core, its symbols, and the stack the crashed thread was on. */
interface OpenedProcess {
  exe: ElfFile;
  image: ProcessImage;
  symbols: SymbolTable;
  region: MemoryRegion;
  stack: StackMemory;
  notes: string[];
}

function openProcess(executable: ByteReader, core: ByteReader): OpenedProcess {
  const exe = openElf(executable);
  const image = bindProcess(exe, openCore(core));
  const notes: string[] = [];
  const symbols = SymbolTable.read(executable, exe.sections);
  if (symbols.source === 'dynsym')
    notes.push('the executable is stripped: function names come from its dynamic symbol table only');
  if (symbols.source === 'none')
    notes.push('the executable has no symbols: frames cannot be named and scanning finds no return addresses');
  const regs = image.core.thread.registers;
  const region = image.memory.stackRegion(regs.rsp);
  if (!region) {
    throw new UserError(
      `core ${core.name} holds no stack memory at rsp ${hex(regs.rsp)}`,
      EXIT.noStack,
      'Capture a full core (raise `ulimit -c`, and check /proc/<pid>/coredump_filter keeps anonymous private memory)',
    );
  }
  return { exe, image, symbols, region, stack: new StackMemory(region, Math.max(region.start, regs.rsp)), notes };
}

/** The runtime, its frame tables where the mode reads them, and the walk of the stack. */
function walkProcess(opened: OpenedProcess, mode: 'exact' | 'scan', maxFrames: number, lap: () => number) {
  const { exe, image, symbols, notes } = opened;
  const runtime = identifyRuntime(symbols, image.memory, image.bias);
  if (runtime.version === undefined)
    notes.push(
      'the compiler version is unknown (the program does not link Stdlib.Sys): ' +
        'source lines are decoded as OCaml 4.x to 5.1 record them',
    );
  const tables = mode === 'exact' ? loadFrameTables(image, symbols, runtime, notes) : undefined;
  if (mode === 'scan')
    notes.push('scan mode: frames are stack words that look like return addresses, not an exact walk');
  const code = exe.segments
    .filter((s) => s.type === PT_LOAD && s.flags & PF_X)
    .map((s) => ({ start: s.vaddr + image.bias, end: s.vaddr + image.bias + s.memsz }));
  const oracle = new ReturnAddressOracle(image.memory, symbols, code, image.bias);
  const frameTablesMs = lap();
  const regs = image.core.thread.registers;
  const frames = walkStack({
    stack: opened.stack,
    descriptors: tables?.descriptors,
    returnAddresses: oracle,
    pc: regs.rip,
    sp: regs.rsp,
    maxFrames,
    fibers: runtime.fibers ? { stackAt: otherStacks(image) } : undefined,
  });
  return { runtime, tables, frames, frameTablesMs, walkMs: lap() };
}

/** Whether the process died of a stack overflow, what showed it, and whether a cycle was found. */
interface Overflow {
  diagnosis: Diagnosis;
  signo: number;
  fault: number | undefined;
  faultBelowStack: boolean;
  rspBelowMapping: boolean;
  guardFault: boolean;
  raisedAt: string | undefined;
}

function diagnose(opened: OpenedProcess, runtime: OcamlRuntime, cycle: CycleMatch | undefined): Overflow {
  const { image, symbols, region } = opened;
  const regs = image.core.thread.registers;
  const signo = image.core.signal?.signo ?? image.core.thread.signal;
  const segv = signo === SIGSEGV || signo === SIGBUS;
  const fault = image.core.signal && segv ? image.core.signal.address : undefined;
  // The fault is in the guard gap: below the mapping's first page, and no further down than the gap reaches.
  const faultBelowStack = fault !== undefined && fault < region.start + PAGE && fault + GUARD_GAP >= region.start;
  const rspBelowMapping = regs.rsp < region.start;
  // Without a fault address (a core with no NT_SIGINFO note), rsp at or below the stack's last page shows it.
  const guardFault =
    segv && (fault !== undefined ? faultBelowStack : rspBelowMapping || regs.rsp - region.start < PAGE);
  const raisedAt = runtime.fibers ? stackOverflowRaise(symbols, image.bias, regs) : undefined;
  const overflow = guardFault || raisedAt !== undefined;
  const diagnosis: Diagnosis = !overflow
    ? 'not-stack-overflow'
    : cycle
      ? 'stack-overflow-with-cycle'
      : 'stack-overflow-without-cycle';
  return { diagnosis, signo, fault, faultBelowStack, rspBelowMapping, guardFault, raisedAt };
}

interface ReportParts {
  opened: OpenedProcess;
  walked: ReturnType<typeof walkProcess> & { walkMode: 'exact' | 'scan'; maxFrames: number };
  found: { cycle: CycleMatch | undefined; noise: Uint32Array } | undefined;
  overflow: Overflow;
  describeFrame: (index: number) => FrameInfo;
  names: { executable: string; core: string };
}

function buildReport({ opened, walked, found, overflow: d, describeFrame, names }: ReportParts): AnalysisReport {
  const { exe, image, symbols, region, notes } = opened;
  const { frames, tables, runtime, walkMode, maxFrames } = walked;
  const regs = image.core.thread.registers;
  const cycle = found?.cycle;
  const listed = listedFrames(frames.pcs.length, cycle, describeFrame);
  return {
    schema: ANALYSIS_SCHEMA,
    schemaVersion: ANALYSIS_SCHEMA_VERSION,
    verdict: d.diagnosis,
    trigger: d.raisedAt
      ? { kind: 'stack-overflow-raise', at: d.raisedAt }
      : d.guardFault
        ? { kind: 'guard-fault' }
        : null,
    ocaml: { version: runtime.version ?? null, fibers: runtime.fibers },
    executable: {
      path: names.executable,
      buildId: exe.buildId ?? null,
      pie: exe.header.type === ET_DYN,
      loadBias: hex(image.bias),
      symbols: symbols.source,
      frameTableModules: tables?.modules ?? 0,
      frameDescriptors: tables?.descriptors.size ?? 0,
    },
    core: { path: names.core, pid: image.core.thread.pid, matchedBy: image.matchedBy },
    signal: {
      number: d.signo,
      name: signalName(d.signo),
      code: image.core.signal?.code ?? null,
      faultAddress: d.fault !== undefined ? hex(d.fault) : null,
    },
    registers: { rip: hex(regs.rip), rsp: hex(regs.rsp), rbp: hex(regs.rbp) },
    stack: {
      low: hex(region.start),
      high: hex(region.end),
      usedBytes: region.end - regs.rsp,
      rspPageOffset: regs.rsp % PAGE,
      rspAtPageBoundary: regs.rsp % PAGE === 0,
      rspBelowMapping: d.rspBelowMapping,
      faultBelowStack: d.faultBelowStack,
    },
    walk: {
      mode: walkMode,
      totalFrames: frames.pcs.length,
      exactFrames: frames.pcs.length - frames.scanned - 1,
      scannedFrames: frames.scanned,
      ended: frames.ended,
      maxFrames: Number.isFinite(maxFrames) ? maxFrames : null,
    },
    top: listed.top,
    cycle: cycle ? cycleReport(cycle, found!.noise.length, frames, describeFrame) : null,
    entry: listed.entry,
    omittedFrames: listed.omitted,
    notes,
  };
}

/** The frames the report names: the top of the stack, and where a cycle was entered. */
function listedFrames(total: number, cycle: CycleMatch | undefined, describeFrame: (index: number) => FrameInfo) {
  const range = (from: number, to: number) => {
    const out: FrameInfo[] = [];
    for (let i = from; i < Math.min(to, total); i++) out.push(describeFrame(i));
    return out;
  };
  const top = cycle ? range(0, Math.min(cycle.start, TOP_FRAMES_WITH_CYCLE)) : range(0, TOP_FRAMES_WITHOUT_CYCLE);
  const entry = cycle ? range(cycle.end, cycle.end + ENTRY_FRAMES) : [];
  const listed = top.length + entry.length + (cycle ? cycle.end - cycle.start : 0);
  return { top, entry, omitted: Math.max(0, total - listed) };
}

function loadFrameTables(
  image: ProcessImage,
  symbols: SymbolTable,
  runtime: OcamlRuntime,
  notes: string[],
): FrameTables | undefined {
  const address = symbols.dataAddress('caml_frametable');
  if (address === undefined) {
    notes.push(
      'no caml_frametable symbol (not an OCaml 4.x native executable, or stripped of it): falling back to scan mode',
    );
    return undefined;
  }
  const tables = readFrameTables(image.memory, address + image.bias, runtime.frameTables);
  if (tables.descriptors.size === 0) {
    notes.push('the frame tables could not be read from the core: falling back to scan mode');
    return undefined;
  }
  return tables;
}

function cycleReport(
  cycle: CycleMatch,
  noise: number,
  frames: StackFrames,
  describeFrame: (i: number) => FrameInfo,
): CycleReport {
  const unitStart = cycle.end - cycle.period;
  const unit: FrameInfo[] = [];
  for (let i = unitStart; i < cycle.end; i++) unit.push(describeFrame(i));
  const a = frames.slots[cycle.end - 1]!;
  const b = frames.slots[cycle.end - 1 - cycle.period];
  return {
    period: cycle.period,
    repetitions: cycle.repetitions,
    partialFrames: (cycle.end - cycle.start) % cycle.period,
    firstFrame: cycle.start,
    lastFrame: cycle.end - 1,
    bytesPerRepetition: b !== undefined && b >= 0 && a > b ? a - b : null,
    frames: unit,
    noiseFrames: noise,
  };
}

/** The dumped stacks an OCaml 5 walk crosses into (the C stack below a fiber), each read through one window. */
function otherStacks(image: ProcessImage): (address: number) => StackMemory | undefined {
  const opened = new Map<number, StackMemory>();
  return (address) => {
    const region = image.memory.stackRegion(address, 0);
    if (!region) return undefined;
    let stack = opened.get(region.start);
    if (!stack) {
      stack = new StackMemory(region, region.start);
      opened.set(region.start, stack);
    }
    return stack;
  };
}

function describe(
  image: ProcessImage,
  symbols: SymbolTable,
  tables: FrameTables | undefined,
  runtime: OcamlRuntime,
  frames: StackFrames,
  index: number,
): FrameInfo {
  const pc = frames.pcs[index]!;
  const method = METHODS[frames.methods[index]!]!;
  const slot = frames.slots[index]!;
  // A return address may point just past a call at a function's very end, so look up pc - 1.
  const hit = symbols.lookup(pc - image.bias - (method === 'register' ? 0 : 1));
  const offset = hit ? pc - image.bias - hit.address : null;
  const debugInfo = method !== 'register' ? tables?.descriptors.get(pc)?.debugInfo : undefined;
  const decode = runtime.packedDebugInfo ? decodePackedLocation : decodeLocation;
  const location = debugInfo ? decode(image.memory, debugInfo) : undefined;
  return {
    index,
    pc: hex(pc),
    name: hit ? demangle(hit.name).name : '??',
    symbol: hit ? hit.name : null,
    offset,
    file: location?.file ?? null,
    line: location?.line ?? null,
    definition: location?.definition ?? null,
    method,
    slot: slot >= 0 ? hex(slot) : null,
  };
}
