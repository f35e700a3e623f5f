import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { dir as tmpDir } from 'tmp-promise';
import { analyzeCore } from '../analyze/analyze-core.js';
import type { AnalysisReport } from '../analyze/report.js';
import type { Case } from '../cases/load-cases.js';
import { type Expectation, expectationFor } from '../cases/manifest.js';
import { UserError } from '../errors.js';
import { FileReader } from '../io/file-reader.js';
import type { LwtBuildResult } from '../lwt/core-build.js';
import type { LwtSource } from '../lwt/source.js';
import { inRange } from '../lwt/version.js';
import { formatAnalysis } from '../report/analysis-text.js';
import { runFiberProgram, runtimeParameters } from '../run/ocaml5-capture.js';
import { type CaptureMethod, runUnderLimits } from '../run/run-under-limits.js';
import type { Toolchain } from '../toolchain/ocamlfind.js';
import { caseBinary } from './case-binary.js';
import { classifyRun } from './evidence.js';
import { missingFiberEvidence } from './ocaml5-evidence.js';
import { judge, type Observation, observe } from './verdict.js';

export type ProbeStatus = 'pass' | 'fail' | 'not-applicable' | 'untestable';

export interface ProbeSettings {
  stackKiB: number;
  capture: CaptureMethod;
  timeoutMs: number;
  /** Where failing runs keep their binary, core and log. */
  artifactsDir: string;
}

export interface ProbeResult {
  lwt: { version: string; label: string; origin: LwtSource['origin']; commit: string | null };
  /** The compiler's version (`ocamlopt -version`). */
  ocaml: string;
  case: string;
  status: ProbeStatus;
  expected: Expectation | null;
  observed: Observation | null;
  /** Why it failed, was not applicable or untestable; for a pass, why the expectation holds. */
  reason: string;
  timings: { buildMs: number; runMs: number; analyzeMs: number; totalMs: number };
  /** How the core was captured, when one was. */
  capture: 'kernel' | 'gdb' | null;
  /** Whether the Lwt build and the case binary came from the cache (null when nothing was built). */
  cached: { lwt: boolean; case: boolean } | null;
  /** Kept binary, core and log of a run that did not meet its expectation. */
  artifacts: string | null;
  /** The command that runs this probe again. */
  reproduce: string;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '');

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
  const reproduce = [
    'lwt-regress',
    'run',
    ...toolchain.reproduce,
    ...source.reproduce,
    '--case',
    name,
    '--stack',
    String(settings.stackKiB),
  ].join(' ');
  const timings = { buildMs: 0, runMs: 0, analyzeMs: 0, totalMs: 0 };
  const result = (status: ProbeStatus, reason: string, extra: Partial<ProbeResult> = {}): ProbeResult => ({
    lwt: { version: source.version, label: source.label, origin: source.origin, commit: source.commit ?? null },
    ocaml: toolchain.ocamlVersion,
    case: name,
    status,
    expected: null,
    observed: null,
    reason,
    timings: { ...timings, totalMs: performance.now() - started },
    cached: null,
    capture: null,
    artifacts: null,
    reproduce,
    ...extra,
  });

  if (!inRange(source.version, testCase.manifest.needs))
    return result('not-applicable', `needs Lwt ${testCase.manifest.needs}`);
  const expected = expectationFor(testCase.manifest, source.version, toolchain.ocamlVersion);
  if (!expected)
    return result(
      'not-applicable',
      `case.json has no expectation for Lwt ${source.version} with OCaml ${toolchain.ocamlVersion}`,
    );
  timings.buildMs = lwt.ms;
  if (!lwt.ok) return result('untestable', `Lwt ${source.label} does not build: ${lwt.error}`, { expected });
  const buildStarted = performance.now();
  const binary = await caseBinary(testCase, lwt.build, toolchain);
  timings.buildMs += performance.now() - buildStarted;
  if (!binary.ok)
    return result('untestable', `the case does not build against Lwt ${source.label}: ${binary.error}`, { expected });
  const cached = { lwt: lwt.cached, case: binary.cached };

  const work = await tmpDir({ unsafeCleanup: true, prefix: `lwt-regress-${safe(name)}-` });
  try {
    const runStarted = performance.now();
    const run = await (toolchain.fibers ? runFiberProgram : runUnderLimits)({
      executable: binary.executable,
      args: [String(testCase.manifest.size.default)],
      cwd: work.path,
      stackKiB: settings.stackKiB,
      timeoutMs: settings.timeoutMs,
      capture: settings.capture,
      env: { OCAMLRUNPARAM: runtimeParameters(toolchain.fibers, settings.stackKiB) },
    });
    timings.runMs = performance.now() - runStarted;
    const evidence = classifyRun(run, settings.timeoutMs);
    let analysis: AnalysisReport | undefined;
    let analysisError: string | undefined;
    if (evidence.kind === 'core') {
      const analyzeStarted = performance.now();
      const exe = FileReader.open(binary.executable, 'executable');
      const core = FileReader.open(evidence.core, 'core');
      try {
        analysis = analyzeCore(exe, core).report;
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        analysisError = error.describe();
      } finally {
        exe.close();
        core.close();
      }
      timings.analyzeMs = performance.now() - analyzeStarted;
    }
    const observed = observe(evidence, analysis);
    if (analysisError) observed.summary += ` (analysis failed: ${analysisError})`;
    const missing = toolchain.fibers ? missingFiberEvidence(expected, evidence, observed, run) : undefined;
    if (missing) return result('untestable', missing, { expected, observed, cached });
    const verdict = judge(expected, observed);
    const capture = run.core && run.capture.method !== 'none' ? run.capture.method : null;
    if (verdict.met)
      return result('pass', expected.why || `${expected.outcome} as expected`, { expected, observed, cached, capture });
    const kept = join(settings.artifactsDir, safe(source.label), name);
    await rm(kept, { recursive: true, force: true });
    await mkdir(kept, { recursive: true });
    await copyFile(binary.executable, join(kept, 'case'));
    if (evidence.kind === 'core')
      await rename(evidence.core, join(kept, 'core')).catch(() => copyFile(evidence.core, join(kept, 'core')));
    const log = [
      `lwt-regress: Lwt ${source.label}, case ${name}, stack ${settings.stackKiB} KiB, capture ${run.capture.method}`,
      `expected: ${expected.outcome}${expected.frames.length ? ` through ${expected.frames.join(', ')}` : ''}${expected.why ? ` (${expected.why})` : ''}`,
      `observed: ${observed.summary}`,
      `reproduce: ${reproduce}`,
      evidence.kind === 'core'
        ? `analyze: lwt-regress analyze ${relative('.', join(kept, 'case'))} ${relative('.', join(kept, 'core'))}`
        : '',
      '',
      `--- exit ${run.exitCode ?? '-'} signal ${run.signal ?? '-'}${run.timedOut ? ' (timed out)' : ''}`,
      '--- stdout',
      run.stdout,
      '--- stderr',
      run.stderr,
      ...(analysis ? ['--- analysis', formatAnalysis(analysis)] : []),
    ].join('\n');
    await writeFile(join(kept, 'log.txt'), log);
    return result('fail', verdict.why, { expected, observed, cached, capture, artifacts: kept });
  } finally {
    await work.cleanup();
  }
}
