import { rmSync } from 'node:fs';
import { endTagged, tagSession } from './process-tags.js';

/**
 * What an interrupted lwt-regress must undo before it exits: the runs in
 * flight (their tags), the temporary directories it made, and whatever the
 * command wants said about the work done so far (the partial results).
 */
const runs = new Map<string, () => void>();
const dirs = new Set<string>();
let partial: (() => string) | undefined;
let session: { name: string; value: string } | undefined;

/** A run in flight, and how to end all its processes (its confinement's end). */
export function trackRun(tag: string, end: () => void): void {
  runs.set(tag, end);
}

export function untrackRun(tag: string): void {
  runs.delete(tag);
}

export function trackDir(dir: string): void {
  dirs.add(dir);
}

export function untrackDir(dir: string): void {
  dirs.delete(dir);
}

/** What to print (on stdout) if the command is interrupted: the results so far. */
export function onInterruptReport(report: () => string): void {
  partial = report;
}

/** Exit statuses of a process ended by a signal, as shells report them (128 + signal number). */
export const INTERRUPT_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Installs SIGINT and SIGTERM handlers: every process this lwt-regress
 * started (cases, gdb, compilers, git bisect and the probes it runs) is
 * ended, temporary directories are removed, the partial results are printed,
 * and the process exits 130 or 143. Synchronous on purpose: nothing else
 * runs between the signal and the exit.
 */
export function installInterruptHandlers(): void {
  session = tagSession();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      for (const end of runs.values()) end();
      if (session) endTagged(session.name, session.value);
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      const report = partial?.();
      if (report) process.stdout.write(`${report}\n`);
      process.stderr.write(`lwt-regress: interrupted (${signal}); stopped every process it started\n`);
      process.exit(INTERRUPT_EXIT[signal]);
    });
  }
}
