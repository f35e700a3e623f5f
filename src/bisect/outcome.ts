import type { ProbeCompiler, ProbeResult } from '../probe/probe.js';
import type { Reproduction } from '../probe/reproduction.js';
import type { Observation } from '../probe/verdict.js';

export interface BisectPoint {
  /** A version label, or a commit's short hash and subject. */
  label: string;
  version: string;
  commit: string | null;
  /** For an untestable one: why it could not be tested. */
  why?: string;
}

export interface BisectStep extends BisectPoint {
  reproduction: Reproduction;
  summary: string;
  /** Whether the verdict came from the probe cache. */
  reused: boolean;
}

/** What a bisect found, as the CLI prints it and --json gives it. */
export interface BisectOutcome {
  mode: 'versions' | 'commits';
  findFix: boolean;
  case: string;
  /** The compiler every probe used: its version, and which it was. */
  ocaml: string;
  compiler: ProbeCompiler;
  kind: 'found' | 'ambiguous';
  /** The first version or commit that crashes (with --find-fix: the first that is clean). */
  firstBad: BisectPoint;
  lastGood: BisectPoint;
  /** When ambiguous: the change is one of these (untestable ones, then firstBad). */
  candidates: BisectPoint[];
  untestable: BisectPoint[];
  steps: BisectStep[];
  probes: number;
  /** Probes that had to compile something (Lwt or the case). */
  builds: number;
  /** What the first bad one showed (the cycle when it crashes). */
  observed: Observation | null;
  /** One command that reproduces the verdict at the first bad one. */
  reproduce: string;
}

export function stepOf(
  point: BisectPoint,
  result: ProbeResult & { reused?: boolean },
  reproduction: Reproduction,
): BisectStep {
  return {
    ...point,
    reproduction,
    summary: result.observed ? result.observed.summary : `${result.status}: ${result.reason}`,
    reused: result.reused ?? false,
  };
}

export function isFreshBuild(result: ProbeResult & { reused?: boolean }): boolean {
  return !result.reused && result.cached !== null && (!result.cached.lwt || !result.cached.case);
}
