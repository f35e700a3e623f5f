import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { EXIT, UserError } from '../errors.js';
import { exists } from '../io/exists.js';
import { type CappedText, collectCapped } from './capped-output.js';
import { CGROUP_VARIABLE, confine } from './confinement.js';
import { kernelCoreDestination } from './core-pattern.js';
import { gdbArguments, gdbMissing, gdbNotFound, gdbReport } from './gdb-batch.js';
import { withoutGdbLines } from './gdb-output.js';
import { hardLimit } from './hard-limits.js';
import { trackRun, untrackRun } from './interrupt.js';
import { newTag, RUN_TAG } from './process-tags.js';

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
  /** The output pipes were still held open after the run ended, by a process that could not be found. */
  pipesHeld: boolean;
}

/** The limits script's line when a limit could not be set. */
const LIMITS_FAILED = 'lwt-regress: the limits of the run could not be set';

/**
 * A fixed script: the limits and the command come in as arguments, the
 * cgroup to join (confinement.ts) as a variable, never as shell text. It
 * joins first (echo is a builtin: nothing has forked yet), raises the core
 * limit as far as the hard limit allows, and says so when a limit cannot be
 * set (exit 125), which is the machine's failure, not the case's.
 */
const LIMITS_SCRIPT = [
  `if [ -n "$${CGROUP_VARIABLE}" ]; then echo $$ 2>/dev/null >"$${CGROUP_VARIABLE}"; fi`,
  `ulimit -c "$(ulimit -H -c)" && ulimit -s "$0" || { echo "${LIMITS_FAILED}" >&2; exit 125; }`,
  'exec "$@"',
].join('\n');

/** How long the output pipes are read after the program ended: a process that escaped may hold them open. */
const OUTPUT_GRACE_MS = 2000;

export interface GroupRun {
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  pid: number | undefined;
  stdout: CappedText;
  stderr: CappedText;
  strays: number;
  pipesHeld: boolean;
}

/**
 * Runs the limits script in a process group of its own, every process of it
 * tagged (see process-tags.ts). On timeout the group and every tagged
 * process are killed: under gdb the program is gdb's child. When the program
 * exits, whatever it left running is ended too: a background child would
 * otherwise outlive the run and, holding the output pipes, keep it from ending.
 */
export async function runGroup(args: string[], cwd: string, timeoutMs: number, env: Record<string, string> = {}) {
  const stackKiB = Number(args[0]);
  const stackHard = hardLimit('Max stack size');
  if (stackKiB * 1024 > stackHard)
    throw limitsError(stackKiB, `the hard stack limit is ${Math.floor(stackHard / 1024)} KiB`);
  const tag = newTag();
  const confinement = confine(tag);
  // The confinement first, which counts what it ends; then what may be left of the group, untagged.
  const endAll = () => {
    const ended = confinement.end();
    killGroup(child.pid);
    return ended;
  };
  trackRun(tag, endAll);
  const child = execa('sh', ['-c', LIMITS_SCRIPT, ...args], {
    cwd,
    env: { ...env, ...confinement.env, [RUN_TAG]: tag },
    reject: false,
    stdin: 'ignore',
    detached: true,
    buffer: false,
  });
  const outputs = Promise.all([collectCapped(child.stdout), collectCapped(child.stderr)]);
  const pipes = pipeDeadline(child);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    endAll();
    pipes.closeSoon();
  }, timeoutMs);
  let strays = 0;
  child.once('exit', () => {
    strays = endAll();
    pipes.closeSoon();
  });
  try {
    const result = await child;
    const [stdout, stderr] = await outputs;
    if (result.exitCode === 125 && stderr.text.includes(LIMITS_FAILED))
      throw limitsError(stackKiB, stderr.text.trim().split('\n')[0] ?? '');
    const run: GroupRun = {
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut,
      pid: child.pid,
      stdout,
      stderr,
      strays,
      pipesHeld: pipes.held(),
    };
    return run;
  } finally {
    clearTimeout(timer);
    pipes.cancel();
    killGroup(child.pid);
    confinement.close();
    untrackRun(tag);
  }
}

/**
 * The output pipes' deadline: past the grace after the program ended (or
 * timed out), they are closed from this end, since a process that escaped
 * may hold them open for ever; `held` says whether that was needed.
 */
function pipeDeadline(child: { stdout: Readable | null; stderr: Readable | null }) {
  let grace: NodeJS.Timeout | undefined;
  let held = false;
  return {
    closeSoon() {
      grace ??= setTimeout(() => {
        held = !(child.stdout?.readableEnded && child.stderr?.readableEnded);
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, OUTPUT_GRACE_MS);
    },
    held: () => held,
    cancel: () => clearTimeout(grace),
  };
}

/** Kills what is left of the run's process group (background children that stayed in it). */
function killGroup(pid: number | undefined): void {
  try {
    if (pid !== undefined) process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
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
    pipesHeld: run.pipesHeld,
  };
}

/**
 * The machine's limits stop the run before the program starts: a stack
 * above the hard stack limit, or a limit the shell could not set. Exit 10:
 * no case is judged by it, and nothing of it is remembered.
 */
function limitsError(stackKiB: number, detail: string): UserError {
  return new UserError(
    `the run's limits cannot be set here (stack ${stackKiB} KiB): ${detail}`,
    EXIT.environment,
    'Give a --stack within the hard limit (ulimit -H -s), or raise the hard limits of the job (e.g. docker --ulimit)',
  );
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
