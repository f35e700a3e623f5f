/**
 * Bisect's cost: 32 fixture versions made from Debian's Lwt 5.6.1 source tarball
 * (Lwt_mutex.unlock regresses at the 21st, the 16th does not build), served
 * from a local opam repository; one bisect with an empty cache, then the same
 * again. Figures go to bench/RESULTS.md.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { SERIES as FIXTURE, makeVersionSeries } from '../src/fixtures/lwt-fixtures.js';
import { projectRoot } from '../src/paths.js';
import { producedBy, writeSection } from './results-file.js';

const SERIES = FIXTURE.count;
const label = FIXTURE.label;
const cli = join(projectRoot(), 'dist/harness/cli.js');
const tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-bench-bisect-' });
try {
  const { root } = await makeVersionSeries(tmp.path);
  const args = [
    'bisect',
    '--json',
    '--case',
    'mutex-unlock-storm',
    '--good',
    label(0),
    '--bad',
    label(SERIES - 1),
    '--opam-root',
    root,
    '--artifacts',
    join(tmp.path, 'artifacts'),
  ];
  const env = { LWT_REGRESS_CACHE: join(tmp.path, 'cache') };
  const once = async () => {
    const start = performance.now();
    const r = await execa(process.execPath, [cli, ...args], { env, reject: false });
    if (!r.stdout.startsWith('{')) throw new Error(r.stderr);
    return { ms: performance.now() - start, outcome: JSON.parse(r.stdout) };
  };
  const cold = await once();
  const warm = await once();
  const row = (name: string, r: typeof cold) =>
    `| ${name} | ${r.outcome.firstBad.version} | ${r.outcome.probes} | ${r.outcome.builds} ` +
    `| ${(r.ms / 1000).toFixed(2)} s |`;
  const produced =
    `${producedBy('bench/bisect-bench.ts')}. ` +
    `\`lwt-regress bisect --case mutex-unlock-storm\` over ${SERIES} fixture versions ` +
    "made from Debian's Lwt 5.6.1 source tarball and served by a local opam repository; " +
    `the regression enters at ${label(FIXTURE.regressesAt)}, ` +
    `${label(FIXTURE.broken)} does not build (and is the first midpoint). ` +
    `The bound for ${SERIES} versions is ceil(log2 ${SERIES}) + 2 = ${Math.ceil(Math.log2(SERIES)) + 2} probes. ` +
    'Fixture versions with identical sources share one cached build, as any two versions with the same sources would.';
  const text = `## Bisect

${produced}

| run | first bad | probes | probes with a fresh build | wall time |
|---|---|---|---|---|
${row('cold (empty cache)', cold)}
${row('warm (same bisect again)', warm)}
`;
  process.stdout.write(text);
  await writeSection('bisect', text);
} finally {
  await tmp.cleanup();
}
