import type { ProbeResult } from '../../src/probe/probe.js';
import { prepareSuite, runShardRecord, runSuite } from '../../src/probe/suite.js';
import { findProjectFile } from '../../src/project/project-file.js';
import { formatMatrix, styleFor } from '../../src/report/matrix-text.js';
import { confinementDescription } from '../../src/run/confinement.js';
import { onInterruptReport } from '../../src/run/interrupt.js';
import { parse, usageError } from '../args.js';
import { exitCodeForResults } from '../exit-code.js';
import {
  checkReportPaths,
  OUTPUT_OPTIONS,
  progressTo,
  REPORT_OPTIONS,
  reportFacts,
  writeReports,
} from '../report-outputs.js';
import { SELECTION_OPTIONS, toSuiteRequest } from '../selection.js';

export async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse({
    args,
    strict: true,
    allowPositionals: true,
    options: { ...SELECTION_OPTIONS, ...REPORT_OPTIONS, ...OUTPUT_OPTIONS },
  });
  if (positionals.length > 0) throw usageError(`run takes options only, not '${positionals[0]}'`);
  const say = progressTo(values);
  const request = toSuiteRequest(values, await findProjectFile(process.cwd()));
  await checkReportPaths(values);
  const prepared = await prepareSuite(request);
  for (const w of prepared.warnings) say(`lwt-regress: warning: ${w}`);
  say(
    `lwt-regress: OCaml ${prepared.toolchain.ocamlVersion} (${prepared.toolchain.description}); ` +
      `Lwt ${prepared.sources.map((s) => s.label).join(', ')}; stack ${request.settings.stackKiB} KiB; ` +
      `processes held by ${confinementDescription()}`,
  );
  for (const line of prepared.compilers.header(prepared.sources)) say(`lwt-regress: ${line}`);
  const done: ProbeResult[] = [];
  const total = prepared.sources.length * (prepared.cases.length + prepared.invalid.length);
  onInterruptReport(() =>
    values.json
      ? JSON.stringify({ schema: 'lwt-regress/run', schemaVersion: 1, interrupted: true, results: done }, null, 2)
      : `${formatMatrix(done)}\ninterrupted after ${done.length} of ${total} probes`,
  );
  const results = await runSuite(prepared, request.settings, (r) => {
    done.push(r);
    say(`  ${r.lwt.label} › ${r.case}: ${r.status}${r.status === 'pass' ? '' : ` (${r.reason})`}`);
  });
  const facts = reportFacts(request.settings, ['run', ...args]);
  const written = await writeReports(values, { title: 'lwt-regress', results, facts });
  for (const w of written) say(`lwt-regress: report written to ${w}`);
  const json = {
    schema: 'lwt-regress/run',
    schemaVersion: 1,
    ocaml: prepared.toolchain.ocamlVersion,
    shard: runShardRecord(prepared),
    results,
  };
  process.stdout.write(
    values.json ? `${JSON.stringify(json, null, 2)}\n` : `${formatMatrix(results, styleFor(process.stdout))}\n`,
  );
  return exitCodeForResults(results);
}
