import { statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { dir as tmpDir } from 'tmp-promise';
import type { AnalysisReport } from '../analyze/analysis-report.js';
import { analyzeCore } from '../analyze/analyze-core.js';
import type { Expectation } from '../cases/manifest.js';
import { UserError } from '../errors.js';
import { FileReader } from '../io/file-reader.js';
import { trackDir, untrackDir } from '../run/interrupt.js';
import { runFiberProgram, runtimeParameters } from '../run/ocaml5-capture.js';
import { type CaptureMethod, type RunResult, runUnderLimits } from '../run/run-under-limits.js';
import { classifyRun, type Evidence } from './evidence.js';
import { keepEvidence } from './keep-evidence.js';
import { missingFiberEvidence } from './ocaml5-evidence.js';
import { judge, type Observation, observe, undecidable } from './verdict.js';

export interface RunToJudge {
  executable: string;
  args: string[];
  expected: Expectation;
  stackKiB: number;
  capture: CaptureMethod;
  timeoutMs: number;
  /** Extra environment for the program (OCAMLRUNPARAM is always set: see runtimeParameters). */
  env?: Record<string, string>;
  /** A library to preload: the SIGSEGV reset of a program lwt-regress did not link. */
  preload?: string;
  /** Where the evidence of a run that does not pass is kept, and how its log introduces it. */
  keepIn: string;
  header: string;
  reproduce: string;
  /** What a clean run is: a case's `clean: …` line (the default), or any program's exit 0. */
  cleanWhen?: 'clean-line' | 'exit-0';
  /** OCaml 5: the program runs on fiber stacks (see run/ocaml5-capture.ts). */
  fibers?: boolean;
}

export interface JudgedRun {
  status: 'pass' | 'fail' | 'untestable';
  /** Why it failed or was untestable; empty for a pass. */
  reason: string;
  observed: Observation;
  analysis: AnalysisReport | undefined;
  capture: 'kernel' | 'gdb' | null;
  notes: string[];
  artifacts: string | null;
  runMs: number;
  analyzeMs: number;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '');

/**
 * Runs a built program under the limits in a fresh directory, analyses what
 * it left, and judges that against the expectation; a run that does not pass
 * keeps its binary, core and log. Shared by the probes of cases and by `check`.
 */
export async function judgeRun(request: RunToJudge): Promise<JudgedRun> {
  const work = await tmpDir({ unsafeCleanup: true, prefix: `lwt-regress-${safe(request.header).slice(-40)}-` });
  trackDir(work.path);
  try {
    const runStarted = performance.now();
    const run = await (request.fibers ? runFiberProgram : runUnderLimits)({
      executable: request.executable,
      args: request.args,
      cwd: work.path,
      stackKiB: request.stackKiB,
      timeoutMs: request.timeoutMs,
      capture: request.capture,
      env: { OCAMLRUNPARAM: runtimeParameters(request.fibers ?? false, request.stackKiB), ...request.env },
      preload: request.preload,
    });
    const runMs = performance.now() - runStarted;
    const evidence = classifyRun(run, request.timeoutMs, request.cleanWhen);
    const analyzeStarted = performance.now();
    const { analysis, error } = await analyzeEvidence(request.executable, evidence);
    const analyzeMs = performance.now() - analyzeStarted;
    const observed = observe(evidence, analysis, error);
    const judged = {
      observed,
      analysis,
      capture: run.core && run.capture.method !== 'none' ? run.capture.method : null,
      notes: runNotes(run),
      runMs,
      analyzeMs,
    };
    const cannotTell =
      undecidable(request.expected, observed) ??
      (request.fibers ? missingFiberEvidence(request.expected, evidence, observed, run) : undefined);
    const verdict = judge(request.expected, observed);
    if (!cannotTell && verdict.met) return { ...judged, status: 'pass', reason: '', artifacts: null };
    const kept = await keepEvidence({
      dir: request.keepIn,
      header: `${request.header}, stack ${request.stackKiB} KiB, capture ${run.capture.method}`,
      executable: request.executable,
      core: evidence.kind === 'core' ? evidence.core : undefined,
      run,
      expected: request.expected,
      observed,
      analysis,
      reproduce: request.reproduce,
    });
    if (!kept.ok) judged.notes.push(kept.error);
    const artifacts = kept.ok ? kept.dir : null;
    // The analysis names the core where it was written; once kept, it lives on in the artifacts.
    if (artifacts && analysis) analysis.core.path = join(artifacts, 'core');
    if (cannotTell) return { ...judged, status: 'untestable', reason: cannotTell, artifacts };
    return { ...judged, status: 'fail', reason: verdict.met ? '' : verdict.why, artifacts };
  } finally {
    await work.cleanup();
    untrackDir(work.path);
  }
}

/** The analysis of a core, or why there is none: a core cut short by a full disk names the space left. */
async function analyzeEvidence(
  executable: string,
  evidence: Evidence,
): Promise<{ analysis?: AnalysisReport; error?: string }> {
  if (evidence.kind !== 'core') return {};
  const exe = FileReader.open(executable, 'executable');
  const core = FileReader.open(evidence.core, 'core');
  try {
    return { analysis: analyzeCore(exe, core).report };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    const fs = await statfs(dirname(evidence.core)).catch(() => undefined);
    const free = fs ? ` (${Math.floor((fs.bavail * fs.bsize) / 1024)} KiB free where it was written)` : '';
    return { error: `${error.message}${free}` };
  } finally {
    exe.close();
    core.close();
  }
}

function runNotes(run: RunResult): string[] {
  const notes: string[] = [];
  if (run.output.cut) {
    notes.push(
      `output cut: ${run.output.stdoutBytes} bytes on stdout and ${run.output.stderrBytes} on stderr; ` +
        'the first MiB and the last 64 KiB of each were kept',
    );
  }
  if (run.strays > 0) notes.push(`${run.strays} process(es) the case left running were ended`);
  if (run.pipesHeld)
    notes.push(
      'a process the case started still held its output open after it ended, and could not be found to be ended ' +
        '(it cleared its environment, and no cgroup holds the run here): it may still be running',
    );
  return notes;
}
