import { CASES_DIR, type Case, type InvalidCase, loadCases, selectCases } from '../cases/load-cases.js';
import { ensureWritableDir } from '../io/writable.js';
import { buildLwt, type LwtBuildResult } from '../lwt/core-build.js';
import { resolveLwt } from '../lwt/resolve.js';
import type { LwtRequest, LwtSource } from '../lwt/source.js';
import { cacheRoot } from '../paths.js';
import { findToolchain, type Toolchain, type ToolchainRequest } from '../toolchain/ocamlfind.js';
import { invalidResult, type ProbeResult, type ProbeSettings, probe } from './probe.js';

export interface SuiteRequest {
  toolchain: ToolchainRequest;
  lwt: LwtRequest[];
  cases?: string[];
  /** Directories of cases; the built-in ones when not given. */
  caseDirs?: string[];
  settings: ProbeSettings;
}

export interface PreparedSuite {
  toolchain: Toolchain;
  sources: LwtSource[];
  cases: Case[];
  /** Cases whose manifest cannot be used: each shows up as an `invalid` result, and the others run. */
  invalid: InvalidCase[];
  /** Case directories skipped, for the user to hear about. */
  warnings: string[];
}

/**
 * The places a run writes to (the cache, the artifacts directory), checked
 * before any build: a read-only or full disk is one line now, not a wrong
 * verdict or a stack trace later.
 */
export async function checkPlaces(settings: ProbeSettings): Promise<void> {
  await ensureWritableDir(cacheRoot(), 'the cache directory', 'Set LWT_REGRESS_CACHE to a writable directory');
  await ensureWritableDir(
    settings.artifactsDir,
    'the artifacts directory',
    'Point --artifacts at a writable directory',
  );
}

/** Everything that can fail on the user's input, checked before any build: places, toolchain, versions, cases. */
export async function prepareSuite(request: SuiteRequest): Promise<PreparedSuite> {
  const loaded = selectCases(await loadCases(request.caseDirs ?? [CASES_DIR]), request.cases);
  await checkPlaces(request.settings);
  const toolchain = await findToolchain(request.toolchain);
  const sources: LwtSource[] = [];
  for (const lwt of request.lwt) sources.push(await resolveLwt(lwt, toolchain));
  return { toolchain, sources, cases: loaded.cases, invalid: loaded.invalid, warnings: loaded.warnings };
}

/** Each Lwt source is built once, then every case is probed against it. */
export async function runSuite(
  prepared: PreparedSuite,
  settings: ProbeSettings,
  onResult?: (r: ProbeResult) => void,
): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  const report = (r: ProbeResult) => {
    results.push(r);
    onResult?.(r);
  };
  for (const source of prepared.sources) {
    for (const invalid of prepared.invalid) report(invalidResult(source, invalid));
    if (prepared.cases.length === 0) continue;
    const build: LwtBuildResult = await buildLwt(source, prepared.toolchain);
    for (const [i, testCase] of prepared.cases.entries()) {
      // The Lwt build's time is counted once, on the first case.
      report(await probe(prepared.toolchain, source, { ...build, ms: i === 0 ? build.ms : 0 }, testCase, settings));
    }
  }
  return results;
}
