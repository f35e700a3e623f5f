import { join } from 'node:path';
import { dir as tmpDir } from 'tmp-promise';
import type { TestProject } from 'vitest/node';
import { runOcaml5UnderGdb, runtimeParameters } from '../../src/run/ocaml5-capture.js';
import { runUnderLimits } from '../../src/run/run-under-limits.js';
import { buildProgram } from '../../src/toolchain/build.js';
import { findToolchain } from '../../src/toolchain/ocamlfind.js';
import { ensureCompilers } from './compilers.js';
import type { CrashFixture } from './fixtures.js';
import { STUB } from './fixtures.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The three-function recursion built with each test compiler and crashed, by version (mutation tests only). */
    compilerCrashes: Record<string, CrashFixture> | undefined;
  }
}

const TRI = join(import.meta.dirname, '..', 'fixtures', 'mutual_recursion.ml');

/**
 * The three-function recursion built with the compiler at `prefix` and
 * crashed: a SIGSEGV core on OCaml 4.x, on 5.x the core gdb takes at the
 * Stack_overflow raise (a 1 MiB fiber).
 */
export async function crashWithCompiler(version: string, prefix: string, workDir: string): Promise<CrashFixture> {
  const toolchain = await findToolchain({ ocaml: prefix });
  const built = await buildProgram({ toolchain, sources: [STUB, TRI], packages: [], workDir, output: 'tri' });
  if (!built.ok) throw new Error(`building with OCaml ${version} failed: ${built.log}`);
  const request = { executable: built.executable, cwd: workDir, stackKiB: 1024, timeoutMs: 120_000 };
  const run = version.startsWith('5.')
    ? await runOcaml5UnderGdb({
        ...request,
        args: ['1000000'],
        capture: 'gdb',
        env: { OCAMLRUNPARAM: runtimeParameters(true, 1024) },
      })
    : await runUnderLimits({ ...request, args: ['10000000'], capture: 'auto' });
  if (!run.core) throw new Error(`OCaml ${version}: no core (${JSON.stringify(run)})`);
  return { name: `tri-${version}`, executable: built.executable, core: run.core };
}

/**
 * vitest.mutate.config.ts only: crashes once for the whole run what
 * compiler-frametables.test.ts otherwise builds in its own beforeAll, which
 * Stryker would pay again for every mutant it runs that file for.
 */
export default async function setup(project: TestProject) {
  const compilers = await ensureCompilers((line) => process.stderr.write(`${line}\n`));
  const dir = await tmpDir({ unsafeCleanup: true, prefix: 'lwt-regress-compiler-crashes-' });
  const crashes: Record<string, CrashFixture> = {};
  for (const [version, prefix] of Object.entries(compilers))
    crashes[version] = await crashWithCompiler(version, prefix, join(dir.path, version));
  project.provide('compilerCrashes', crashes);
  return () => dir.cleanup();
}
