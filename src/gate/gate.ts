import { reproduction } from '../bisect/answer.js';
import { buildLwt } from '../lwt/core-build.js';
import type { LwtSource } from '../lwt/source.js';
import type { ProbeResult, ProbeSettings } from '../probe/probe.js';
import { cachedProbe } from '../probe/probe-cache.js';
import type { PreparedSuite } from '../probe/suite.js';

/**
 * What an upgrade does to one case:
 * - regressed: clean on the baseline, crashes on the candidate (blocks);
 * - expectation-broken: the candidate does not do what the case expects of its version (blocks);
 * - fixed: crashed on the baseline, clean on the candidate;
 * - unchanged; not-applicable (the candidate lacks the API);
 * - untestable: either side could not be tested (reported, and the gate does not pass silently).
 */
export type Transition = 'regressed' | 'expectation-broken' | 'fixed' | 'unchanged' | 'not-applicable' | 'untestable';

export interface GateRow {
  case: string;
  baseline: ProbeResult;
  candidate: ProbeResult;
  transition: Transition;
  blocking: boolean;
  why: string;
}

export interface GateOutcome {
  baseline: string;
  candidate: string;
  /** The compiler both were built with. */
  ocaml: string;
  rows: GateRow[];
  verdict: 'pass' | 'blocked' | 'untestable';
}

export function transitionOf(
  baseline: ProbeResult,
  candidate: ProbeResult,
): Omit<GateRow, 'case' | 'baseline' | 'candidate'> {
  const before = reproduction(baseline);
  const after = reproduction(candidate);
  if (candidate.status === 'not-applicable')
    return { transition: 'not-applicable', blocking: false, why: candidate.reason };
  if (after === 'reproduces' && before === 'clean') {
    return {
      transition: 'regressed',
      blocking: true,
      why: `clean on ${baseline.lwt.label}, crashes on ${candidate.lwt.label}: ${candidate.observed?.summary ?? ''}`,
    };
  }
  if (candidate.status === 'fail') return { transition: 'expectation-broken', blocking: true, why: candidate.reason };
  if (candidate.status === 'untestable')
    return { transition: 'untestable', blocking: false, why: `candidate: ${candidate.reason}` };
  if (baseline.status === 'untestable')
    return { transition: 'untestable', blocking: false, why: `baseline: ${baseline.reason}` };
  if (before === 'reproduces' && after === 'clean')
    return {
      transition: 'fixed',
      blocking: false,
      why: `crashed on ${baseline.lwt.label}, clean on ${candidate.lwt.label}`,
    };
  return { transition: 'unchanged', blocking: false, why: candidate.observed?.summary ?? candidate.reason };
}

/** Runs every case on both versions and judges the transitions. */
export async function gate(
  prepared: PreparedSuite,
  settings: ProbeSettings,
  onRow?: (row: GateRow) => void,
): Promise<GateOutcome> {
  const [baseline, candidate] = prepared.sources as [LwtSource, LwtSource];
  const builds = await Promise.all([buildLwt(baseline, prepared.toolchain), buildLwt(candidate, prepared.toolchain)]);
  const rows: GateRow[] = [];
  for (const testCase of prepared.cases) {
    const before = await cachedProbe(prepared.toolchain, baseline, builds[0]!, testCase, settings);
    const after = await cachedProbe(prepared.toolchain, candidate, builds[1]!, testCase, settings);
    const row = { case: testCase.manifest.name, baseline: before, candidate: after, ...transitionOf(before, after) };
    rows.push(row);
    onRow?.(row);
  }
  const verdict = rows.some((r) => r.blocking)
    ? 'blocked'
    : rows.some((r) => r.transition === 'untestable')
      ? 'untestable'
      : 'pass';
  return {
    baseline: baseline.label,
    candidate: candidate.label,
    ocaml: prepared.toolchain.ocamlVersion,
    rows,
    verdict,
  };
}
