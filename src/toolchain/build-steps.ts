import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { EXIT, UserError } from '../errors.js';
import { cacheRoot } from '../paths.js';

/** Runs one build step (argument array, never a shell string) and returns its stdout; throws one line on failure. */
export type Step = (
  what: string,
  file: string,
  args: string[],
  cwd: string,
  env?: Record<string, string>,
) => Promise<string>;

/**
 * The steps of building compiler `name`: each one's time logged, a failure
 * turned into one line naming the step, its last line of output and the
 * log kept in the cache (exit 8: the compiler could not be had).
 */
export function stepRunner(name: string, log: (line: string) => void): Step {
  return async (what, file, args, cwd, env) => {
    const started = performance.now();
    const r = await execa(file, args, { cwd, env, reject: false, all: true, stdin: 'ignore' });
    const output = r.all ?? '';
    if (r.exitCode !== 0) {
      const saved = join(cacheRoot(), 'ocaml', `failed-${what.replace(/\W+/g, '-')}-${process.pid}.log`);
      await mkdir(join(cacheRoot(), 'ocaml'), { recursive: true });
      await writeFile(saved, output);
      const lines = output.trim().split('\n').filter(Boolean);
      // A full disk is said where it happened; a tool's last words come after its error otherwise.
      const full = lines.find((l) => /No space left on device/.test(l));
      throw new UserError(
        `building OCaml ${name} failed at ${what}: ${full ?? lines.pop() ?? r.shortMessage}`,
        full ? EXIT.environment : EXIT.toolchain,
        `The full output is in ${saved}`,
      );
    }
    log(`  ${what}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return r.stdout as string;
  };
}

/** The version a compiler in `prefix` reports (`ocamlopt -version`). */
export async function reportedVersion(prefix: string): Promise<string> {
  const r = await execa(join(prefix, 'bin', 'ocamlopt'), ['-version'], { reject: false });
  return String(r.stdout).trim();
}
