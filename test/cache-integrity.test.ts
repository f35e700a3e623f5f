/**
 * A broken cache never decides a verdict: a cut-short, emptied or deleted
 * file of a cached build, a probe verdict cut short by an interrupt, or a
 * staging directory an interrupted run left behind are noticed and rebuilt
 * or collected, and the run answers as if the cache were new.
 */
import { mkdir, readdir, readFile, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectStaleStaging, isComplete, publishDir } from '../src/cache/publish.js';
import { EXIT } from '../src/errors.js';
import { makeSourceTree } from '../src/fixtures/lwt-fixtures.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { runCli } from './support/cli.js';

let tmp: Awaited<ReturnType<typeof dir>>;
let pristine: string;
const at = (...parts: string[]) => join(tmp.path, ...parts);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-cache-' });
  pristine = await makeSourceTree(at('lwt-5.6.1'), '5.6.1');
});
afterAll(() => tmp.cleanup());

async function run(cache: string, args: string[]) {
  const r = await runCli(['run', '--json', '--artifacts', at('artifacts'), ...args], {
    env: { LWT_REGRESS_CACHE: cache },
    cwd: tmp.path,
  });
  const results: ProbeResult[] = r.stdout.startsWith('{') ? JSON.parse(r.stdout).results : [];
  return { ...r, results };
}

async function only(parent: string): Promise<string> {
  const names = (await readdir(parent)).filter((n) => !n.includes('.tmp-'));
  expect(names).toHaveLength(1);
  return join(parent, names[0]!);
}

describe('a damaged cached case binary is rebuilt, never run', () => {
  it.each([
    ['cut short', (f: string) => truncate(f, 4096)],
    ['emptied', (f: string) => truncate(f, 0)],
    ['deleted', (f: string) => rm(f)],
  ])('a binary %s is rebuilt', async (name, damage) => {
    const cache = at(`cache-binary-${name.replace(' ', '-')}`);
    const args = ['--lwt', 'installed', '--case', 'wakeup-chain'];
    expect((await run(cache, args)).results[0]).toMatchObject({ status: 'pass', cached: { case: false } });
    await damage(join(await only(join(cache, 'cases')), 'case'));
    const again = await run(cache, args);
    expect(again.exitCode).toBe(EXIT.ok);
    expect(again.results[0]).toMatchObject({ status: 'pass', cached: { case: false }, observed: { outcome: 'cycle' } });
  });
});

describe('a damaged cached Lwt build is rebuilt', () => {
  it('a cut-short compiled module makes the whole build be built again', async () => {
    const cache = at('cache-lwt');
    const args = ['--lwt-src', pristine, '--case', 'mutex-unlock-storm'];
    expect((await run(cache, args)).results[0]).toMatchObject({ status: 'pass', cached: { lwt: false } });
    const build = await only(join(cache, 'lwt'));
    const module = (await readdir(build, { recursive: true })).find((n) => n.endsWith('lwt_mutex.cmx'))!;
    await truncate(join(build, module), 10);
    const again = await run(cache, args);
    expect(again.exitCode).toBe(EXIT.ok);
    expect(again.results[0]).toMatchObject({ status: 'pass', cached: { lwt: false } });
  });
});

describe('cached verdicts', () => {
  it('a probe verdict cut short (an interrupted write) is computed again, without a stack trace', async () => {
    const cache = at('cache-probes');
    const args = ['gate', '--baseline', 'installed', '--candidate-src', pristine, '--candidate', '5.6.1'];
    const gate = (extra: string[] = []) =>
      runCli([...args, '--case', 'wakeup-chain', '--artifacts', at('artifacts'), ...extra], {
        env: { LWT_REGRESS_CACHE: cache },
      });
    expect((await gate()).exitCode).toBe(EXIT.ok);
    const probes = join(cache, 'probes');
    const files = await readdir(probes);
    expect(files.length).toBe(2);
    for (const f of files) {
      const text = await readFile(join(probes, f), 'utf8');
      await writeFile(join(probes, f), text.slice(0, text.length / 2));
    }
    const again = await gate();
    expect(again.stderr).not.toMatch(/SyntaxError|at .*\.js:\d+/);
    expect(again.exitCode).toBe(EXIT.ok);
    for (const f of await readdir(probes)) JSON.parse(await readFile(join(probes, f), 'utf8'));
  });
});

describe('publishing and checking entries', () => {
  it('an entry is complete only while every file has the size it was published with', async () => {
    const entry = at('entries', 'one');
    const staging = at('entries', 'one.tmp-1-abc');
    await mkdir(join(staging, 'sub'), { recursive: true });
    await writeFile(join(staging, 'a'), 'aaaa');
    await writeFile(join(staging, 'sub', 'b'), 'bb');
    await publishDir(staging, entry);
    expect(await isComplete(entry)).toBe(true);
    await writeFile(join(entry, 'sub', 'b'), 'b');
    expect(await isComplete(entry)).toBe(false);
    // A broken entry is removed, so that it is built again rather than half-used.
    await expect(readdir(entry)).rejects.toThrow();
  });

  it('staging directories of processes that are gone, or a day old, are collected; live ones are not', async () => {
    const parent = at('staging');
    const dead = join(parent, 'x.tmp-999999999-aaaaaa');
    const live = join(parent, `y.tmp-${process.ppid}-bbbbbb`);
    const old = join(parent, `z.tmp-${process.ppid}-cccccc`);
    for (const d of [dead, live, old]) await mkdir(d, { recursive: true });
    const twoDaysAgo = new Date(Date.now() - 48 * 3600 * 1000);
    await utimes(old, twoDaysAgo, twoDaysAgo);
    const removed = await collectStaleStaging(parent);
    expect(removed.sort()).toEqual(['x.tmp-999999999-aaaaaa', `z.tmp-${process.ppid}-cccccc`]);
    expect(await readdir(parent)).toEqual([`y.tmp-${process.ppid}-bbbbbb`]);
  });
});
