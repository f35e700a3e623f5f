import { readFile } from 'node:fs/promises';
import { EXIT, UserError } from '../../src/errors.js';
import { formatMatrix, styleFor } from '../../src/report/matrix-text.js';
import { mergeResults } from '../../src/report/merge.js';
import { decisionLine } from '../../src/report/status.js';
import { parse, usageError } from '../args.js';
import { exitCodeForGate, exitCodeForResults } from '../exit-code.js';
import { checkReportPaths, OUTPUT_OPTIONS, REPORT_OPTIONS, writeReports } from '../report-outputs.js';

/** `lwt-regress report --merge a.json b.json …`: the shards of a job matrix as one report. */
export async function reportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse({
    args,
    strict: true,
    allowPositionals: true,
    options: { ...REPORT_OPTIONS, ...OUTPUT_OPTIONS, merge: { type: 'boolean' } },
  });
  if (!values.merge) throw usageError('report needs --merge and the JSON files of the shards to merge');
  await checkReportPaths(values);
  const parts = [];
  for (const name of positionals) {
    const text = await readFile(name, 'utf8').catch(() => {
      throw new UserError(
        `${name} cannot be read`,
        EXIT.unreadable,
        'Give the files written by run --json or gate --json',
      );
    });
    try {
      parts.push({ name, data: JSON.parse(text) as unknown });
    } catch (error) {
      throw new UserError(
        `${name} is not JSON: ${(error as Error).message}`,
        EXIT.usage,
        'Give the files written by --json',
      );
    }
  }
  const merged = mergeResults(parts);
  const facts = [`merged from ${positionals.join(', ')}`];
  if (merged.kind === 'run') {
    await writeReports(values, { title: 'lwt-regress', results: merged.run.results, facts });
    process.stdout.write(
      values.json
        ? `${JSON.stringify(merged.run, null, 2)}\n`
        : `${formatMatrix(merged.run.results, styleFor(process.stdout))}\n`,
    );
    return exitCodeForResults(merged.run.results);
  }
  const g = merged.gate;
  await writeReports(values, { title: `lwt-regress gate ${g.baseline} → ${g.candidate}`, results: [], gate: g, facts });
  process.stdout.write(
    values.json
      ? `${JSON.stringify(g, null, 2)}\n`
      : `${decisionLine(g)}\n` + `${g.rows.map((r) => `  ${r.case}: ${r.transition}`).join('\n')}\n`,
  );
  return exitCodeForGate(g);
}
