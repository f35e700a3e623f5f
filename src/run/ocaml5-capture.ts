import { join } from 'node:path';
import { execa } from 'execa';
import { exists } from '../io/exists.js';
import { gdbArguments, gdbMissing, gdbNotFound, gdbReport } from './gdb-batch.js';
import { withoutGdbLines } from './gdb-output.js';
import { common, type RunRequest, type RunResult, runGroup, startFailure } from './run-under-limits.js';

/**
 * OCaml 5 runs OCaml code on fiber stacks that `ulimit -s` does not bound:
 * OCAMLRUNPARAM=l (in words, runtime/startup_aux.c) caps each fiber, and the
 * cap is taken from the same --stack the 4.x runs get.
 */
export function fiberLimitWords(stackKiB: number): number {
  return (stackKiB * 1024) / 8;
}

/**
 * OCAMLRUNPARAM for a case: backtraces (b, the evidence when there is no core)
 * and, on OCaml 5, the fiber limit, and d=1: a case runs one domain, and
 * OCaml 5.3 otherwise reserves minor heaps for 128 of them (runtime/startup_aux.c
 * max_domains), which every core then holds (272 MB instead of 6 MB for a
 * 1 MiB fiber). OCaml 5.1 has no `d` and ignores it.
 */
export function runtimeParameters(fibers: boolean, stackKiB: number): string {
  return fibers ? `b,l=${fiberLimitWords(stackKiB)},d=1` : 'b';
}

/**
 * Where OCaml 5 raises Stack_overflow (runtime/amd64.S: caml_call_realloc_stack
 * jumps to caml_raise_exn with %rax = &caml_exn_Stack_overflow when the fiber
 * cannot grow; runtime/fail.c: caml_raise_stack_overflow from C). Conditional,
 * so other exceptions cost a trap each but do not stop.
 */
const BREAKPOINTS = ['break caml_raise_exn if $rax == &caml_exn_Stack_overflow', 'break caml_raise_stack_overflow'];

/**
 * An exception that escapes to the top ends in caml_fatal_uncaught_exception
 * (runtime/printexc.c), which prints it and exits 2. Lwt's default
 * async_exception_hook prints the same words and exits 2 without passing
 * there: only this breakpoint tells the two apart.
 */
const UNCAUGHT = 'break caml_fatal_uncaught_exception';

const FIBER_CORES = {
  purpose: 'capture cores of OCaml 5 programs',
  otherwise: 'use --capture kernel to judge by the Stack_overflow backtrace alone',
};

/**
 * Runs an OCaml 5 program under gdb, stopped where the runtime raises
 * Stack_overflow: the core is written there (the overflowing frames are
 * still on the fiber), then the program goes on, so that what it does with
 * the exception — Lwt catching it, or it escaping — is seen too. A program
 * that dies of a signal first has its core written at the signal, as on OCaml 4.
 */
export async function runOcaml5UnderGdb(request: RunRequest): Promise<RunResult> {
  const core = join(request.cwd, 'core');
  const commands = [...BREAKPOINTS, 'run', `generate-core-file ${core}`, 'delete', UNCAUGHT, 'continue', 'continue'];
  const gdbArgs = gdbArguments(commands, request.executable, request.args);
  const run = await runGroup(
    [String(request.stackKiB), 'gdb', ...gdbArgs],
    request.cwd,
    request.timeoutMs,
    request.env,
  );
  if (gdbNotFound(run)) throw gdbMissing(FIBER_CORES);
  const out = `${run.stdout.text}\n${run.stderr.text}`;
  const stoppedAt = /^Breakpoint \d+, (?:0x[0-9a-f]+ in )?(caml_raise_exn|caml_raise_stack_overflow) /m.exec(out)?.[1];
  const uncaught = /^Breakpoint \d+, (?:0x[0-9a-f]+ in )?caml_fatal_uncaught_exception /m.test(out);
  const report = gdbReport(run, request.executable);
  const captured = (stoppedAt !== undefined || report.signal !== undefined) && (await exists(core));
  return {
    ...common(run),
    stdout: withoutGdbLines(run.stdout.text),
    exitCode: report.exitCode,
    signal: run.timedOut ? undefined : report.signal,
    startFailed: report.startFailed,
    core: captured ? core : undefined,
    capture: { method: 'gdb' },
    ...(stoppedAt ? { raised: { at: stoppedAt, uncaught } } : {}),
  };
}

/** Whether gdb can be run here. */
export async function gdbAvailable(): Promise<boolean> {
  const r = await execa('gdb', ['--version'], { reject: false });
  return r.exitCode === 0;
}

/**
 * One run of an OCaml 5 program: under gdb when it can be had (the core at
 * the raise), otherwise plainly, the uncaught Stack_overflow's backtrace
 * then being the only evidence. `--capture kernel` asks for no gdb.
 */
export async function runFiberProgram(request: RunRequest): Promise<RunResult> {
  if (request.capture === 'gdb' || (request.capture === 'auto' && (await gdbAvailable()))) {
    if (request.capture === 'gdb' && !(await gdbAvailable())) throw gdbMissing(FIBER_CORES);
    return runOcaml5UnderGdb(request);
  }
  const run = await runGroup(
    [String(request.stackKiB), request.executable, ...request.args],
    request.cwd,
    request.timeoutMs,
    request.env,
  );
  return {
    ...common(run),
    exitCode: run.exitCode,
    signal: run.timedOut ? undefined : run.signal,
    startFailed: startFailure(run),
    core: undefined,
    capture: {
      method: 'none',
      note:
        request.capture === 'kernel'
          ? 'OCaml 5 raises Stack_overflow instead of dying of a signal, ' +
            'so the kernel writes no core (--capture kernel)'
          : 'gdb is not installed, and OCaml 5 raises Stack_overflow instead of dying of a signal, ' +
            'so no core was taken',
    },
  };
}
