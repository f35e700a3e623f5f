import type { Case } from '../cases/load-cases.js';
import { buildLwt, type LwtBuildResult } from '../lwt/lwt-build.js';
import type { LwtSource } from '../lwt/source.js';
import type { ProbeResult, ProbeSettings } from '../probe/probe.js';
import { compilerOf, invalidResult, type ProbeCompiler } from '../probe/probe.js';
import { cachedProbe } from '../probe/probe-cache.js';
import { reproductionOf } from '../probe/reproduction.js';
import { inShard, type ShardRecord, shardRecord } from '../probe/shard.js';
import type { PreparedSuite } from '../probe/suite.js';
import { withoutCompiler } from '../probe/suite.js';
import type { Toolchain } from '../toolchain/ocamlfind.js';

/**
 * What an upgrade does to one case:
 * - regressed: clean on the baseline, crashes on the candidate (blocks);
 * - expectation-broken: the candidate does not do what the case expects of its version (blocks);
 * - fixed: crashed on the baseline, clean on the candidate;
 * - unchanged; not-applicable (the candidate lacks the API);
 * - untestable: either side could not be tested (reported, and the gate does not pass silently);
 * - invalid: the case's manifest is broken, so neither side was probed.
 */
export type Transition =
  | 'invalid'
  | 'regressed'
  | 'expectation-broken'
  | 'fixed'
  | 'unchanged'
  | 'not-applicable'
  | 'untestable';

export interface GateRow {
  case: string;
  baseline: ProbeResult;
  candidate: ProbeResult;
  transition: Transition;
  blocking: boolean;
  why: string;
}

/** What the gate decides for the upgrade as a whole. */
export type GateDecision = 'pass' | 'blocked' | 'invalid' | 'untestable';

export interface GateOutcome {
  baseline: string;
  candidate: string;
  /** The compiler both were built with: its version, and which it was. */
  ocaml: string;
  compiler: ProbeCompiler;
  rows: GateRow[];
  /** The gate's decision (named `verdict` in the gate's JSON, schema 1). */
  verdict: GateDecision;
  /** The part of the matrix of cases this is, for report --merge to see a missing one. */
  shard?: ShardRecord;
}

export function transitionOf(
  baseline: ProbeResult,
  candidate: ProbeResult,
): Omit<GateRow, 'case' | 'baseline' | 'candidate'> {
  const before = reproductionOf(baseline);
  const after = reproductionOf(candidate);
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
  const { toolchain, probeSide } = await bothSides(prepared, settings);
  const rows: GateRow[] = [];
  // Sharded by case: each part of a job matrix judges whole transitions.
  const mine = <T>(items: T[], offset: number) => items.filter((_, k) => inShard(offset + k, prepared.shard));
  for (const invalid of mine(prepared.invalid, 0)) {
    const [before, after] = [invalidResult(toolchain, baseline, invalid), invalidResult(toolchain, candidate, invalid)];
    const row = {
      case: invalid.name,
      baseline: before,
      candidate: after,
      transition: 'invalid' as const,
      blocking: false,
    };
    rows.push({ ...row, why: after.reason });
    onRow?.({ ...row, why: after.reason });
  }
  for (const testCase of mine(prepared.cases, prepared.invalid.length)) {
    if (testCase.manifest.program.kind === 'command') {
      const why = 'runs a program already built, with its own Lwt: an upgrade does not change it (use it with run)';
      const [before, after] = [
        asBuiltResult(toolchain, baseline, testCase, why),
        asBuiltResult(toolchain, candidate, testCase, why),
      ];
      const row: GateRow = {
        case: testCase.manifest.name,
        baseline: before,
        candidate: after,
        transition: 'not-applicable',
        blocking: false,
        why,
      };
      rows.push(row);
      onRow?.(row);
      continue;
    }
    const before = await probeSide(0, testCase);
    const after = await probeSide(1, testCase);
    const row = { case: testCase.manifest.name, baseline: before, candidate: after, ...transitionOf(before, after) };
    rows.push(row);
    onRow?.(row);
  }
  return {
    baseline: baseline.label,
    candidate: candidate.label,
    ocaml: toolchain.ocamlVersion,
    compiler: compilerOf(toolchain),
    rows,
    verdict: gateDecision(rows),
    shard: gateShardRecord(prepared),
  };
}

/** What a gate's JSON records of its shard: the whole matrix of cases, for this upgrade. */
function gateShardRecord(prepared: PreparedSuite): ShardRecord {
  const [baseline, candidate] = prepared.sources as [LwtSource, LwtSource];
  const names = [...prepared.invalid.map((i) => i.name), ...prepared.cases.map((c) => c.manifest.name)];
  return shardRecord(
    prepared.shard,
    names.map((name) => `${baseline.label} → ${candidate.label} › ${name}`),
  );
}

/**
 * Both sides built with one compiler (prepareSuite's oneCompiler: the one the
 * older Lwt needs), and how to probe a case on either; when that compiler
 * could not be built, every probe is untestable with the machine's exit code.
 */
async function bothSides(prepared: PreparedSuite, settings: ProbeSettings) {
  const sides = prepared.sources as [LwtSource, LwtSource];
  const compiler = await prepared.compilers.toolchainFor(sides[0]);
  const toolchain = compiler.ok ? compiler.toolchain : prepared.toolchain;
  const builds: LwtBuildResult[] = compiler.ok
    ? await Promise.all(sides.map((s) => buildLwt(s, toolchain)))
    : sides.map(() => ({ ok: false as const, error: compiler.error, cached: false, ms: 0 }));
  const probeSide = async (side: 0 | 1, testCase: Case) => {
    const r = await cachedProbe(toolchain, sides[side], builds[side]!, testCase, settings);
    return compiler.ok ? r : { ...withoutCompiler(r, compiler), reused: false };
  };
  return { toolchain, probeSide };
}

/** The gate's decision, most serious first: a blocking transition, a broken case, something untestable. */
export function gateDecision(rows: GateRow[]): GateDecision {
  if (rows.some((r) => r.blocking)) return 'blocked';
  if (rows.some((r) => r.transition === 'invalid')) return 'invalid';
  if (rows.some((r) => r.transition === 'untestable')) return 'untestable';
  return 'pass';
}

/**
 * What the decision owes to packages built on Lwt that could not be rebuilt
 * (src/world/): "lwt_react does not build against Lwt 6.0.0", once each, for
 * the untestable rows, so that the decision names them rather than only the rows.
 */
export function decisionCauses(rows: GateRow[]): string[] {
  const causes = new Set<string>();
  for (const row of rows.filter((r) => r.transition === 'untestable'))
    for (const side of [row.candidate, row.baseline]) {
      const d = side.status === 'untestable' ? side.dependent : undefined;
      if (!d) continue;
      causes.add(
        d.problem === 'does-not-build'
          ? `${d.package} does not build against Lwt ${side.lwt.label}`
          : `no source of ${d.package} was found to rebuild it against Lwt ${side.lwt.label}`,
      );
    }
  return [...causes];
}

function asBuiltResult(toolchain: Toolchain, source: LwtSource, testCase: Case, why: string): ProbeResult {
  return {
    ...invalidResult(toolchain, source, { name: testCase.manifest.name, dir: testCase.dir, why }),
    status: 'not-applicable',
    reason: why,
  };
}
