import type { AnalysisReport } from '../../src/analyze/analysis-report.js';
import { formatAnalysis } from '../../src/analyze/analysis-text.js';
import { analyzeCore } from '../../src/analyze/analyze-core.js';
import { formatKnownClass, type KnownClass, matchKnownClass } from '../../src/cases/known-overflows.js';
import { loadCases } from '../../src/cases/load-cases.js';
import { EXIT } from '../../src/errors.js';
import { FileReader } from '../../src/io/file-reader.js';
import { findProjectFile } from '../../src/project/project-file.js';
import { parse, positiveInteger, usageError } from '../args.js';
import { caseDirectories } from '../selection.js';

export async function analyzeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean' },
      mode: { type: 'string' },
      'max-frames': { type: 'string' },
      cases: { type: 'string', multiple: true },
    },
  });
  if (positionals.length !== 2)
    throw usageError(
      `analyze takes an executable and a core, got ${positionals.length} ` +
        `argument${positionals.length === 1 ? '' : 's'}`,
    );
  const mode = values.mode;
  if (mode !== undefined && mode !== 'exact' && mode !== 'scan')
    throw usageError(`--mode must be exact or scan, not '${mode}'`);
  const maxFrames = positiveInteger('--max-frames', values['max-frames']);
  const exe = FileReader.open(positionals[0]!, 'executable');
  const core = FileReader.open(positionals[1]!, 'core');
  let report: AnalysisReport;
  try {
    report = analyzeCore(exe, core, { mode, maxFrames }).report;
  } finally {
    exe.close();
    core.close();
  }
  const knownClass = report.cycle ? await knownClassOf(report, values.cases) : null;
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ ...report, knownClass }, null, 2)}\n`
      : `${formatAnalysis(report)}\n${knownClass ? `\n  ${formatKnownClass(knownClass)}\n` : ''}`,
  );
  return EXIT.ok;
}

/**
 * The cycle compared with the cases' recorded cycles: the cases of --cases or
 * of lwt-regress.json, as run takes them, else the built-in ones. A case with a
 * broken case.json is left out, with one line on stderr; the analysis stands.
 */
async function knownClassOf(report: AnalysisReport, cases: string[] | undefined): Promise<KnownClass> {
  const project = cases ? undefined : await findProjectFile(process.cwd());
  const loaded = await loadCases(caseDirectories({ cases }, project));
  for (const bad of loaded.invalid)
    process.stderr.write(`lwt-regress: case ${bad.name} left out of the known-class match: ${bad.why}\n`);
  return matchKnownClass(
    report.cycle!.frames,
    loaded.cases.map((c) => c.manifest),
    report.ocaml.version,
  );
}
