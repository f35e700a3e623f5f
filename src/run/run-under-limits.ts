import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { EXIT, UserError } from '../errors.js';
import { exists } from '../io/exists.js';
import { type CappedText, collectCapped } from './capped-output.js';
import { kernelCoreDestination } from './core-pattern.js';
import { gdbArguments, gdbMissing, gdbNotFound, gdbReport } from './gdb-batch.js';
import { withoutGdbLines } from './gdb-output.js';
import { trackRun, untrackRun } from './interrupt.js';
import { killTagged, newTag, RUN_TAG } from './process-tags.js';

export type CaptureMethod = 'kernel' | 'gdb' | 'auto';

export interface RunRequest {
  executable: string;
  args: string[];
  /** A fresh directory: the process runs there and the core is moved there. */
  cwd: string;
  stackKiB: number;
  timeoutMs: number;
  capture: CaptureMethod;
  /** Extra environment, e.g. OCAMLRUNPARAM=b for backtraces. */
  env?: Record<string, string>;
  /**
   * A library to preload into the program (LD_PRELOAD) when the kernel takes
   * the core; under gdb it is not needed, since gdb stops at the first SIGSEGV
   * whatever handler the program installed, and would load it into gdb itself.
   */
  preload?: string;
}

export interface RunResult {
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  /** The program could not be started at all (the shell's exec failed): nothing about the case was observed. */
  startFailed: string | undefined;
  stdout: string;
  stderr: string;
  /** Sizes of the output streams, and whether they were cut to their beginning and end. */
  output: { stdoutBytes: number; stderrBytes: number; cut: boolean };
  /** The core, when the process died of a signal and one could be had. */
  core: string | undefined;
  /** How the core was captured, or why none was (`none`: OCaml 5 without gdb, see ocaml5-capture.ts). */
  capture: { method: 'kernel' | 'gdb' | 'none'; note?: string };
  /**
   * OCaml 5: gdb took the core as the runtime raised Stack_overflow (`at`: the
   * function it stopped in) and let the run go on; `uncaught`: the exception
   * then reached the runtime's uncaught-exception handler.
   */
  raised?: { at: string; uncaught: boolean };
  /** Processes the program left behind (in the background, or escaped into a session of their own), now ended. */
  strays: number;
}

// A fixed script: the limits and the command come in as arguments, never as shell text.
const LIMITS_SCRIPT = 'ulimit -s "$0" && ulimit -c unlimited && exec "$@"';

export interface GroupRun {
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  pid: number | undefined;
  stdout: CappedText;
  stderr: CappedText;
  strays: number;
}

/**
 * Runs the limits script in a process group of its own, every process of it
 * tagged (see process-tags.ts). On timeout the group and every tagged
 * process are killed: under gdb the program is gdb's child. When the program
 * exits, whatever it left running is ended too: a background child would
 * otherwise outlive the run and, holding the output pipes, keep it from ending.
 */
export async function runGroup(args: string[], cwd: string, timeoutMs: number, env: Record<string, string> = {}) {
  const tag = newTag();
  trackRun(tag);
  const child = execa('sh', ['-c', LIMITS_SCRIPT, ...args], {
    cwd,
    env: { ...env, [RUN_TAG]: tag },
    reject: false,
    stdin: 'ignore',
    detached: true,
    buffer: false,
  });
  const outputs = Promise.all([collectCapped(child.stdout), collectCapped(child.stderr)]);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    killTagged(RUN_TAG, tag);
  }, timeoutMs);
  let strays = 0;
  child.once('exit', () => {
    strays = killTagged(RUN_TAG, tag);
  });
  try {
    const result = await child;
    const [stdout, stderr] = await outputs;
    const run: GroupRun = {
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut,
      pid: child.pid,
      stdout,
      stderr,
      strays,
    };
    return run;
  } finally {
    clearTimeout(timer);
    killTagged(RUN_TAG, tag);
    untrackRun(tag);
  }
}

/** The shell could not exec the program (missing, not executable): dash says `exec: …`, bash `…: exec: …`. */
export function startFailure(run: GroupRun): string | undefined {
  if (run.exitCode !== 126 && run.exitCode !== 127) return undefined;
  return /\bexec: /.test(run.stderr.text) ? run.stderr.text.trim().split('\n').pop() : undefined;
}

export function common(run: GroupRun) {
  return {
    timedOut: run.timedOut,
    stdout: run.stdout.text,
    stderr: run.stderr.text,
    output: { stdoutBytes: run.stdout.bytes, stderrBytes: run.stderr.bytes, cut: run.stdout.cut || run.stderr.cut },
    strays: run.strays,
  };
}

/** Runs a program under a small stack with cores enabled, then picks up its core. */
export async function runUnderLimits(request: RunRequest): Promise<RunResult> {
  const destination = request.capture === 'gdb' ? undefined : await kernelCoreDestination();
  if (request.capture === 'kernel' && destination?.kind === 'unusable') {
    throw new UserError(
      `the kernel will not write a core file here: ${destination.why}`,
      EXIT.toolchain,
      'Use --capture gdb (or --capture auto), or set /proc/sys/kernel/core_pattern to core',
    );
  }
  if (destination?.kind === 'file') return runWithKernelCore(request, destination.pathFor);
  return runUnderGdb(request, destination?.kind === 'unusable' ? destination.why : undefined);
}

async function runWithKernelCore(
  request: RunRequest,
  pathFor: (pid: number, exe: string, cwd: string) => string,
): Promise<RunResult> {
  const preload: Record<string, string> = request.preload
    ? { LD_PRELOAD: [request.preload, process.env.LD_PRELOAD].filter(Boolean).join(':') }
    : {};
  const run = await runGroup(
    [String(request.stackKiB), request.executable, ...request.args],
    request.cwd,
    request.timeoutMs,
    { ...request.env, ...preload },
  );
  let core: string | undefined;
  if (run.signal && !run.timedOut && run.pid !== undefined) {
    const written = pathFor(run.pid, request.executable, request.cwd);
    if (await exists(written)) {
      core = join(request.cwd, 'core');
      if (written !== core) await rename(written, core);
    }
  }
  const lost = run.signal && !core && !run.timedOut;
  return {
    ...common(run),
    exitCode: run.exitCode,
    signal: run.timedOut ? undefined : run.signal,
    startFailed: startFailure(run),
    core,
    capture: {
      method: 'kernel',
      ...(lost ? { note: 'the process died of a signal but the kernel wrote no core file' } : {}),
    },
  };
}

async function runUnderGdb(request: RunRequest, why: string | undefined): Promise<RunResult> {
  const core = join(request.cwd, 'core');
  const gdbArgs = gdbArguments(['run', `generate-core-file ${core}`], request.executable, request.args);
  const run = await runGroup(
    [String(request.stackKiB), 'gdb', ...gdbArgs],
    request.cwd,
    request.timeoutMs,
    request.env,
  );
  if (gdbNotFound(run))
    throw gdbMissing({
      purpose: 'capture cores here',
      otherwise: 'make the kernel write core files (core_pattern core)',
    });
  const report = gdbReport(run, request.executable);
  const captured = report.signal !== undefined && (await exists(core));
  const shared = common(run);
  return {
    ...shared,
    stdout: withoutGdbLines(shared.stdout),
    stderr: withoutGdbLines(shared.stderr),
    exitCode: report.exitCode,
    signal: run.timedOut ? undefined : report.signal,
    startFailed: report.startFailed,
    core: captured ? core : undefined,
    capture: { method: 'gdb', ...(why ? { note: why } : {}) },
  };
}
