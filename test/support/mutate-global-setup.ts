import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { TestProject } from 'vitest/node';
import { buildAndCrash, type CrashFixture, SPECS } from './fixtures.js';

const STACK_KIB = 256;

/**
 * vitest.mutate.config.ts's global setup: test/global-setup.ts's crash
 * fixtures, crashed on a 256 KiB stack instead of 1 MiB. Every analyzer
 * mutant re-runs the analyses of these cores through instrumented code, which
 * a quarter of the frames makes a quarter as long; the walk, the cycle and
 * every oracle comparison are the same at either depth. No compilers are
 * built: no test of the mutation run needs one.
 *
 * Stryker starts a fresh test runner after each mutant that timed out, and
 * each start runs this setup: the fixtures are kept, once built, in a
 * directory named after their sources and the compiler, and reused.
 */
export default async function setup(project: TestProject) {
  project.provide('compilers', {});
  const sources = await Promise.all(SPECS.flatMap((s) => s.sources).map((f) => readFile(f)));
  const compiler = (await execa('ocamlfind', ['ocamlopt', '-version'])).stdout;
  const key = createHash('sha256')
    .update(JSON.stringify({ specs: SPECS, compiler, stack: STACK_KIB }))
    .update(Buffer.concat(sources))
    .digest('hex')
    .slice(0, 16);
  const dir = join(tmpdir(), `lwt-regress-mutate-fixtures-${key}`);
  const fixtures = (at: string): Record<string, CrashFixture> =>
    Object.fromEntries(
      SPECS.map((s) => [
        s.name,
        { name: s.name, executable: join(at, s.name, s.name), core: join(at, s.name, 'core') } as CrashFixture,
      ]),
    );
  // Built where the tests find them (a core names the paths it was run from), by one setup at a time.
  const lock = `${dir}.lock`;
  while (!(await complete(dir))) {
    if (
      await mkdir(lock).then(
        () => true,
        () => false,
      )
    ) {
      try {
        await rm(dir, { recursive: true, force: true });
        for (const spec of SPECS) {
          const f = await buildAndCrash(spec, dir, STACK_KIB);
          await rename(f.core, join(dir, f.name, 'core'));
        }
      } finally {
        await rm(lock, { recursive: true, force: true });
      }
    } else await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  project.provide('crashes', fixtures(dir));

  async function complete(at: string): Promise<boolean> {
    const files = Object.values(fixtures(at)).flatMap((f) => [f.executable, f.core]);
    return (
      await Promise.all(
        files.map((f) =>
          stat(f).then(
            (s) => s.size > 0,
            () => false,
          ),
        ),
      )
    ).every(Boolean);
  }
}
