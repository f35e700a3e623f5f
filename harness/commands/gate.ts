import { EXIT } from '../../src/errors.js';
import { gate } from '../../src/gate/gate.js';
import { prepareSuite } from '../../src/probe/suite.js';
import { parse, usageError } from '../args.js';
import { REPORT_OPTIONS, reportFacts, writeReports } from '../report-outputs.js';
import { SELECTION_OPTIONS, toSuiteRequest } from '../selection.js';

export async function gateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      ...SELECTION_OPTIONS,
      ...REPORT_OPTIONS,
      baseline: { type: 'string' },
      candidate: { type: 'string' },
      'baseline-src': { type: 'string' },
      'candidate-src': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length > 0) throw usageError(`gate takes options only, not '${positionals[0]}'`);
  if (values.lwt || values['lwt-src'])
    throw usageError(
      'gate compares two Lwt versions: give them with --baseline and --candidate (or --baseline-src/--candidate-src), not --lwt or --lwt-src',
    );
  if (!(values.baseline || values['baseline-src']) || !(values.candidate || values['candidate-src'])) {
    throw usageError(
      'gate needs --baseline and --candidate (the Lwt in use and the one to upgrade to), as versions, installed, opam:V, refs of --lwt-git, or source trees with --baseline-src/--candidate-src',
    );
  }
  const base = toSuiteRequest({ ...values, lwt: ['installed'], 'lwt-git': undefined });
  const side = (spec: string | undefined, src: string | undefined) => ({
    spec: spec ?? 'source',
    src,
    git: src ? undefined : values['lwt-git'],
    opamRoot: values['opam-root'],
  });
  const request = {
    ...base,
    lwt: [side(values.baseline, values['baseline-src']), side(values.candidate, values['candidate-src'])],
  };
  const prepared = await prepareSuite(request);
  if (!values.json)
    process.stderr.write(
      `lwt-regress gate: Lwt ${prepared.sources[0]!.label} → ${prepared.sources[1]!.label} on OCaml ${prepared.toolchain.ocamlVersion}, ${prepared.cases.length} cases, stack ${request.settings.stackKiB} KiB\n`,
    );
  const outcome = await gate(prepared, request.settings, (row) => {
    if (!values.json) process.stderr.write(`  ${row.case}: ${row.transition}${row.blocking ? ' (blocking)' : ''}\n`);
  });
  const facts = reportFacts(prepared.toolchain, request.settings, ['gate', ...args]);
  const written = await writeReports(values, {
    title: `lwt-regress gate ${outcome.baseline} → ${outcome.candidate}`,
    results: [],
    gate: outcome,
    facts,
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ schema: 'lwt-regress/gate', schemaVersion: 1, ...outcome }, null, 2)}\n`);
  } else {
    const blocking = outcome.rows.filter((r) => r.blocking);
    process.stdout.write(
      `${outcome.verdict === 'blocked' ? 'BLOCKED' : outcome.verdict === 'untestable' ? 'NOT FULLY TESTED' : 'PASS'}: Lwt ${outcome.baseline} → ${outcome.candidate}\n`,
    );
    for (const r of blocking)
      process.stdout.write(`  ${r.case}: ${r.transition}: ${r.why}\n    reproduce: ${r.candidate.reproduce}\n`);
    for (const r of outcome.rows.filter((r) => r.transition === 'untestable'))
      process.stdout.write(`  ${r.case}: untestable: ${r.why}\n`);
    for (const w of written) process.stdout.write(`  report: ${w}\n`);
  }
  return outcome.verdict === 'blocked' ? EXIT.failed : outcome.verdict === 'untestable' ? EXIT.untestable : EXIT.ok;
}
