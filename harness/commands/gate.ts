import { type GateRow, gate } from '../../src/gate/gate.js';
import { prepareSuite } from '../../src/probe/suite.js';
import { findProjectFile } from '../../src/project/project-file.js';
import { decisionLine } from '../../src/report/status.js';
import { confinementDescription } from '../../src/run/confinement.js';
import { onInterruptReport } from '../../src/run/interrupt.js';
import { parse, usageError } from '../args.js';
import { exitCodeForGate } from '../exit-code.js';
import {
  checkReportPaths,
  OUTPUT_OPTIONS,
  progressTo,
  REPORT_OPTIONS,
  reportFacts,
  writeReports,
} from '../report-outputs.js';
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
      ...OUTPUT_OPTIONS,
    },
  });
  if (positionals.length > 0) throw usageError(`gate takes options only, not '${positionals[0]}'`);
  if (values.lwt || values['lwt-src'])
    throw usageError(
      'gate compares two Lwt versions: ' +
        'give them with --baseline and --candidate (or --baseline-src/--candidate-src), not --lwt or --lwt-src',
    );
  const say = progressTo(values);
  const project = await findProjectFile(process.cwd());
  values.baseline ??= values['baseline-src'] ? undefined : project?.baseline;
  values.candidate ??= values['candidate-src'] ? undefined : project?.candidate;
  if (!(values.baseline || values['baseline-src']) || !(values.candidate || values['candidate-src'])) {
    throw usageError(
      'gate needs --baseline and --candidate (the Lwt in use and the one to upgrade to), ' +
        'as versions, installed, opam:V, refs of --lwt-git, or source trees with --baseline-src/--candidate-src',
    );
  }
  const base = toSuiteRequest({ ...values, lwt: ['installed'], 'lwt-git': undefined }, project);
  const side = (spec: string | undefined, src: string | undefined) => ({
    spec: spec ?? 'source',
    src,
    git: src ? undefined : values['lwt-git'],
    opamRoot: values['opam-root'],
  });
  const request = {
    ...base,
    oneCompiler: true,
    lwt: [side(values.baseline, values['baseline-src']), side(values.candidate, values['candidate-src'])],
  };
  await checkReportPaths(values);
  const prepared = await prepareSuite(request);
  for (const w of prepared.warnings) say(`lwt-regress: warning: ${w}`);
  const rowsSoFar: GateRow[] = [];
  onInterruptReport(() =>
    values.json
      ? JSON.stringify({ schema: 'lwt-regress/gate', schemaVersion: 1, interrupted: true, rows: rowsSoFar }, null, 2)
      : ['interrupted; transitions so far:', ...rowsSoFar.map((r) => `  ${r.case}: ${r.transition}`)].join('\n'),
  );
  const chosen = prepared.compilers.chosen(prepared.sources[0]!);
  say(
    `lwt-regress gate: Lwt ${prepared.sources[0]!.label} → ${prepared.sources[1]!.label} ` +
      `on OCaml ${chosen?.name ?? prepared.toolchain.name}` +
      `${chosen ? ` (chosen by lwt-regress for both: ${chosen.why})` : ''}, ` +
      `${prepared.cases.length} cases, stack ${request.settings.stackKiB} KiB, ` +
      `processes held by ${confinementDescription()}`,
  );
  const outcome = await gate(prepared, request.settings, (row) => {
    rowsSoFar.push(row);
    say(`  ${row.case}: ${row.transition}${row.blocking ? ' (blocking)' : ''}`);
  });
  const facts = reportFacts(request.settings, ['gate', ...args]);
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
    process.stdout.write(`${decisionLine(outcome)}\n`);
    for (const r of blocking)
      process.stdout.write(`  ${r.case}: ${r.transition}: ${r.why}\n    reproduce: ${r.candidate.reproduce}\n`);
    for (const r of outcome.rows.filter((r) => r.transition === 'untestable' || r.transition === 'invalid'))
      process.stdout.write(`  ${r.case}: ${r.transition}: ${r.why}\n`);
    for (const w of written) process.stdout.write(`  report: ${w}\n`);
  }
  return exitCodeForGate(outcome);
}
