import type { GateOutcome } from '../gate/gate.js';
import type { ProbeCompiler, ProbeResult } from '../probe/probe.js';
import { chosenBy } from './compilers.js';
import { escapeXml } from './escape.js';

interface JUnitCase {
  suite: string;
  /** The suite's properties: the compiler and who chose it. */
  properties?: Record<string, string>;
  name: string;
  seconds: number;
  failure?: string;
  skipped?: string;
}

/** JUnit XML, the format CI systems read for test reports. */
function junit(name: string, cases: JUnitCase[]): string {
  const suites = [...new Set(cases.map((c) => c.suite))].map((suite) => {
    const mine = cases.filter((c) => c.suite === suite);
    const body = mine.map((c) => {
      const inner = c.failure
        ? `<failure message="${escapeXml(c.failure)}">${escapeXml(c.failure)}</failure>`
        : c.skipped
          ? `<skipped message="${escapeXml(c.skipped)}"/>`
          : '';
      const attributes = `classname="${escapeXml(suite)}" name="${escapeXml(c.name)}" time="${c.seconds.toFixed(3)}"`;
      return `    <testcase ${attributes}>${inner}</testcase>`;
    });
    const failures = mine.filter((c) => c.failure).length;
    const skipped = mine.filter((c) => c.skipped).length;
    const time = mine.reduce((a, c) => a + c.seconds, 0);
    const counts = `tests="${mine.length}" failures="${failures}" errors="0" skipped="${skipped}"`;
    const attributes = `name="${escapeXml(suite)}" ${counts} time="${time.toFixed(3)}"`;
    const properties = Object.entries(mine[0]!.properties ?? {}).map(
      ([k, v]) => `      <property name="${escapeXml(k)}" value="${escapeXml(v)}"/>`,
    );
    const head = properties.length ? [`    <properties>`, ...properties, `    </properties>`] : [];
    return `  <testsuite ${attributes}>\n${[...head, ...body].join('\n')}\n  </testsuite>`;
  });
  const failures = cases.filter((c) => c.failure).length;
  const attributes = `name="${escapeXml(name)}" tests="${cases.length}" failures="${failures}" errors="0"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ${attributes}>\n${suites.join('\n')}\n</testsuites>\n`;
}

/** The compiler of a suite, and who chose it (chosen-by: user or lwt-regress, with why). */
function compilerProperties(c: ProbeCompiler): Record<string, string> {
  return { ocaml: c.name, 'ocaml.version': c.version, 'ocaml.chosen': chosenBy(c) };
}

function probeCase(suite: string, r: ProbeResult): JUnitCase {
  const expectation = r.expected ? `${r.expected.outcome} expected` : 'not applicable';
  return {
    suite,
    properties: compilerProperties(r.compiler),
    name: `${r.case} › ${expectation}`,
    seconds: r.timings.totalMs / 1000,
    ...(r.status === 'fail' || r.status === 'invalid'
      ? { failure: `${r.reason}${r.reproduce ? ` (reproduce: ${r.reproduce})` : ''}` }
      : {}),
    ...(r.status === 'untestable' || r.status === 'not-applicable' ? { skipped: `${r.status}: ${r.reason}` } : {}),
  };
}

export function runJUnit(results: ProbeResult[]): string {
  return junit(
    'lwt-regress run',
    results.map((r) => probeCase(`ocaml ${r.compiler.name} › lwt ${r.lwt.label}`, r)),
  );
}

export function gateJUnit(g: GateOutcome): string {
  return junit(
    'lwt-regress gate',
    g.rows.map((row) => ({
      suite: `gate ${g.baseline} → ${g.candidate} (OCaml ${g.compiler.name})`,
      properties: compilerProperties(g.compiler),
      name: `${row.case} › ${row.transition}`,
      seconds: (row.baseline.timings.totalMs + row.candidate.timings.totalMs) / 1000,
      ...(row.blocking ? { failure: `${row.why} (reproduce: ${row.candidate.reproduce})` } : {}),
      ...(row.transition === 'untestable' ? { skipped: row.why } : {}),
    })),
  );
}

/** One `lwt-regress check` of a program, as a one-test JUnit report. */
export function checkJUnit(
  program: string,
  judged: { status: string; reason: string; observed: { summary: string }; runMs: number },
): string {
  return junit('lwt-regress check', [
    {
      suite: 'lwt-regress check',
      name: program,
      seconds: judged.runMs / 1000,
      ...(judged.status === 'fail' ? { failure: judged.reason } : {}),
      ...(judged.status === 'untestable' ? { skipped: `untestable: ${judged.reason}` } : {}),
    },
  ]);
}
