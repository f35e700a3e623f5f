/**
 * A job matrix: `--shard I/N` splits the probes deterministically, every
 * probe in exactly one shard, and `report --merge` puts the parts back
 * together into the report (and exit code) of the whole.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES_DIR } from '../src/cases/load-cases.js';
import { EXIT } from '../src/errors.js';
import { makeRegressedTree } from '../src/fixtures/lwt-fixtures.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { inShard, parseShard } from '../src/probe/shard.js';
import { makeCasesDir } from './support/case-dir.js';
import { CLI, runCli } from './support/cli.js';
import { expectOneLineError } from './support/one-line-error.js';

let tmp: Awaited<ReturnType<typeof dir>>;
let env: Record<string, string>;
const at = (...parts: string[]) => join(tmp.path, ...parts);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-shard-' });
  env = { LWT_REGRESS_CACHE: at('cache') };
});
afterAll(() => tmp.cleanup());

describe('shards', () => {
  it('every probe is in exactly one of N shards', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 200 }), (n, k) => {
        const owners = Array.from({ length: n }, (_, i) => i + 1).filter((i) => inShard(k, { index: i, count: n }));
        expect(owners).toHaveLength(1);
      }),
    );
  });

  it.each(['0/2', '3/2', '1/0', 'a/b', '1', '1/2/3'])('%s is not a shard', (text) => {
    expect(parseShard(text)).toBeUndefined();
  });

  it('three shards of a run, merged, are the run', async () => {
    const whole = await runCli(['run', '--json', '--artifacts', at('a')], { env });
    const parts: string[] = [];
    for (const i of [1, 2, 3]) {
      const r = await runCli(['run', '--json', '--shard', `${i}/3`, '--artifacts', at('a')], { env });
      expect(JSON.parse(r.stdout).results.length).toBeGreaterThan(0);
      parts.push(at(`part${i}.json`));
      await writeFile(parts[parts.length - 1]!, r.stdout);
    }
    const merged = await runCli(['report', '--merge', '--json', ...parts, '--markdown', at('merged.md')], { env });
    expect(merged.exitCode).toBe(EXIT.ok);
    const key = (rs: ProbeResult[]) => rs.map((r) => `${r.case}:${r.status}`).sort();
    expect(key(JSON.parse(merged.stdout).results)).toEqual(key(JSON.parse(whole.stdout).results));
    const dup = await runCli(['report', '--merge', parts[0]!, parts[0]!, parts[1]!, parts[2]!], { env });
    expect(dup.exitCode).toBe(EXIT.usage);
    expect(dup.stderr).toMatch(/is in both/);
    // A shard that never ran (a cancelled job) is no pass: nothing is merged, and the missing part is named.
    const partial = await runCli(['report', '--merge', parts[0]!, parts[2]!], { env });
    expect(partial.exitCode).toBe(EXIT.untestable);
    expectOneLineError(partial, /shard 2\/3 of 3 missing\. Merge every shard/);
    // A shard of another matrix (other cases) does not complete this one.
    const other = await runCli(['run', '--json', '--shard', '2/3', '--case', 'wakeup-chain', '--artifacts', at('a')], {
      env,
    });
    await writeFile(at('other.json'), other.stdout);
    const mixed = await runCli(['report', '--merge', parts[0]!, at('other.json'), parts[2]!], { env });
    expect(mixed.exitCode).toBe(EXIT.usage);
    expect(mixed.stderr).toMatch(/are shards of different matrices/);
  }, 180_000);

  it('an interrupted shard is not merged: its part of the matrix is cut short', async () => {
    const slow = await makeCasesDir(at('slow'), [
      { name: 'slow', program: 'let () = ignore (Sys.command "sleep 300"); print_endline "clean: late"\n' },
    ]);
    const child = execa(
      process.execPath,
      [CLI, 'run', '--json', '--cases', `${slow},${CASES_DIR}`, '--artifacts', at('a')],
      {
        env,
        reject: false,
      },
    );
    await new Promise((done) => setTimeout(done, 8000));
    child.kill('SIGTERM');
    const r = await child;
    expect(JSON.parse(r.stdout as string).interrupted).toBe(true);
    await writeFile(at('interrupted.json'), r.stdout as string);
    const merged = await runCli(['report', '--merge', at('interrupted.json')], { env });
    expect(merged.exitCode).toBe(EXIT.untestable);
    expectOneLineError(merged, /interrupted\.json is the JSON of an interrupted run/);
  }, 60_000);

  it('two shards of a gate that blocks, merged, block', async () => {
    const regressed = await makeRegressedTree(at('regressed'));
    const gate = ['gate', '--json', '--baseline', 'installed', '--candidate-src', regressed, '--candidate', '5.6.1'];
    const parts: string[] = [];
    const codes: number[] = [];
    for (const i of [1, 2]) {
      const r = await runCli([...gate, '--shard', `${i}/2`, '--artifacts', at('g')], { env });
      codes.push(r.exitCode!);
      parts.push(at(`gate${i}.json`));
      await writeFile(parts[parts.length - 1]!, r.stdout);
    }
    // mutex-server and mutex-unlock-storm regress, one in each shard; the merge blocks on both.
    expect(codes).toEqual([EXIT.failed, EXIT.failed]);
    const merged = await runCli(['report', '--merge', '--json', ...parts], { env });
    expect(merged.exitCode).toBe(EXIT.failed);
    const outcome = JSON.parse(merged.stdout);
    expect(outcome.verdict).toBe('blocked');
    expect(outcome.rows.filter((x: { blocking: boolean }) => x.blocking).map((x: { case: string }) => x.case)).toEqual([
      'mutex-server',
      'mutex-unlock-storm',
    ]);
    const whole = await runCli([...gate, '--artifacts', at('g')], { env });
    expect(outcome.rows).toHaveLength(JSON.parse(whole.stdout).rows.length);
    // The merged text says what gate itself says: its decision word and the versions.
    const mergedText = await runCli(['report', '--merge', ...parts], { env });
    const wholeText = await runCli(gate.filter((a) => a !== '--json').concat(['--artifacts', at('g')]), { env });
    expect(mergedText.stdout.split('\n')[0]).toMatch(/^BLOCKED: Lwt 5\.6\.1 → 5\.6\.1 \(dir /);
    expect(wholeText.stdout).toContain(mergedText.stdout.split('\n')[0]);
  }, 180_000);
});
