/**
 * How soon `npm test -- --lwt installed --case wakeup-chain` answers when
 * nothing changed and everything is built and cached: the time until its
 * first probe starts (the line that names the selection, printed once the
 * checks, the incremental builds and the selection are done) and until it
 * ends. Median of 5 warm runs, after one that fills the caches.
 */
import { loadavg } from 'node:os';
import { execa } from 'execa';
import { projectRoot } from '../src/paths.js';
import { writeSection } from './results-file.js';

const ARGS = ['test', '--', '--lwt', 'installed', '--case', 'wakeup-chain'];

async function once(): Promise<{ firstProbe: number; total: number }> {
  const started = performance.now();
  let firstProbe = Number.NaN;
  const child = execa('npm', ARGS, { cwd: projectRoot(), reject: false });
  child.stdout?.on('data', (chunk: Buffer) => {
    if (Number.isNaN(firstProbe) && /lwt-regress: OCaml .*cases wakeup-chain/.test(String(chunk))) {
      firstProbe = performance.now() - started;
    }
  });
  const r = await child;
  if (r.exitCode !== 0) throw new Error(`npm test failed: ${r.stdout}\n${r.stderr}`);
  return { firstProbe, total: performance.now() - started };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

await once();
const runs = [];
for (let i = 0; i < 5; i++) runs.push(await once());
const first = median(runs.map((r) => r.firstProbe));
const total = median(runs.map((r) => r.total));
const load = loadavg()[0]!.toFixed(1);
const body = `## Start-up of the regression suite

Produced by \`npm run bench\` (bench/start-bench.ts) on ${new Date().toISOString().slice(0, 10)}: \
\`npm ${ARGS.join(' ')}\` with nothing changed and everything built and cached \
(\`tsc -b\` finding both projects up to date, vitest, one probe; the lint and style checks are the full run's). \
Median of 5 runs after a warm-up; load average ${load} when it ended.

| measure | result | target | |
|---|---|---|---|
| until the first probe starts | ${s(first)} | ≤ 3 s | ${first <= 3000 ? 'met' : '**missed**'} |
| the whole command | ${s(total)} | ≤ 6 s | ${total <= 6000 ? 'met' : '**missed**'} |
`;
process.stdout.write(body);
await writeSection('start', body);
