import type { AnalysisReport, FrameInfo } from '../analyze/analysis-report.js';
import { backtraceCycle, backtraceFrames } from '../analyze/backtrace-cycle.js';
import { holdsFrame } from '../cases/frame-names.js';
import type { ExceptionHandling, Expectation } from '../cases/manifest.js';
import { thousands } from '../text/thousands.js';
import type { Evidence } from './evidence.js';

/** What happened, in the terms expectations use. */
export interface Observation {
  outcome:
    | 'cycle'
    | 'overflow-without-cycle'
    | 'overflow-exception'
    | 'clean'
    | 'hang'
    | 'incomplete'
    | 'crash'
    | 'failure'
    /** It died of a signal, but its core was lost or unreadable: whether it overflowed cannot be told. */
    | 'no-evidence'
    /** The program could not be started: nothing about the case was observed. */
    | 'not-started';
  /** One line for tables and failure messages. */
  summary: string;
  /** Names in the cycle (or in the overflow backtrace), top to bottom. */
  frames: string[];
  /** The source definitions of those frames where OCaml recorded them (`Lwt.bind.(fun)`), else the same names. */
  definitions: string[];
  /** Repetitions of the cycle. */
  depth: number | null;
  /** The depth is a lower bound: it was read from a printed backtrace, which keeps only the top frames. */
  depthIsLowerBound?: boolean;
  /** The frames below the cycle, where the recursion was entered (at most 5). */
  entry: string[];
  /** For a cycle read from a core: where each of its frames is, in the order of `frames`, then the entry's. */
  where?: { cycle: FrameWhere[]; entry: FrameWhere[] };
  /** OCaml 5: what became of the Stack_overflow; absent where the run does not show it (OCaml 4's signals). */
  handling?: ExceptionHandling;
}

/** A frame as a reader looks it up: its symbol with the offset, its source line, its return address. */
export interface FrameWhere {
  name: string;
  symbol: string | null;
  location: string | null;
  pc: string;
}

const whereOf = (f: FrameInfo): FrameWhere => ({
  name: f.name,
  symbol: f.symbol ? `${f.symbol}+0x${(f.offset ?? 0).toString(16)}` : null,
  location: f.file ? `${f.file}${f.line !== null ? `:${f.line}` : ''}` : null,
  pc: f.pc,
});

/**
 * What entered a cycle: the frames below it, without the leading ones that
 * belong to the cycle's own functions (a partial repetition, or the same
 * functions called from other sites, as the main loop's first resolution).
 * The analysis keeps every frame; this is what a reader wants to see first.
 */
export function entryBelow(cycle: string[], entry: FrameInfo[]): FrameInfo[] {
  const own = new Set(cycle);
  let skip = 0;
  while (skip < entry.length && own.has(entry[skip]!.name)) skip++;
  return entry.slice(skip);
}

const nothing: Pick<Observation, 'frames' | 'definitions' | 'depth' | 'entry'> = {
  frames: [],
  definitions: [],
  depth: null,
  entry: [],
};

const HANDLING_TEXT: Record<ExceptionHandling, string> = {
  'caught-by-lwt': 'caught by Lwt',
  uncaught: 'uncaught',
};

/**
 * After OCaml 5 raised Stack_overflow under gdb: it escaped when it reached the
 * runtime's uncaught-exception handler; otherwise the program went on (Lwt
 * rejected a promise, or its async exception hook reported it and exited).
 */
function afterSummary(raised: { uncaught: boolean; after: Evidence }): string {
  if (raised.uncaught) return 'Stack_overflow uncaught: the program died of it';
  if (raised.after.kind === 'exception')
    return 'Stack_overflow caught by Lwt: Lwt.async_exception_hook reported it and exited';
  return `Stack_overflow caught by Lwt, then ${observe(raised.after, undefined).summary}`;
}

/** `analysisError`: why the core could not be analysed (cut short by a full disk, say). */
export function observe(evidence: Evidence, analysis: AnalysisReport | undefined, analysisError?: string): Observation {
  switch (evidence.kind) {
    case 'core':
      return observeCore(evidence, analysis, analysisError);
    case 'signal-without-core':
      return { ...nothing, outcome: 'no-evidence', summary: `${evidence.signal} but no core: ${evidence.why}` };
    case 'not-started':
      return { ...nothing, outcome: 'not-started', summary: `the program could not be started: ${evidence.why}` };
    case 'exception':
      return observeException(evidence);
    case 'hang':
      return { ...nothing, outcome: 'hang', summary: `no exit within ${evidence.seconds} s` };
    case 'clean':
      return { ...nothing, outcome: 'clean', summary: evidence.message };
    case 'incomplete':
      return { ...nothing, outcome: 'incomplete', summary: evidence.message };
    case 'failure':
      return { ...nothing, outcome: 'failure', summary: `exit ${evidence.exitCode ?? '?'}: ${evidence.message}` };
  }
}

/** A core, as its analysis reads it: a cycle, an overflow without one, or another crash. */
function observeCore(
  evidence: Extract<Evidence, { kind: 'core' }>,
  analysis: AnalysisReport | undefined,
  analysisError: string | undefined,
): Observation {
  if (!analysis) {
    const why = analysisError ?? 'the core was not analysed';
    return {
      ...nothing,
      outcome: 'no-evidence',
      summary: `${evidence.signal}, but its core cannot be read: ${why}`,
    };
  }
  const raised = evidence.raised;
  const handled = raised ? { handling: raised.uncaught ? ('uncaught' as const) : ('caught-by-lwt' as const) } : {};
  const then = raised ? ` (${afterSummary(raised)})` : '';
  if (analysis.verdict === 'stack-overflow-with-cycle' && analysis.cycle) {
    const c = analysis.cycle;
    const frames = c.frames.map((f) => f.name);
    const entry = entryBelow(frames, analysis.entry).slice(0, 5);
    return {
      ...handled,
      outcome: 'cycle',
      summary: `cycle of ${c.period} × ${thousands(c.repetitions)}: ${frames.join(' → ')}${then}`,
      frames,
      definitions: c.frames.map((f) => f.definition ?? f.name),
      depth: c.repetitions,
      entry: entry.map((f) => f.name),
      where: { cycle: c.frames.map(whereOf), entry: entry.map(whereOf) },
    };
  }
  const top = analysis.top.map((f) => f.name);
  const definitions = analysis.top.map((f) => f.definition ?? f.name);
  if (analysis.verdict === 'stack-overflow-without-cycle')
    return {
      ...nothing,
      ...handled,
      outcome: 'overflow-without-cycle',
      summary:
        `stack overflow (${raised ? `Stack_overflow raised at ${raised.at}` : evidence.signal}) ` +
        `without a recurring cycle${then}`,
      frames: top,
      definitions,
    };
  return {
    ...nothing,
    outcome: 'crash',
    summary: `${evidence.signal}, not a stack overflow: ${top.slice(0, 3).join(' ← ')}`,
    frames: top,
    definitions,
  };
}

/** A printed Stack_overflow, its cycle read from the backtrace (whose top frames only were kept). */
function observeException(evidence: Extract<Evidence, { kind: 'exception' }>): Observation {
  const printed = backtraceFrames(evidence.backtrace);
  const cycle = backtraceCycle(printed);
  // Printexc's words come from its uncaught-exception handler and from Lwt's hook alike: no telling which.
  const handled = evidence.printedBy === 'runtime' ? { handling: 'uncaught' as const } : {};
  const reported =
    evidence.printedBy === 'runtime'
      ? `uncaught ${evidence.exception}`
      : `${evidence.exception} printed as fatal (uncaught, or by Lwt.async_exception_hook)`;
  if (cycle) {
    return {
      ...nothing,
      ...handled,
      outcome: 'overflow-exception',
      summary:
        `${reported}: cycle of ${cycle.frames.length} × at least ${thousands(cycle.repetitions)} ` +
        `(from the printed backtrace): ${cycle.frames.join(' → ')}`,
      frames: cycle.frames,
      definitions: cycle.frames,
      depth: cycle.repetitions,
      depthIsLowerBound: true,
      entry: cycle.entry.slice(0, 5),
    };
  }
  const frames = printed.map((f) => f.name);
  return {
    ...nothing,
    ...handled,
    outcome: 'overflow-exception',
    summary: `${reported}${frames.length ? ` in ${frames.slice(0, 3).join(' ← ')}` : ' (no backtrace)'}`,
    frames,
    definitions: frames,
  };
}

export type Judgement = { met: true } | { met: false; why: string };

/**
 * Why this observation cannot be judged at all, if it cannot: a verdict is
 * `fail` only when the case's own behaviour contradicts its expectation, and
 * a program that never started, or a crash whose core was lost (a full disk,
 * a core_pattern pipe), says nothing about whether it overflowed. A death by
 * signal still contradicts a `clean` expectation, core or no core.
 */
export function undecidable(expectation: Expectation, observed: Observation): string | undefined {
  if (observed.outcome === 'not-started') return observed.summary;
  if (observed.outcome === 'no-evidence' && expectation.outcome === 'cycle') return observed.summary;
  return undefined;
}

/**
 * Did the run do what the manifest expects for this version and compiler? A `cycle` needs
 * a recurring cycle holding every listed frame, by symbol or by the source
 * definition OCaml recorded (`Lwt.bind` holds `Lwt.bind.(fun)`) (an uncaught Stack_overflow
 * whose backtrace holds them counts too), and on OCaml 5 what became of the
 * exception where the manifest says; `clean` needs a complete clean exit.
 */
export function judge(expectation: Expectation, observed: Observation): Judgement {
  if (expectation.outcome === 'clean') {
    return observed.outcome === 'clean'
      ? { met: true }
      : { met: false, why: `expected a clean run, observed ${observed.summary}` };
  }
  if (observed.outcome !== 'cycle' && observed.outcome !== 'overflow-exception') {
    return {
      met: false,
      why:
        `expected a stack overflow with a cycle through ${expectation.frames.join(', ') || 'any frames'}, ` +
        `observed ${observed.summary}`,
    };
  }
  const missing = expectation.frames.filter((f) => !holdsFrame(f, observed.frames, observed.definitions));
  if (missing.length > 0)
    return { met: false, why: `the cycle lacks ${missing.join(', ')}: observed ${observed.summary}` };
  if (expectation.exception && observed.handling !== expectation.exception)
    return {
      met: false,
      why:
        `expected the Stack_overflow to be ${HANDLING_TEXT[expectation.exception]}, ` +
        `observed ${observed.handling ? `it ${HANDLING_TEXT[observed.handling]}` : 'nothing of what became of it'}: ` +
        observed.summary,
    };
  return { met: true };
}

/** Whether the run overflowed the stack, whatever was expected: a cycle, an overflow without one, or Stack_overflow. */
export function overflowed(observed: Observation | null): boolean {
  const o = observed?.outcome;
  return o === 'cycle' || o === 'overflow-without-cycle' || o === 'overflow-exception';
}
