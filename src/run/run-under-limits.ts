import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { EXIT, UserError } from '../errors.js';
import { exists } from '../io/exists.js';
import { kernelCoreDestination } from './core-pattern.js';

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
}

export interface RunResult {
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** The core, when the process died of a signal and one could be had. */
  core: string | undefined;
  /** How the core was captured, or why none was. */
  capture: { method: 'kernel' | 'gdb' | 'none'; note?: string };
  /**
   * OCaml 5: gdb took the core as the runtime raised Stack_overflow (`at`: the
   * function it stopped in) and let the run go on; `uncaught`: the exception
   * then reached the runtime's uncaught-exception handler.
   */
  raised?: { at: string; uncaught: boolean };
}

// A fixed script: the limits and the command come in as arguments, never as shell text.
const LIMITS_SCRIPT = 'ulimit -s "$0" && ulimit -c unlimited && exec "$@"';

/**
 * Runs the limits script in a process group of its own and, on timeout, kills
 * the whole group: under gdb the program is gdb's child, and killing gdb
 * alone would leave a hung program running.
 */
export async function runGroup(
  args: string[],
  cwd: string,
  timeoutMs: number,
  env: Record<string, string> | undefined,
) {
  const child = execa('sh', ['-c', LIMITS_SCRIPT, ...args], {
    cwd,
    env,
    reject: false,
    stdin: 'ignore',
    detached: true,
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }, timeoutMs);
  try {
    const result = await child;
    return { result, pid: child.pid, timedOut };
  } finally {
    clearTimeout(timer);
  }
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
  const { result, pid, timedOut } = await runGroup(
    [String(request.stackKiB), request.executable, ...request.args],
    request.cwd,
    request.timeoutMs,
    request.env,
  );
  let core: string | undefined;
  if (result.signal && !timedOut && pid !== undefined) {
    const written = pathFor(pid, request.executable, request.cwd);
    if (await exists(written)) {
      core = join(request.cwd, 'core');
      if (written !== core) await rename(written, core);
    }
  }
  return {
    exitCode: result.exitCode,
    signal: timedOut ? undefined : result.signal,
    timedOut,
    stdout: result.stdout as string,
    stderr: result.stderr as string,
    core,
    capture: {
      method: 'kernel',
      ...(result.signal && !core && !timedOut
        ? { note: 'the process died of a signal but the kernel wrote no core file' }
        : {}),
    },
  };
}

async function runUnderGdb(request: RunRequest, why: string | undefined): Promise<RunResult> {
  const core = join(request.cwd, 'core');
  const gdbArgs = [
    '-batch',
    '-nx',
    '-ex',
    'run',
    '-ex',
    `generate-core-file ${core}`,
    '--args',
    request.executable,
    ...request.args,
  ];
  const { result, timedOut } = await runGroup(
    [String(request.stackKiB), 'gdb', ...gdbArgs],
    request.cwd,
    request.timeoutMs,
    request.env,
  );
  if (
    (result as { code?: string }).code === 'ENOENT' ||
    /gdb: (not found|No such file)/.test(result.stderr as string)
  ) {
    throw new UserError(
      'gdb is needed to capture cores here but is not installed',
      EXIT.toolchain,
      'Install gdb (apt-get install gdb) or make the kernel write core files (core_pattern core)',
    );
  }
  const out = `${result.stdout}\n${result.stderr}`;
  const signal = /Program (?:received|terminated with) signal (SIG[A-Z]+)/.exec(out)?.[1];
  const exited = /\[Inferior \d+ \(process \d+\) exited (?:normally|with code (\d+))\]/.exec(out);
  const captured = signal !== undefined && (await exists(core));
  return {
    exitCode: exited ? Number(exited[1] ?? 0) : undefined,
    signal: timedOut ? undefined : signal,
    timedOut,
    stdout: result.stdout as string,
    stderr: result.stderr as string,
    core: captured ? core : undefined,
    capture: { method: 'gdb', ...(why ? { note: why } : {}) },
  };
}
