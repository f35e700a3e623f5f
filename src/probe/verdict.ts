import { backtraceCycle } from '../analyze/backtrace-cycle.js';
import type { AnalysisReport } from '../analyze/report.js';
import type { ExceptionHandling, Expectation } from '../cases/manifest.js';
import { thousands } from '../report/thousands.js';
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
    | 'failure';
  /** One line for tables and failure messages. */
  summary: string;
  /** Names in the cycle (or in the overflow backtrace), top to bottom. */
  frames: string[];
  /** The source definitions of those frames where OCaml recorded them (`Lwt.bind.(fun)`), else the same names. */
  definitions: string[];
  /** Repetitions of the cycle. */
  depth: number | null;
  /** The depth is a lower bound: counted in a backtrace that keeps only the frames nearest the raise. */
  depthAtLeast: boolean;
  /** The frames below the cycle, where the recursion was entered (at most 5). */
  entry: string[];
  /** OCaml 5: what became of the Stack_overflow; null where the run does not show it (OCaml 4's signals). */
  handling: ExceptionHandling | null;
}

const nothing: Pick<Observation, 'frames' | 'definitions' | 'depth' | 'depthAtLeast' | 'entry' | 'handling'> = {
  frames: [],
  definitions: [],
  depth: null,
  depthAtLeast: false,
  entry: [],
  handling: null,
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

export function observe(evidence: Evidence, analysis: AnalysisReport | undefined): Observation {
  switch (evidence.kind) {
    case 'core': {
      if (!analysis) return { ...nothing, outcome: 'crash', summary: `${evidence.signal} (core not analyzed)` };
      const raised = evidence.raised;
      const handling = raised ? (raised.uncaught ? 'uncaught' : 'caught-by-lwt') : null;
      const then = raised ? ` (${afterSummary(raised)})` : '';
      if (analysis.verdict === 'stack-overflow-with-cycle' && analysis.cycle) {
        const c = analysis.cycle;
        const frames = c.frames.map((f) => f.name);
        return {
          outcome: 'cycle',
          summary: `cycle of ${c.period} × ${thousands(c.repetitions)}: ${frames.join(' → ')}${then}`,
          frames,
          definitions: c.frames.map((f) => f.definition ?? f.name),
          depth: c.repetitions,
          depthAtLeast: false,
          entry: analysis.entry.slice(0, 5).map((f) => f.name),
          handling,
        };
      }
      const top = analysis.top.map((f) => f.name);
      const definitions = analysis.top.map((f) => f.definition ?? f.name);
      if (analysis.verdict === 'stack-overflow-without-cycle')
        return {
          ...nothing,
          outcome: 'overflow-without-cycle',
          summary: `stack overflow (${raised ? `Stack_overflow raised at ${raised.at}` : evidence.signal}) without a recurring cycle${then}`,
          frames: top,
          definitions,
          handling,
        };
      return {
        ...nothing,
        outcome: 'crash',
        summary: `${evidence.signal}, not a stack overflow: ${top.slice(0, 3).join(' ← ')}`,
        frames: top,
        definitions,
      };
    }
    case 'signal-without-core':
      return { ...nothing, outcome: 'crash', summary: `${evidence.signal} but no core: ${evidence.why}` };
    case 'exception': {
      // Printexc's words come from its uncaught-exception handler and from Lwt's hook alike: no telling which.
      const handling = evidence.printedBy === 'runtime' ? 'uncaught' : null;
      const reported =
        evidence.printedBy === 'runtime'
          ? `uncaught ${evidence.exception}`
          : `${evidence.exception} printed as fatal (uncaught, or by Lwt.async_exception_hook)`;
      const cycle = backtraceCycle(evidence.backtrace);
      if (cycle)
        return {
          ...nothing,
          outcome: 'cycle',
          summary: `${reported}, its backtrace a cycle of ${cycle.frames.length} × ${cycle.truncated ? 'at least ' : ''}${thousands(cycle.repetitions)}: ${cycle.frames.join(' → ')}`,
          frames: cycle.frames,
          definitions: cycle.frames,
          depth: cycle.repetitions,
          depthAtLeast: cycle.truncated,
          handling,
        };
      // "Raised at X", "Called from X", "Raised by primitive operation at X", each with "in file …" after.
      const frames = evidence.backtrace.map((l) => /(?:from|at) (\S+) in file/.exec(l)?.[1] ?? l);
      return {
        ...nothing,
        outcome: 'overflow-exception',
        summary: `${reported}${frames.length ? ` in ${frames.slice(0, 3).join(' ← ')}` : ' (no backtrace)'}`,
        frames,
        definitions: frames,
        handling,
      };
    }
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

/**
 * `Lwt.resolve` names the same function as `Lwt.Resolution_loop.resolve`
 * (OCaml 4.12+ backtraces give the nested module path, symbols do not).
 */
export function sameFunction(expected: string, observed: string): boolean {
  if (expected === observed) return true;
  const e = expected.split('.');
  const o = observed.split('.');
  return e.length === 2 && o.length > 2 && e[0] === o[0] && e[1] === o[o.length - 1];
}

export type Judgement = { met: true } | { met: false; why: string };

/**
 * Did the run do what the manifest expects for this version? A `cycle` needs
 * a recurring cycle holding every listed frame, by symbol or by the source
 * definition OCaml recorded (`Lwt.bind` holds `Lwt.bind.(fun)`) (an uncaught Stack_overflow
 * whose backtrace holds them counts too); `clean` needs a complete clean exit.
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
      why: `expected a stack overflow with a cycle through ${expectation.frames.join(', ') || 'any frames'}, observed ${observed.summary}`,
    };
  }
  const missing = expectation.frames.filter(
    (f) =>
      !observed.frames.some((o) => sameFunction(f, o)) &&
      !observed.definitions.some((d) => d === f || d.startsWith(`${f}.`)),
  );
  if (missing.length > 0)
    return { met: false, why: `the cycle lacks ${missing.join(', ')}: observed ${observed.summary}` };
  if (expectation.exception && observed.handling !== expectation.exception)
    return {
      met: false,
      why: `expected the Stack_overflow to be ${HANDLING_TEXT[expectation.exception]}, observed ${observed.handling ? `it ${HANDLING_TEXT[observed.handling]}` : 'nothing of what became of it'}: ${observed.summary}`,
    };
  return { met: true };
}
