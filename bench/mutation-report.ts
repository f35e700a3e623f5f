/**
 * `npm run mutate` ends here: the mutation score StrykerJS measured on the
 * pure and verdict-deciding modules (stryker.config.json), per folder and in
 * all, recorded in bench/RESULTS.md with the command that produced it, and
 * the surviving mutants listed in artifacts/mutation/survivors.txt.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../src/paths.js';
import { writeSection } from './results-file.js';

interface Mutant {
  status: string;
  mutatorName: string;
  location: { start: { line: number } };
  replacement?: string;
}

const report = JSON.parse(await readFile(join(projectRoot(), 'artifacts', 'mutation', 'mutation.json'), 'utf8')) as {
  files: Record<string, { mutants: Mutant[] }>;
};

const tally = new Map<string, { killed: number; survived: number; noCoverage: number; timeout: number }>();
const survivors: string[] = [];
let ignored = 0;
let compileErrors = 0;
for (const [file, { mutants }] of Object.entries(report.files)) {
  const folder = file.split('/').slice(0, -1).join('/');
  const t = tally.get(folder) ?? { killed: 0, survived: 0, noCoverage: 0, timeout: 0 };
  for (const m of mutants) {
    if (m.status === 'Killed') t.killed++;
    else if (m.status === 'Timeout') t.timeout++;
    else if (m.status === 'Survived') t.survived++;
    else if (m.status === 'NoCoverage') t.noCoverage++;
    else if (m.status === 'Ignored') ignored++;
    else if (m.status === 'CompileError') compileErrors++;
    if (m.status === 'Survived' || m.status === 'NoCoverage') {
      survivors.push(`${file}:${m.location.start.line}  ${m.mutatorName}  ${m.status}  ${m.replacement ?? ''}`);
    }
  }
  tally.set(folder, t);
}

// Stryker's own score: (killed + timeout) / (killed + timeout + survived + no coverage); compile errors do not count.
const score = (t: { killed: number; survived: number; noCoverage: number; timeout: number }) =>
  (100 * (t.killed + t.timeout)) / Math.max(1, t.killed + t.timeout + t.survived + t.noCoverage);
const all = [...tally.values()].reduce(
  (a, t) => ({
    killed: a.killed + t.killed,
    survived: a.survived + t.survived,
    noCoverage: a.noCoverage + t.noCoverage,
    timeout: a.timeout + t.timeout,
  }),
  { killed: 0, survived: 0, noCoverage: 0, timeout: 0 },
);
const rows = [...tally.entries()]
  .sort()
  .map(([f, t]) => `| ${f} | ${score(t).toFixed(1)} % | ${t.killed + t.timeout} | ${t.survived} | ${t.noCoverage} |`);
const body = `## Mutation testing

Produced by \`npm run mutate\` (StrykerJS with its vitest runner and TypeScript checker; stryker.config.json
names the modules and vitest.mutate.config.ts the tests) on ${new Date().toISOString().slice(0, 10)}.
Target: at least 85 %.

| folder | score | killed | survived | not covered |
|---|---|---|---|---|
${rows.join('\n')}
| **all** | **${score(all).toFixed(1)} %** | ${all.killed + all.timeout} | ${all.survived} | ${all.noCoverage} |

Not counted: ${compileErrors} mutants the TypeScript checker rejects, and ${ignored} static ones
(\`ignoreStatic\`: mutants of module-level constants, reached only by code run at import, for which Stryker would
run every test). The tests run in-process (vitest.mutate.config.ts); under instrumentation each fast-check property
stops after 5 s (test/support/mutate-setup.ts). \`npm run mutate\` is incremental
(artifacts/mutation/stryker-incremental.json): a mutant whose code and tests did not change keeps its result;
\`npx stryker run --force\` tests them all again. Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'},
load average ${loadavg()
  .map((l) => l.toFixed(1))
  .join(', ')} at the end of the run.

The surviving mutants are listed in \`artifacts/mutation/survivors.txt\`; the equivalent ones among them are
named in bench/EQUIVALENT-MUTANTS.md.
`;
process.stdout.write(body);
await writeFile(join(projectRoot(), 'artifacts', 'mutation', 'survivors.txt'), `${survivors.join('\n')}\n`);
await writeSection('mutation', body);
