import { openCore } from '../core/core-dump.js';
import { bindProcess, type ProcessImage } from '../core/process-image.js';
import { signalName } from '../core/signals.js';
import { StackMemory } from '../core/stack-memory.js';
import type { ByteReader } from '../elf/byte-reader.js';
import { openElf } from '../elf/elf-file.js';
import { ET_DYN } from '../elf/header.js';
import { PF_X, PT_LOAD } from '../elf/segments.js';
import { SymbolTable } from '../elf/symbols.js';
import { EXIT, UserError } from '../errors.js';
import { identifyRuntime, type OcamlRuntime } from '../ocaml/compiler-version.js';
import { decodePackedLocation } from '../ocaml/debuginfo5.js';
import { demangle } from '../ocaml/demangle.js';
import { decodeLocation, type FrameTables, readFrameTables } from '../ocaml/frametable.js';
import { ReturnAddressOracle } from '../ocaml/return-address.js';
import { METHODS, type StackFrames, walkStack } from '../ocaml/stack-walk.js';
import { type CycleMatch, findCycle, findCycleTolerant } from './cycle.js';
import { stackOverflowRaise } from './overflow-raise.js';
import {
  ANALYSIS_SCHEMA,
  ANALYSIS_SCHEMA_VERSION,
  type AnalysisReport,
  type CycleReport,
  type FrameInfo,
  type Verdict,
} from './report.js';

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
/** Linux keeps a 256-page gap below a growing stack; a fault within it (plus slack) is an overflow. */
const GUARD_GAP = 256 * 4096 + 64 * 1024;
const TOP_FRAMES_WITH_CYCLE = 20;
const TOP_FRAMES_WITHOUT_CYCLE = 50;
const ENTRY_FRAMES = 20;

const hex = (n: number) => `0x${n.toString(16)}`;

/** From an executable and its core to the recurring cycle. Pure: reads only through the two readers. */
export function analyzeCore(executable: ByteReader, core: ByteReader, options: AnalyzeOptions = {}): Analysis {
  let mark = performance.now();
  const lap = () => {
    const now = performance.now();
    const ms = now - mark;
    mark = now;
    return ms;
  };
  const mode = options.mode ?? 'exact';
  const maxFrames = options.maxFrames ?? Number.POSITIVE_INFINITY;
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
  const stack = new StackMemory(region, Math.max(region.start, regs.rsp));
  const openMs = lap();

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
  const frames = walkStack({
    stack,
    descriptors: tables?.descriptors,
    returnAddresses: oracle,
    pc: regs.rip,
    sp: regs.rsp,
    maxFrames,
    fibers: runtime.fibers ? { stackAt: otherStacks(image) } : undefined,
  });

  const walkMs = lap();
  const scanned = frames.scanned;
  const walkMode = tables && scanned < frames.pcs.length / 2 ? 'exact' : 'scan';
  const found =
    walkMode === 'exact'
      ? { cycle: findCycle(frames.pcs, 1), noise: new Uint32Array(0) }
      : findCycleTolerant(frames.pcs, frames.slots, 1);
  const cycle = found?.cycle;
  const cycleMs = lap();

  const describeFrame = (index: number): FrameInfo => describe(image, symbols, tables, runtime, frames, index);
  const signo = image.core.signal?.signo ?? image.core.thread.signal;
  const fault = image.core.signal && (signo === SIGSEGV || signo === SIGBUS) ? image.core.signal.address : undefined;
  const faultBelowStack = fault !== undefined && fault < region.start + 4096 && fault + GUARD_GAP >= region.start;
  const rspBelowMapping = regs.rsp < region.start;
  const guardFault =
    (signo === SIGSEGV || signo === SIGBUS) &&
    (fault !== undefined ? faultBelowStack : rspBelowMapping || regs.rsp - region.start < 4096);
  const raisedAt = runtime.fibers ? stackOverflowRaise(symbols, image.bias, regs) : undefined;
  const overflow = guardFault || raisedAt !== undefined;
  const verdict: Verdict = !overflow
    ? 'not-stack-overflow'
    : cycle
      ? 'stack-overflow-with-cycle'
      : 'stack-overflow-without-cycle';

  const total = frames.pcs.length;
  const range = (from: number, to: number) => {
    const out: FrameInfo[] = [];
    for (let i = from; i < Math.min(to, total); i++) out.push(describeFrame(i));
    return out;
  };
  const top = cycle ? range(0, Math.min(cycle.start, TOP_FRAMES_WITH_CYCLE)) : range(0, TOP_FRAMES_WITHOUT_CYCLE);
  const entry = cycle ? range(cycle.end, cycle.end + ENTRY_FRAMES) : [];
  const listed = top.length + entry.length + (cycle ? cycle.end - cycle.start : 0);

  const report: AnalysisReport = {
    schema: ANALYSIS_SCHEMA,
    schemaVersion: ANALYSIS_SCHEMA_VERSION,
    verdict,
    trigger: raisedAt ? { kind: 'stack-overflow-raise', at: raisedAt } : guardFault ? { kind: 'guard-fault' } : null,
    ocaml: { version: runtime.version ?? null, fibers: runtime.fibers },
    executable: {
      path: executable.name,
      buildId: exe.buildId ?? null,
      pie: exe.header.type === ET_DYN,
      loadBias: hex(image.bias),
      symbols: symbols.source,
      frameTableModules: tables?.modules ?? 0,
      frameDescriptors: tables?.descriptors.size ?? 0,
    },
    core: { path: core.name, pid: image.core.thread.pid, matchedBy: image.matchedBy },
    signal: {
      number: signo,
      name: signalName(signo),
      code: image.core.signal?.code ?? null,
      faultAddress: fault !== undefined ? hex(fault) : null,
    },
    registers: { rip: hex(regs.rip), rsp: hex(regs.rsp), rbp: hex(regs.rbp) },
    stack: {
      low: hex(region.start),
      high: hex(region.end),
      usedBytes: region.end - regs.rsp,
      rspPageOffset: regs.rsp % 4096,
      rspAtPageBoundary: regs.rsp % 4096 === 0,
      rspBelowMapping,
      faultBelowStack,
    },
    walk: {
      mode: walkMode,
      totalFrames: total,
      exactFrames: total - scanned - 1,
      scannedFrames: scanned,
      ended: frames.ended,
      maxFrames: Number.isFinite(maxFrames) ? maxFrames : null,
    },
    top,
    cycle: cycle ? cycleReport(cycle, found!.noise.length, frames, describeFrame) : null,
    entry,
    omittedFrames: Math.max(0, total - listed),
    notes,
  };
  return {
    report,
    frames,
    describeFrame,
    timings: { open: openMs, frameTables: frameTablesMs, walk: walkMs, cycle: cycleMs, report: lap() },
  };
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
