import { EXIT, UserError } from '../errors.js';
import type { GroupRun } from './run-under-limits.js';

/**
 * gdb's command line for running a program in batch mode through these
 * commands (`-ex` each), without the user's .gdbinit: an argument array, the
 * program's arguments after `--args` as they are.
 */
export function gdbArguments(commands: string[], executable: string, args: string[]): string[] {
  return ['-batch', '-nx', ...commands.flatMap((c) => ['-ex', c]), '--args', executable, ...args];
}

/** What gdb was wanted for, and the other way the user has: the two halves of its absence's message. */
export interface GdbNeed {
  /** e.g. `capture cores here` */
  purpose: string;
  /** e.g. `make the kernel write core files (core_pattern core)` */
  otherwise: string;
}

/** Whether the limits script could not exec gdb: it is not installed. */
export function gdbNotFound(run: GroupRun): boolean {
  return run.exitCode === 127 && /\bexec: .*gdb/.test(run.stderr.text);
}

/** gdb not installed: a usage error (exit 8) naming what it was wanted for and the way round it. */
export function gdbMissing(need: GdbNeed): UserError {
  return new UserError(
    `gdb is needed to ${need.purpose} but is not installed`,
    EXIT.toolchain,
    `Install gdb (apt-get install gdb), or ${need.otherwise}`,
  );
}

/** What gdb reported of the program it ran. */
export interface GdbReport {
  /** The signal gdb saw the program receive (and stopped it at) or die of, timed out or not. */
  signal: string | undefined;
  /** The program's exit code, when it exited. */
  exitCode: number | undefined;
  /** gdb's line saying it could not load the program. */
  startFailed: string | undefined;
}

/** gdb's own lines about the program: its signal, its exit, its failure to load. */
export function gdbReport(run: GroupRun, executable: string): GdbReport {
  const out = `${run.stdout.text}\n${run.stderr.text}`;
  const signal = /Program (?:received|terminated with) signal (SIG[A-Z]+)/.exec(out)?.[1];
  const exited = /\[Inferior \d+ \(process \d+\) exited (?:normally|with code ([0-7]+))\]/.exec(out);
  return {
    signal,
    // gdb prints the exit code in octal (`exited with code 03`, `… 0177`).
    exitCode: exited ? Number.parseInt(exited[1] ?? '0', 8) : undefined,
    // gdb names the program it could not load: `<path>: No such file or directory.`
    startFailed: run.stderr.text
      .split('\n')
      .find((l) => l.startsWith(`${executable}: `) && /(No such file|Permission denied)/.test(l)),
  };
}
