import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { GateOutcome } from '../src/gate/gate.js';
import { ensureWritableFile } from '../src/io/writable.js';
import type { ProbeResult, ProbeSettings } from '../src/probe/probe.js';
import { onProgress } from '../src/progress.js';
import { htmlReport } from '../src/report/html.js';
import { gateJUnit, runJUnit } from '../src/report/junit.js';
import { gateMarkdown, runMarkdown } from '../src/report/markdown.js';

/** --json and --quiet: what goes to stdout, and whether progress goes to stderr. */
export const OUTPUT_OPTIONS = {
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

/**
 * Progress lines (fetches, builds, each probe, each bisect step) go to
 * stderr, unless --quiet; --json implies it, so that a machine reading the
 * result reads nothing else. Returns how to say a line.
 */
export function progressTo(values: { json?: boolean; quiet?: boolean }): (line: string) => void {
  const quiet = values.json || values.quiet;
  onProgress(quiet ? undefined : (line) => process.stderr.write(`lwt-regress: ${line}\n`));
  return quiet ? () => undefined : (line) => process.stderr.write(`${line}\n`);
}

/** --markdown, --html and --junit: report files a CI job can publish. */
export const REPORT_OPTIONS = {
  markdown: { type: 'string' },
  html: { type: 'string' },
  junit: { type: 'string' },
} as const;

export const REPORT_HELP = `\
  --markdown FILE       write a Markdown summary (e.g. "$GITHUB_STEP_SUMMARY" or a PR comment)
  --html FILE           write a self-contained HTML report: the matrix and every crash's cycle
  --junit FILE          write JUnit XML for CI test reports`;

export interface ReportValues {
  markdown?: string;
  html?: string;
  junit?: string;
}

/** Report files are checked before any work: a directory, a read-only place or a path below a file is one line now. */
export async function checkReportPaths(values: ReportValues): Promise<void> {
  for (const flag of Object.keys(REPORT_OPTIONS) as (keyof ReportValues)[]) {
    const path = values[flag];
    if (path !== undefined && path !== process.env.GITHUB_STEP_SUMMARY) await ensureWritableFile(path, `--${flag}`);
  }
}

async function write(path: string, text: string, append = false): Promise<void> {
  const full = resolve(path);
  await mkdir(dirname(full), { recursive: true });
  await writeFile(full, text, append ? { flag: 'a' } : {});
}

/**
 * The lines under a report's title: how it ran and the command that made it
 * (the compilers, with who chose them, are said from the results themselves).
 */
export function reportFacts(settings: ProbeSettings, command: string[]): string[] {
  return [`stack ${settings.stackKiB} KiB, capture ${settings.capture}`, `command: lwt-regress ${command.join(' ')}`];
}

export async function writeReports(
  values: ReportValues,
  report: { title: string; results: ProbeResult[]; gate?: GateOutcome; facts: string[] },
): Promise<string[]> {
  const written: string[] = [];
  if (values.markdown) {
    // GitHub's job summary file collects several steps' output, so it is appended to, never replaced.
    await write(
      values.markdown,
      report.gate ? gateMarkdown(report.gate) : runMarkdown(report.results),
      values.markdown === process.env.GITHUB_STEP_SUMMARY,
    );
    written.push(values.markdown);
  }
  if (values.html) {
    await write(values.html, htmlReport(report));
    written.push(values.html);
  }
  if (values.junit) {
    await write(values.junit, report.gate ? gateJUnit(report.gate) : runJUnit(report.results));
    written.push(values.junit);
  }
  return written;
}
