import type { RunResult } from '../run/run-under-limits.js';

/** What one run of a case left behind. */
export type Evidence =
  | { kind: 'core'; core: string; signal: string }
  | { kind: 'signal-without-core'; signal: string; why: string }
  | { kind: 'not-started'; why: string }
  | { kind: 'exception'; exception: string; backtrace: string[] }
  | { kind: 'hang'; seconds: number }
  | { kind: 'clean'; message: string }
  | { kind: 'incomplete'; message: string }
  | { kind: 'failure'; exitCode: number | undefined; message: string };

const lastLine = (text: string) => text.trim().split('\n').pop() ?? '';

/** Classifies a run: a signal with a core, an uncaught overflow exception, a hang, a clean or incomplete exit, or something else. */
/**
 * `cleanWhen`: a case must say `clean: …` as its last word (so that work an
 * overflow cut short inside Lwt is not taken for success); any other program
 * (`lwt-regress check`) is clean when it exits 0.
 */
export function classifyRun(
  run: RunResult,
  timeoutMs: number,
  cleanWhen: 'clean-line' | 'exit-0' = 'clean-line',
): Evidence {
  if (run.startFailed) return { kind: 'not-started', why: run.startFailed };
  if (run.timedOut) return { kind: 'hang', seconds: timeoutMs / 1000 };
  if (run.signal) {
    return run.core
      ? { kind: 'core', core: run.core, signal: run.signal }
      : { kind: 'signal-without-core', signal: run.signal, why: run.capture.note ?? 'no core file appeared' };
  }
  const fatal = /Fatal error: exception (Stack_overflow|Out_of_memory)/.exec(run.stderr);
  if (fatal) {
    const backtrace = run.stderr.split('\n').filter((l) => /^(Raised|Called from|Re-raised)/.test(l));
    return { kind: 'exception', exception: fatal[1]!, backtrace };
  }
  if (run.exitCode === 0 && /^clean:/m.test(run.stdout)) return { kind: 'clean', message: lastLine(run.stdout) };
  if (run.exitCode === 0 && cleanWhen === 'exit-0') return { kind: 'clean', message: 'exit 0' };
  if (/^incomplete:/m.test(run.stdout)) return { kind: 'incomplete', message: lastLine(run.stdout) };
  return {
    kind: 'failure',
    exitCode: run.exitCode,
    message: lastLine(run.stderr) || lastLine(run.stdout) || `exit ${run.exitCode}`,
  };
}
