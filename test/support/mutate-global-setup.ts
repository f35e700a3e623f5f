import { dir as tmpDir } from 'tmp-promise';
import type { TestProject } from 'vitest/node';
import { buildAndCrash, type CrashFixture, SPECS } from './fixtures.js';

/**
 * vitest.mutate.config.ts's global setup: test/global-setup.ts's crash
 * fixtures, crashed on a 256 KiB stack instead of 1 MiB. Every analyzer
 * mutant re-runs the analyses of these cores through instrumented code, which
 * a quarter of the frames makes a quarter as long; the walk, the cycle and
 * every oracle comparison are the same at either depth. No compilers are
 * built: no test of the mutation run needs one.
 */
export default async function setup(project: TestProject) {
  project.provide('compilers', {});
  const dir = await tmpDir({ unsafeCleanup: true, prefix: 'lwt-regress-mutate-fixtures-' });
  const crashes: Record<string, CrashFixture> = {};
  for (const fixture of await Promise.all(SPECS.map((spec) => buildAndCrash(spec, dir.path, 256))))
    crashes[fixture.name] = fixture;
  project.provide('crashes', crashes);
  return () => dir.cleanup();
}
