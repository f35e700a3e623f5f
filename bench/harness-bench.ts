/**
 * The harness's speed: a cold run (empty cache: Lwt's core built from source,
 * every case built) and a warm re-run of all cases, against a source tree made
 * from the installed Lwt's sources, plus the installed Lwt itself. Figures go
 * to bench/RESULTS.md.
 */

import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { projectRoot } from '../src/paths.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { writeSection } from './results-file.js';

const cli = join(projectRoot(), 'dist/harness/cli.js');
const tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-bench-harness-' });

async function timedRun(args: string[], cache: string): Promise<{ ms: number; results: ProbeResult[] }> {
  const start = performance.now();
  const r = await execa(process.execPath, [cli, 'run', '--json', '--artifacts', join(tmp.path, 'artifacts'), ...args], {
    reject: false,
    env: { LWT_REGRESS_CACHE: cache },
  });
  const ms = performance.now() - start;
  if (!r.stdout.startsWith('{')) throw new Error(`run failed: ${r.stderr}`);
  return { ms, results: JSON.parse(r.stdout).results };
}

try {
  const lwtDir = (await execa('ocamlfind', ['query', 'lwt'])).stdout.trim();
  const version = (await execa('ocamlfind', ['query', '-format', '%v', 'lwt'])).stdout.trim();
  const tree = join(tmp.path, 'lwt-src');
  await mkdir(join(tree, 'src', 'core'), { recursive: true });
  for (const f of await readdir(lwtDir))
    if (/\.mli?$/.test(f)) await copyFile(join(lwtDir, f), join(tree, 'src', 'core', f));
  await writeFile(join(tree, 'lwt.opam'), `opam-version: "2.0"\nversion: "${version}"\n`);

  const cache = join(tmp.path, 'cache');
  const cold = await timedRun(['--lwt-src', tree], cache);
  const warm = await timedRun(['--lwt-src', tree], cache);
  const installedCache = join(tmp.path, 'cache-installed');
  const installedCold = await timedRun(['--lwt', 'installed'], installedCache);
  const installedWarm = await timedRun(['--lwt', 'installed'], installedCache);

  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const cases = warm.results.length;
  const lwtBuild = cold.results[0]?.timings.buildMs ?? 0;
  const perCase = warm.results
    .map(
      (r) =>
        `| ${r.case} | ${r.status} | ${r.observed?.outcome ?? '-'} | ${s(r.timings.runMs)} | ${r.timings.analyzeMs ? `${r.timings.analyzeMs.toFixed(0)} ms` : '-'} | ${s(r.timings.totalMs)} |`,
    )
    .join('\n');
  const text = `## Harness

Produced by \`npm run bench\` (bench/harness-bench.ts) on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}. Each figure is the wall time of one \`lwt-regress run --json\` over all ${cases} cases under a 1 MiB stack, with a fresh cache for the cold runs.

| run | wall time | target |
|---|---|---|
| cold, Lwt ${version} from a source tree (core compiled from source, all cases built) | ${s(cold.ms)} (the Lwt core build alone: ${s(lwtBuild)}) | |
| warm re-run of the same (nothing rebuilt: ${warm.results.every((r) => r.cached?.lwt && r.cached.case) ? 'confirmed by the results' : '**something was rebuilt**'}) | ${s(warm.ms)} | < 10 s for five cases |
| cold, the installed Lwt (findlib package, cases built) | ${s(installedCold.ms)} | |
| warm, the installed Lwt | ${s(installedWarm.ms)} | |

Per case, warm run against the source tree (run = the case under \`ulimit -s 1024\` until it exits or dumps its core; analysis = the built-in analyzer on that core):

| case | verdict | observed | run | analysis | total |
|---|---|---|---|---|---|
${perCase}
`;
  process.stdout.write(text);
  await writeSection('harness', text);
} finally {
  await tmp.cleanup();
}
