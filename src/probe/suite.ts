import { type Case, loadCases, selectCases } from '../cases/load-cases.js';
import { buildLwt, type LwtBuildResult } from '../lwt/lwt-build.js';
import { resolveLwt } from '../lwt/resolve.js';
import type { LwtRequest, LwtSource } from '../lwt/source.js';
import { findToolchain, type Toolchain, type ToolchainRequest } from '../toolchain/ocamlfind.js';
import { type ProbeResult, type ProbeSettings, probe } from './probe.js';

export interface SuiteRequest {
  toolchain: ToolchainRequest;
  lwt: LwtRequest[];
  cases?: string[];
  settings: ProbeSettings;
}

export interface PreparedSuite {
  toolchain: Toolchain;
  sources: LwtSource[];
  cases: Case[];
}

/** Everything that can fail on the user's input, checked before any build: toolchain, versions, cases. */
export async function prepareSuite(request: SuiteRequest): Promise<PreparedSuite> {
  const cases = selectCases(await loadCases(), request.cases);
  const toolchain = await findToolchain(request.toolchain);
  const sources: LwtSource[] = [];
  for (const lwt of request.lwt) sources.push(await resolveLwt(lwt, toolchain));
  return { toolchain, sources, cases };
}

/** Each Lwt source is built once, then every case is probed against it. */
export async function runSuite(
  prepared: PreparedSuite,
  settings: ProbeSettings,
  onResult?: (r: ProbeResult) => void,
): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  for (const source of prepared.sources) {
    const build: LwtBuildResult = await buildLwt(source, prepared.toolchain);
    for (const [i, testCase] of prepared.cases.entries()) {
      // The Lwt build's time is counted once, on the first case.
      const r = await probe(prepared.toolchain, source, { ...build, ms: i === 0 ? build.ms : 0 }, testCase, settings);
      results.push(r);
      onResult?.(r);
    }
  }
  return results;
}
