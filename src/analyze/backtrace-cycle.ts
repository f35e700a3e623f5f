import { findCycle } from './cycle.js';

export interface BacktraceCycle {
  /** The cycle's frames, top first, by name. */
  frames: string[];
  /** Whole repetitions seen: a lower bound, since the runtime keeps only the top of the backtrace. */
  repetitions: number;
  /** The frames below the cycle in what was printed (empty when the printout ends inside it). */
  entry: string[];
}

export interface BacktraceFrame {
  name: string;
  /** Where the frame is (`file:line`), which tells apart two calls from the same function. */
  location: string;
}

const BACKTRACE_LINE = new RegExp(
  '^(?:Raised at|Re-raised at|Called from|Raised by primitive operation at)\\s+' +
    '(?:(\\S+) in )?file "([^"]+)"(?:, line (\\d+))?',
);

/**
 * Frames of an OCaml backtrace as printed for an uncaught exception:
 * `Raised at Lwt.wakeup_general in file "src/core/lwt.ml", line 1372, characters …`
 * and `Called from …` lines (names are printed from OCaml 4.12 on; older
 * runtimes print only the location, which then stands for the name).
 */
export function backtraceFrames(lines: string[]): BacktraceFrame[] {
  const frames: BacktraceFrame[] = [];
  for (const line of lines) {
    const m = BACKTRACE_LINE.exec(line.trim());
    if (!m) continue;
    const location = `${m[2]}:${m[3] ?? '?'}`;
    frames.push({ name: m[1] ?? location, location });
  }
  return frames;
}

/**
 * The recurring cycle of a printed backtrace, by the same search as a
 * core's frames (analyze/cycle.ts), on frames keyed by name and location.
 * The runtime prints at most the top 1,024 frames of a stack overflow, so
 * the repetitions are a lower bound and the entry is often cut off.
 */
export function backtraceCycle(frames: BacktraceFrame[]): BacktraceCycle | undefined {
  const ids = new Map<string, number>();
  const keys = frames.map((f) => {
    const key = `${f.name}@${f.location}`;
    if (!ids.has(key)) ids.set(key, ids.size);
    return ids.get(key)!;
  });
  const cycle = findCycle(keys, 0);
  if (!cycle) return undefined;
  // The bottommost repetition, as the core analysis shows it.
  return {
    frames: frames.slice(cycle.end - cycle.period, cycle.end).map((f) => f.name),
    repetitions: cycle.repetitions,
    entry: frames.slice(cycle.end).map((f) => f.name),
  };
}
