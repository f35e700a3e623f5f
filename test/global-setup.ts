import { dir as tmpDir } from 'tmp-promise';
import type { TestProject } from 'vitest/node';
import type { SuiteRequest } from '../src/probe/suite.js';
import { ensureCompilers } from './support/compilers.js';
import { buildAndCrash, type CrashFixture, SPECS } from './support/fixtures.js';

declare module 'vitest' {
  export interface ProvidedContext {
    crashes: Record<string, CrashFixture>;
    /** Compilers built from npm's ocaml package, by version: their prefixes (test/support/compilers.ts). */
    compilers: Record<string, string>;
    /** The regression suite's selection, set by `npm test -- --lwt …` (harness/test.ts). */
    selection: SuiteRequest | undefined;
    /** Where the regression suite appends one JSON line per probe, for the final table. */
    resultsFile: string | undefined;
  }
}

/** Builds and crashes the fixture programs once for all test files. */
export default async function setup(project: TestProject) {
  // `npm test -- --lwt …` runs the regression suite alone, which needs none of the crash fixtures.
  if (process.env.LWT_REGRESS_SUITE_ONLY) {
    project.provide('crashes', {});
    project.provide('compilers', {});
    return;
  }
  // Built once into the cache (about 10-20 minutes each on 2 cores), then reused.
  project.provide('compilers', await ensureCompilers((line) => process.stderr.write(`${line}\n`)));
  const dir = await tmpDir({ unsafeCleanup: true, prefix: 'lwt-regress-fixtures-' });
  const crashes: Record<string, CrashFixture> = {};
  for (const fixture of await Promise.all(SPECS.map((spec) => buildAndCrash(spec, dir.path))))
    crashes[fixture.name] = fixture;
  project.provide('crashes', crashes);
  return () => dir.cleanup();
}
