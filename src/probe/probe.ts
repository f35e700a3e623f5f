import { join } from 'node:path';
import type { Case, InvalidCase } from '../cases/load-cases.js';
import { type Expectation, expectationFor } from '../cases/manifest.js';
import type { LwtBuildResult } from '../lwt/lwt-build.js';
import type { LwtSource } from '../lwt/source.js';
import { inRange } from '../lwt/version.js';
import { shellWords } from '../report/shell-words.js';
import type { CaptureMethod } from '../run/run-under-limits.js';
import type { Toolchain } from '../toolchain/ocamlfind.js';
import { caseBinary } from './case-binary.js';
import { judgeRun } from './judge-run.js';
import type { Observation } from './verdict.js';

/** `invalid`: the case's manifest cannot be used, so nothing was probed. */
export type ProbeStatus = 'pass' | 'fail' | 'not-applicable' | 'untestable' | 'invalid';

export interface ProbeSettings {
  stackKiB: number;
  capture: CaptureMethod;
  timeoutMs: number;
  /** Where failing runs keep their binary, core and log. */
  artifactsDir: string;
}

export interface ProbeResult {
  lwt: { version: string; label: string; origin: LwtSource['origin']; commit: string | null };
  case: string;
  status: ProbeStatus;
  expected: Expectation | null;
  observed: Observation | null;
  /** Why it failed, was not applicable or untestable; for a pass, why the expectation holds. */
  reason: string;
  timings: { buildMs: number; runMs: number; analyzeMs: number; totalMs: number };
  /** How the core was captured, when the run died of a signal. */
  capture: 'kernel' | 'gdb' | null;
  /** Whether the Lwt build and the case binary came from the cache (null when nothing was built). */
  cached: { lwt: boolean; case: boolean } | null;
  /** Kept binary, core and log of a run that did not pass. */
  artifacts: string | null;
  /** What a reader should know besides the verdict: output cut, processes left behind, evidence not kept. */
  notes: string[];
  /** The command that runs this probe again. */
  reproduce: string;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '');

/** The command that runs this probe again, ready to paste into a shell. */
export function reproduceCommand(source: LwtSource, caseName: string, settings: ProbeSettings): string {
  return shellWords([
    'lwt-regress',
    'run',
    ...source.reproduce,
    '--case',
    caseName,
    '--stack',
    String(settings.stackKiB),
  ]);
}

/** The result standing for a case whose manifest is broken, on this Lwt: nothing ran. */
export function invalidResult(source: LwtSource, invalid: InvalidCase): ProbeResult {
  return {
    lwt: { version: source.version, label: source.label, origin: source.origin, commit: source.commit ?? null },
    case: invalid.name,
    status: 'invalid',
    expected: null,
    observed: null,
    reason: `invalid case: ${invalid.why} (${invalid.dir}/case.json)`,
    timings: { buildMs: 0, runMs: 0, analyzeMs: 0, totalMs: 0 },
    capture: null,
    cached: null,
    artifacts: null,
    notes: [],
    reproduce: '',
  };
}

/** One probe: (toolchain, Lwt, case) → build → run under limits → analyze → verdict. */
export async function probe(
  toolchain: Toolchain,
  source: LwtSource,
  lwt: LwtBuildResult,
  testCase: Case,
  settings: ProbeSettings,
): Promise<ProbeResult> {
  const started = performance.now();
  const name = testCase.manifest.name;
  const reproduce = reproduceCommand(source, name, settings);
  const timings = { buildMs: 0, runMs: 0, analyzeMs: 0, totalMs: 0 };
  const result = (status: ProbeStatus, reason: string, extra: Partial<ProbeResult> = {}): ProbeResult => ({
    lwt: { version: source.version, label: source.label, origin: source.origin, commit: source.commit ?? null },
    case: name,
    status,
    expected: null,
    observed: null,
    reason,
    timings: { ...timings, totalMs: performance.now() - started },
    cached: null,
    capture: null,
    artifacts: null,
    notes: [],
    reproduce,
    ...extra,
  });

  if (!inRange(source.version, testCase.manifest.needs))
    return result('not-applicable', `needs Lwt ${testCase.manifest.needs}`);
  const expected = expectationFor(testCase.manifest, source.version);
  if (!expected) return result('not-applicable', `case.json has no expectation for Lwt ${source.version}`);
  timings.buildMs = lwt.ms;
  if (!lwt.ok) return result('untestable', `Lwt ${source.label} does not build: ${lwt.error}`, { expected });
  const buildStarted = performance.now();
  const binary = await caseBinary(testCase, lwt.build, toolchain);
  timings.buildMs += performance.now() - buildStarted;
  if (!binary.ok)
    return result('untestable', `the case does not build against Lwt ${source.label}: ${binary.error}`, { expected });
  const cached = { lwt: lwt.cached, case: binary.cached };

  const judged = await judgeRun({
    executable: binary.executable,
    args: [String(testCase.manifest.size.default)],
    expected,
    stackKiB: settings.stackKiB,
    capture: settings.capture,
    timeoutMs: settings.timeoutMs,
    keepIn: join(settings.artifactsDir, safe(source.label), name),
    header: `lwt-regress: Lwt ${source.label}, case ${name}`,
    reproduce,
  });
  timings.runMs = judged.runMs;
  timings.analyzeMs = judged.analyzeMs;
  const { observed, capture, notes, artifacts } = judged;
  const reason = judged.status === 'pass' ? expected.why || `${expected.outcome} as expected` : judged.reason;
  return result(judged.status, reason, { expected, observed, cached, capture, notes, artifacts });
}
