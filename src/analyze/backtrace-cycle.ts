import { findCycle } from './cycle.js';

/** The recurring cycle of a printed OCaml backtrace. */
export interface BacktraceCycle {
  /** Function names of the repeating unit, top to bottom, as the backtrace names them (`Lwt.Resolution_loop.resolve`). */
  frames: string[];
  /** Whole repetitions among the frames printed. */
  repetitions: number;
  /**
   * The backtrace ends inside the cycle: the runtime keeps only the frames
   * nearest the raise (BACKTRACE_BUFFER_SIZE = 1024, runtime/caml/backtrace.h),
   * so the recursion is at least `repetitions` deep.
   */
  truncated: boolean;
}

// "Raised by primitive operation at F in file …", "Called from F in file …", "Re-raised at F in file …".
const FRAME = /^(?:Raised by primitive operation at|Raised at|Re-raised at|Called from) (\S+) in file (.*)$/;

/**
 * Folds a backtrace the way a core's frames are folded: each line (function
 * and location) is one frame, and the shortest unit that repeats from the top
 * down is the cycle.
 */
export function backtraceCycle(lines: string[]): BacktraceCycle | undefined {
  const frames = lines.map((l) => FRAME.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  const ids = new Map<string, number>();
  const keys = frames.map((m) => {
    const key = `${m[1]} ${m[2]}`;
    if (!ids.has(key)) ids.set(key, ids.size + 1);
    return ids.get(key)!;
  });
  const cycle = findCycle(keys, 0);
  if (!cycle) return undefined;
  return {
    frames: frames.slice(cycle.end - cycle.period, cycle.end).map((m) => m[1]!),
    repetitions: cycle.repetitions,
    truncated: cycle.end === frames.length,
  };
}
