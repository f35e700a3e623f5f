/**
 * The era compiler (OCaml 4.13.1+unsafe-string, from Debian's sources): how
 * long its build takes from nothing (a cache of its own; target at most 5
 * minutes on 2 cores), and whether a probe that uses it, cached, starts as
 * fast as one with the default compiler (mutex-server on Debian's Lwt 5.6.1
 * as it is, and written back into strings so that lwt-regress chooses the
 * era compiler; the cached builds in the user's cache; medians of 7 runs in
 * turns). With LWT_REGRESS_BENCH_GIT=<a clone of Lwt>, also the sweep of
 * every version tag × every built-in case, each tag with the compiler
 * lwt-regress chooses for it. Figures go to bench/RESULTS.md.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { makeSourceTree, writeIntoStrings } from '../src/fixtures/lwt-fixtures.js';
import { gitVersionTags } from '../src/lwt/git.js';
import { projectRoot } from '../src/paths.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { installEraCompiler, UNSAFE_STRING_OCAML } from '../src/toolchain/era-compiler.js';
import { producedBy, writeSection } from './results-file.js';

const cli = join(projectRoot(), 'dist/harness/cli.js');
const tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-bench-era-' });
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ROUNDS = 7;

/** The era compiler built from nothing into a cache of its own, with the time of each step. */
async function coldBuild(): Promise<{ ms: number; steps: string[] }> {
  const steps: string[] = [];
  process.env.LWT_REGRESS_CACHE = join(tmp.path, 'cold-cache');
  try {
    const built = await installEraCompiler({ log: (line) => steps.push(line.trim()) });
    return { ms: built.ms, steps };
  } finally {
    delete process.env.LWT_REGRESS_CACHE;
  }
}

async function probeOnce(tree: string): Promise<{ wall: number; compiler: string }> {
  const started = performance.now();
  const r = await execa(
    process.execPath,
    [cli, 'run', '--json', '--artifacts', join(tmp.path, 'artifacts'), '--lwt-src', tree, '--case', 'mutex-server'],
    {
      reject: false,
    },
  );
  const wall = performance.now() - started;
  const probe = (JSON.parse(r.stdout) as { results: ProbeResult[] }).results[0]!;
  if (probe.status !== 'pass') throw new Error(`mutex-server did not pass on ${tree}: ${probe.reason}`);
  return { wall, compiler: probe.compiler.name };
}

/** Warm probes with the default compiler and with the era compiler, in turns. */
async function cachedStarts() {
  const pristine = await makeSourceTree(join(tmp.path, 'pristine'), '5.6.1');
  const strings = await makeSourceTree(join(tmp.path, 'strings'), '5.6.1');
  await writeIntoStrings(strings);
  await probeOnce(pristine);
  await probeOnce(strings);
  const runs = {
    default: [] as Awaited<ReturnType<typeof probeOnce>>[],
    era: [] as Awaited<ReturnType<typeof probeOnce>>[],
  };
  for (let i = 0; i < ROUNDS; i++) {
    runs.default.push(await probeOnce(pristine));
    runs.era.push(await probeOnce(strings));
  }
  const row = (label: string, xs: Awaited<ReturnType<typeof probeOnce>>[]) =>
    `| ${label} | ${xs[0]!.compiler} | ${s(median(xs.map((x) => x.wall)))} |`;
  return { rows: [row('Debian 5.6.1', runs.default), row('5.6.1 written into strings', runs.era)], runs };
}

/** Every version tag × every built-in case, as a user's sweep: one `run`, the compiler chosen per tag. */
async function sweep(git: string): Promise<string> {
  const tags = (await gitVersionTags(git)).map((t) => t.tag).filter((t) => !t.startsWith('1.'));
  const started = performance.now();
  const r = await execa(
    process.execPath,
    [cli, 'run', '--json', '--artifacts', join(tmp.path, 'artifacts'), '--lwt-git', git, '--lwt', tags.join(',')],
    {
      reject: false,
    },
  );
  const ms = performance.now() - started;
  const results = (JSON.parse(r.stdout) as { results: ProbeResult[] }).results;
  const count = (status: string) => results.filter((x) => x.status === status).length;
  const compilers = new Map<string, number>();
  for (const x of results) compilers.set(x.compiler.name, (compilers.get(x.compiler.name) ?? 0) + 1);
  const by = [...compilers].map(([name, n]) => `${n} on ${name}`).join(', ');
  const failed = results
    .filter((x) => x.status === 'fail' || x.status === 'untestable')
    .map((x) => `\n- ${x.lwt.label} ${x.case}: ${x.status}: ${x.reason.slice(0, 200)}`)
    .join('');
  return (
    'The sweep (`LWT_REGRESS_BENCH_GIT=<a clone of Lwt> npm run bench`): ' +
    `\`lwt-regress run --lwt-git <clone> --lwt <every ` +
    `version tag from 2.0.0>\`, ${tags.length} tags × the built-in cases, with the caches as they were: ` +
    `${results.length} probes in ${s(ms)}: ${count('pass')} pass, ${count('fail')} fail, ` +
    `${count('untestable')} untestable, ${count('not-applicable')} not applicable; ${by}.${failed}`
  );
}

try {
  const cold = await coldBuild();
  // The user's cache: the era compiler there is what later runs use.
  await installEraCompiler();
  const starts = await cachedStarts();
  const git = process.env.LWT_REGRESS_BENCH_GIT;
  const swept = git ? `\n${await sweep(git)}\n` : '';
  const target = cold.ms <= 300_000 ? 'met' : '**missed**';
  const wallDefault = median(starts.runs.default.map((x) => x.wall));
  const wallEra = median(starts.runs.era.map((x) => x.wall));
  const text = `## The era compiler

${producedBy('bench/era-bench.ts')}, load average ${loadavg()[0]!.toFixed(1)} at the end.

OCaml ${UNSAFE_STRING_OCAML.name} built from nothing (an empty cache; Debian's source tarballs from ./setup): \
**${s(cold.ms)}** (target at most 5 minutes on 2 cores: ${target}). Its steps:

${cold.steps.map((l) => `- ${l}`).join('\n')}

A probe with it, cached, against one with the default compiler: \
\`lwt-regress run --lwt-src TREE --case mutex-server\`, \
the Lwt build and the case cached, median of ${ROUNDS} runs in turns: the wall time of the whole command, whose \
difference is what finding the compiler costs (its tree's needs read, the default's configuration asked, the cached \
compiler checked whole: every file's size against its manifest).

| tree | compiler (chosen by lwt-regress) | whole command |
|---|---|---|
${starts.rows.join('\n')}

With the era compiler the whole command takes ${(wallEra / wallDefault).toFixed(2)}× the default's \
(${((wallEra - wallDefault) / 1000).toFixed(2)} s more).
${swept}`;
  process.stdout.write(text);
  await writeSection('era', text);
} finally {
  await tmp.cleanup();
}
