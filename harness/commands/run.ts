import { EXIT } from '../../src/errors.js';
import { prepareSuite, runSuite } from '../../src/probe/suite.js';
import { formatMatrix } from '../../src/report/matrix-text.js';
import { parse, usageError } from '../args.js';
import { REPORT_OPTIONS, reportFacts, writeReports } from '../report-outputs.js';
import { SELECTION_OPTIONS, toSuiteRequest } from '../selection.js';

export async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse({
    args,
    strict: true,
    allowPositionals: true,
    options: { ...SELECTION_OPTIONS, ...REPORT_OPTIONS, json: { type: 'boolean' } },
  });
  if (positionals.length > 0) throw usageError(`run takes options only, not '${positionals[0]}'`);
  const request = toSuiteRequest(values);
  const prepared = await prepareSuite(request);
  if (!values.json)
    process.stderr.write(
      `lwt-regress: OCaml ${prepared.toolchain.ocamlVersion} (${prepared.toolchain.description}); Lwt ${prepared.sources.map((s) => s.label).join(', ')}; stack ${request.settings.stackKiB} KiB\n`,
    );
  const results = await runSuite(prepared, request.settings, (r) => {
    if (!values.json)
      process.stderr.write(`  ${r.lwt.label} › ${r.case}: ${r.status}${r.status === 'pass' ? '' : ` (${r.reason})`}\n`);
  });
  const facts = reportFacts(prepared.toolchain, request.settings, ['run', ...args]);
  const written = await writeReports(values, { title: 'lwt-regress', results, facts });
  if (!values.json) for (const w of written) process.stderr.write(`lwt-regress: report written to ${w}\n`);
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ schema: 'lwt-regress/run', schemaVersion: 1, ocaml: prepared.toolchain.ocamlVersion, results }, null, 2)}\n`
      : `${formatMatrix(results)}\n`,
  );
  if (results.some((r) => r.status === 'fail')) return EXIT.failed;
  if (results.some((r) => r.status === 'untestable')) return EXIT.untestable;
  return EXIT.ok;
}
