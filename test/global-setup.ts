import type { TestProject } from 'vitest/node';
import { dir as tmpDir } from 'tmp-promise';
import { buildAndCrash, type CrashFixture, SPECS } from './support/fixtures.js';

declare module 'vitest' {
  export interface ProvidedContext {
    crashes: Record<string, CrashFixture>;
  }
}

/** Builds and crashes the fixture programs once for all test files. */
export default async function setup(project: TestProject) {
  const dir = await tmpDir({ unsafeCleanup: true, prefix: 'lwt-regress-fixtures-' });
  const crashes: Record<string, CrashFixture> = {};
  for (const fixture of await Promise.all(SPECS.map((spec) => buildAndCrash(spec, dir.path)))) crashes[fixture.name] = fixture;
  project.provide('crashes', crashes);
  return () => dir.cleanup();
}
