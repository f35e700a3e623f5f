import { execa } from 'execa';
import { EXIT, UserError } from '../errors.js';
import { type Toolchain, toolCommand } from '../toolchain/ocamlfind.js';
import { firstError } from './compiler-error.js';

/**
 * A build step that failed. `transient` failures (a full disk, an I/O error,
 * a signal, a time-out) say nothing about the Lwt tree and must not be
 * remembered as untestable; only a compiler's diagnostic is deterministic.
 */
export class BuildFailed extends Error {
  constructor(
    readonly error: string,
    readonly log: string,
    readonly transient: boolean,
  ) {
    super(error);
    this.name = 'BuildFailed';
  }
}

/** What the machine, not the tree, got wrong: the same step may succeed when run again. */
const TRANSIENT_OUTPUT = new RegExp(
  [
    'No space left on device',
    'Disk quota exceeded',
    'Input/output error',
    'Cannot allocate memory',
    'Out of memory',
    'Resource temporarily unavailable',
    'Too many open files',
    'Killed signal terminated program',
  ].join('|'),
  'i',
);

const TRANSIENT_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'ENOMEM', 'EAGAIN', 'EMFILE', 'ENFILE', 'EROFS']);

/** Whether an error thrown by a file-system call is one of the machine's transient failures. */
export function isTransientFsError(error: unknown): boolean {
  return TRANSIENT_CODES.has((error as { code?: string })?.code ?? '');
}

/** The Debian package and the purpose of each tool a from-source build runs. */
const TOOL_PACKAGES: Record<string, string> = {
  ocamlfind: 'ocaml-findlib',
  ocaml: 'ocaml-nox',
  ocamllex: 'ocaml-nox',
  camlp4o: 'camlp4',
  camlp4of: 'camlp4',
  cppo: 'cppo',
};

/**
 * A build step may hang (a tool waiting for input, a rule that never ends, a
 * machine under load): past this — 10 minutes, or $LWT_REGRESS_BUILD_TIMEOUT
 * seconds — it is a transient failure, and its processes are ended.
 */
export function buildTimeoutMs(): number {
  const seconds = Number(process.env.LWT_REGRESS_BUILD_TIMEOUT);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 10 * 60_000;
}

export interface StepOptions {
  cwd: string;
  /** Extra environment (OCAMLPATH for a findlib tree). */
  env?: Record<string, string>;
  /**
   * How the step is named in the first error, e.g. `gen_stubs.ml` or
   * `C stubs`; by default, the file the error is in.
   */
  what?: string;
}

/**
 * Runs one tool of the build through the toolchain's prefix, from an argument
 * array (never a shell string), and returns its output; a failure is thrown as
 * BuildFailed (transient or not), a missing tool as a UserError (exit 8).
 */
export async function runStep(
  toolchain: Toolchain,
  command: string,
  args: string[],
  options: StepOptions,
): Promise<string> {
  const [file, rest] = toolCommand(toolchain, command, args);
  const r = await execa(file, rest, {
    cwd: options.cwd,
    env: options.env,
    reject: false,
    all: true,
    timeout: buildTimeoutMs(),
  });
  const output = r.all ?? '';
  if (r.exitCode === 0) return output;
  const code = (r as { code?: string }).code;
  if (code === 'ENOENT' || (toolchain.prefix.length > 0 && r.exitCode === 127 && !output.includes('Error'))) {
    const pkg = TOOL_PACKAGES[command];
    throw new UserError(
      `${command} is not installed (${toolchain.description}), and building Lwt from source needs it`,
      EXIT.toolchain,
      pkg ? `Install it (Debian/Ubuntu: apt-get install ${pkg}, or run ./setup)` : 'Install it',
    );
  }
  const log = `$ ${command} ${args.join(' ')}\n${output}`;
  const what = options.what ?? /File "([^"]+)"/.exec(firstError(output))?.[1] ?? command;
  if (r.timedOut) throw new BuildFailed(`${what}: ${command} timed out`, log, true);
  if (r.isTerminated) throw new BuildFailed(`${what}: ${command} was killed by ${r.signal}`, log, true);
  if (code && TRANSIENT_CODES.has(code)) throw new BuildFailed(`${what}: ${r.shortMessage}`, log, true);
  if (TRANSIENT_OUTPUT.test(output)) throw new BuildFailed(`${what}: ${output.match(TRANSIENT_OUTPUT)![0]}`, log, true);
  throw new BuildFailed(`${what}: ${firstError(output)}`, log, false);
}
