import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { AnalysisReport } from '../analyze/analysis-report.js';
import { formatAnalysis } from '../analyze/analysis-text.js';
import type { Expectation } from '../cases/manifest.js';
import type { Result } from '../result.js';
import type { RunResult } from '../run/run-under-limits.js';
import type { Observation } from './verdict.js';

export interface EvidenceToKeep {
  /** The directory for this (Lwt, case): `<artifacts>/<lwt label>/<case>`. */
  dir: string;
  header: string;
  executable: string;
  core: string | undefined;
  run: RunResult;
  expected: Expectation;
  observed: Observation;
  analysis: AnalysisReport | undefined;
  reproduce: string;
}

/**
 * Keeps what a run that did not pass left: the binary, the core and a log
 * (output, analysis, the command that reproduces it), so a failure can be
 * looked at without running it again. Returns the directory, or why nothing
 * could be kept (a full or read-only disk must not turn into another verdict).
 */
export async function keepEvidence(e: EvidenceToKeep): Promise<Result<{ dir: string }>> {
  try {
    await rm(e.dir, { recursive: true, force: true });
    await mkdir(e.dir, { recursive: true });
    await copyFile(e.executable, join(e.dir, 'case'));
    if (e.core) await rename(e.core, join(e.dir, 'core')).catch(() => copyFile(e.core!, join(e.dir, 'core')));
    await writeFile(join(e.dir, 'log.txt'), log(e));
    return { ok: true, dir: e.dir };
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    return { ok: false, error: `the evidence could not be kept in ${e.dir}: ${err.code ?? ''} ${err.message}`.trim() };
  }
}

function log(e: EvidenceToKeep): string {
  const { run, expected } = e;
  const frames = expected.frames.length ? ` through ${expected.frames.join(', ')}` : '';
  const cut = run.output.cut
    ? ` (output cut: ${run.output.stdoutBytes} bytes on stdout, ${run.output.stderrBytes} on stderr; ` +
      'beginning and end kept)'
    : '';
  return [
    e.header,
    `expected: ${expected.outcome}${frames}${expected.why ? ` (${expected.why})` : ''}`,
    `observed: ${e.observed.summary}`,
    `reproduce: ${e.reproduce}`,
    e.core
      ? `analyze: lwt-regress analyze ${relative('.', join(e.dir, 'case'))} ${relative('.', join(e.dir, 'core'))}`
      : '',
    '',
    `--- exit ${run.exitCode ?? '-'} signal ${run.signal ?? '-'}${run.timedOut ? ' (timed out)' : ''}${cut}`,
    '--- stdout',
    run.stdout,
    '--- stderr',
    run.stderr,
    ...(e.analysis ? ['--- analysis', formatAnalysis(e.analysis)] : []),
  ].join('\n');
}
