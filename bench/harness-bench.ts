/**
 * The harness's speed: building Lwt from source, the core alone and the core
 * with lwt.unix and its C stubs, per era; a cold run (empty cache: Lwt and
 * every case built) and a warm re-run of all cases; how soon a probe of a
 * cached build starts its case. The tree is Debian's Lwt 5.6.1 source tarball
 * (test/fixtures/debian/, from ./setup); with LWT_REGRESS_BENCH_GIT=<a Lwt
 * repository> the builds are also measured on one release tag per era.
 * Figures go to bench/RESULTS.md.
 */

import { cp, mkdir, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { makeSourceTree } from '../src/fixtures/lwt-fixtures.js';
import { buildLwtFromSource } from '../src/lwt/lwt-build.js';
import { projectRoot } from '../src/paths.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { findToolchain } from '../src/toolchain/ocamlfind.js';
import { producedBy, writeSection } from './results-file.js';

const cli = join(projectRoot(), 'dist/harness/cli.js');
const tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-bench-harness-' });
/** One release per era of lwt.unix's layout and configuration, for LWT_REGRESS_BENCH_GIT. */
const ERA_TAGS = ['2.3.0', '2.4.7', '3.2.0', '4.3.0', '5.4.0', '5.10.1', '6.1.2'];
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

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

/**
 * Builds of one tree, each cold, taken in turns: this shared 2-core machine's
 * speed varies by a third from one run to the next (its steal time), so the
 * fastest of each counts, as the build's own cost.
 */
const ROUNDS = 5;

/** The Lwt build alone, cold: the whole tree, and the same tree without src/unix (the core alone). */
async function buildTimes(label: string, tree: string) {
  const toolchain = await findToolchain();
  const coreOnly = join(tmp.path, `core-only-${label}`);
  await cp(tree, coreOnly, { recursive: true });
  await rm(join(coreOnly, 'src', 'unix'), { recursive: true, force: true });
  const build = async (root: string, round: number) => {
    const cache = join(tmp.path, `cache-build-${label}-${root === tree ? 'all' : 'core'}-${round}`);
    process.env.LWT_REGRESS_CACHE = cache;
    const r = await buildLwtFromSource({ origin: 'dir', version: label, label, dir: root, reproduce: [] }, toolchain);
    await rm(cache, { recursive: true, force: true });
    return { ms: r.ms, unix: r.ok ? (r.build.unix.ok ? 'built' : r.build.unix.error) : `core: ${r.error}` };
  };
  const core: number[] = [];
  const all: number[] = [];
  let unix = '';
  for (let round = 0; round < ROUNDS; round++) {
    core.push((await build(coreOnly, round)).ms);
    const whole = await build(tree, round);
    all.push(whole.ms);
    unix = whole.unix;
  }
  delete process.env.LWT_REGRESS_CACHE;
  return { label, core: Math.min(...core), all: Math.min(...all), unix };
}

try {
  const tree = await makeSourceTree(join(tmp.path, 'lwt-src'), '5.6.1');
  const eras = [await buildTimes('5.6.1 (Debian tarball)', tree)];
  const git = process.env.LWT_REGRESS_BENCH_GIT;
  if (git) {
    for (const tag of ERA_TAGS) {
      const at = join(tmp.path, `tag-${tag}`);
      await mkdir(at);
      const archive = await execa('git', ['-C', git, 'archive', '--format=tar', `refs/tags/${tag}`], {
        encoding: 'buffer',
      });
      await execa('tar', ['-x', '-C', at], { input: archive.stdout });
      eras.push(await buildTimes(tag, at));
    }
  }

  const cache = join(tmp.path, 'cache');
  const cold = await timedRun(['--lwt-src', tree], cache);
  const warm = await timedRun(['--lwt-src', tree], cache);
  const installedCache = join(tmp.path, 'cache-installed');
  const installedCold = await timedRun(['--lwt', 'installed'], installedCache);
  const installedWarm = await timedRun(['--lwt', 'installed'], installedCache);

  const cases = warm.results.length;
  // Before the case runs: the cached Lwt build and case binary are looked up (and the C compiler checked once).
  const startDelay = Math.max(...warm.results.map((r) => r.timings.totalMs - r.timings.runMs - r.timings.analyzeMs));
  const eraRows = eras
    .map((e) => {
      const unix = e.unix === 'built' ? 'built' : `untestable: ${e.unix.slice(0, 160)}`;
      const ratio = e.all / e.core;
      const target = e.unix === 'built' ? (ratio <= 2 ? 'met' : 'not met') : '-';
      return `| ${e.label} | ${s(e.core)} | ${s(e.all)} | ${ratio.toFixed(2)}× | ${target} | ${unix} |`;
    })
    .join('\n');
  const perCase = warm.results
    .map((r) => {
      const analysis = r.timings.analyzeMs ? `${r.timings.analyzeMs.toFixed(0)} ms` : '-';
      const observed = r.observed?.outcome ?? '-';
      const { runMs, totalMs } = r.timings;
      return `| ${r.case} | ${r.status} | ${observed} | ${s(runMs)} | ${analysis} | ${s(totalMs)} |`;
    })
    .join('\n');
  const building =
    'Building Lwt from source, cold (an empty cache), as `lwt-regress` does it: ' +
    'the core alone (the same tree without src/unix/) and the core with lwt.unix, its C stubs and its findlib tree. ' +
    "lwt.unix's C stubs compile as one unit, unoptimised, while the core's modules do; " +
    "lwt.unix's modules are sorted meanwhile and compile as soon as the core's have. " +
    `Each build ${ROUNDS} times in turns, from an empty cache each time; the fastest counts. ` +
    (git ? 'The release rows come from `LWT_REGRESS_BENCH_GIT=<a clone of Lwt> npm run bench`. ' : '') +
    "Target: the core and lwt.unix together in at most twice the core's time.";
  const rebuilt = warm.results.every((r) => r.cached?.lwt && r.cached.case)
    ? 'confirmed by the results'
    : '**something was rebuilt**';
  const perCaseIntro =
    'Per case, warm run against the source tree ' +
    '(run = the case under `ulimit -s 1024` until it exits or dumps its core; ' +
    'analysis = the built-in analyzer on that core):';
  const text = `## Harness

${producedBy('bench/harness-bench.ts')}, load average ${loadavg()[0]!.toFixed(1)} at the end.

${building}

| Lwt | core alone | core + lwt.unix | ratio | target | lwt.unix |
|---|---|---|---|---|---|
${eraRows}

Each run below is one \`lwt-regress run --json\` over all ${cases} cases under a 1 MiB stack, \
with a fresh cache for the cold runs.

| run | wall time | target |
|---|---|---|
| cold, Lwt 5.6.1 from Debian's source tarball (core and lwt.unix built, all cases built) | ${s(cold.ms)} | |
| warm re-run of the same (nothing rebuilt: ${rebuilt}) | ${s(warm.ms)} | < 10 s for five cases |
| longest wait before a case starts, warm (cached build and binary looked up) | ${s(startDelay)} | < 1 s |
| cold, the installed Lwt (findlib package, cases built) | ${s(installedCold.ms)} | |
| warm, the installed Lwt | ${s(installedWarm.ms)} | |

${perCaseIntro}

| case | verdict | observed | run | analysis | total |
|---|---|---|---|---|---|
${perCase}
`;
  process.stdout.write(text);
  await writeSection('harness', text);
} finally {
  await tmp.cleanup();
}
