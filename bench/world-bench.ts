/**
 * What rebuilding the libraries built on Lwt costs: the first probe of a dune
 * service that links lwt_react, lwt_log and logs.lwt (three packages rebuilt
 * against the Lwt under test) against the same storm linking lwt.unix alone, on the
 * regressed Lwt 5.6.1 tree, cold (an empty cache: the Lwt build, the
 * rebuilt packages, dune) and cached (medians of 7 runs in turns). Target:
 * cached, at most 10 % slower than without them. Figures go to bench/RESULTS.md.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { makeLwtService, makeRegressedTree } from '../src/fixtures/lwt-fixtures.js';
import { projectRoot } from '../src/paths.js';
import { producedBy, writeSection } from './results-file.js';

const cli = join(projectRoot(), 'dist/harness/cli.js');
const tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-bench-world-' });
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ROUNDS = 7;

async function probe(service: string, tree: string, cache: string): Promise<number> {
  const started = performance.now();
  const r = await execa(process.execPath, [cli, 'run', '--json', '--lwt-src', tree], {
    cwd: service,
    reject: false,
    env: { LWT_REGRESS_CACHE: cache },
  });
  const ms = performance.now() - started;
  if (r.exitCode !== 1)
    throw new Error(`the storm did not fail on the regressed tree (exit ${r.exitCode}): ${r.stderr}`);
  return ms;
}

try {
  const tree = await makeRegressedTree(join(tmp.path, 'regressed'));
  const rich = await makeLwtService(join(tmp.path, 'rich'));
  const plain = await makeLwtService(join(tmp.path, 'plain'), true);
  const cold = {
    rich: await probe(rich, tree, join(tmp.path, 'c1')),
    plain: await probe(plain, tree, join(tmp.path, 'c2')),
  };
  const warm = { rich: [] as number[], plain: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    warm.rich.push(await probe(rich, tree, join(tmp.path, 'c1')));
    warm.plain.push(await probe(plain, tree, join(tmp.path, 'c2')));
  }
  const ratio = median(warm.rich) / median(warm.plain);
  const text = `## Libraries built on Lwt, rebuilt

${producedBy('bench/world-bench.ts')}, load average ${loadavg()[0]!.toFixed(1)} at the end.

The first probe of a dune service (\`lwt-regress run --lwt-src <regressed 5.6.1>\`, its one case failing with the \
cycle), linking \`lwt.unix\`, \`lwt_react\`, \`lwt_log\` and \`logs.lwt\` (three packages rebuilt against that Lwt: \
lwt_react from the tree, lwt_log and logs from Debian's source packages), against the same storm linking \
\`lwt.unix\` alone. Cold: an empty \
cache. Cached: median of ${ROUNDS} runs in turns.

| service | cold | cached |
|---|---|---|
| lwt.unix, lwt_react, lwt_log, logs.lwt | ${s(cold.rich)} | ${s(median(warm.rich))} |
| lwt.unix alone | ${s(cold.plain)} | ${s(median(warm.plain))} |

Cached, with the three rebuilt packages: ${ratio.toFixed(2)}× \
(target at most 1.10×: ${ratio <= 1.1 ? 'met' : '**missed**'}).
`;
  process.stdout.write(text);
  await writeSection('world', text);
} finally {
  await tmp.cleanup();
}
