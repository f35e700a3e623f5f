/**
 * The example adopter (examples/kvstore): a dune project with a library of
 * its own, cases in its own directory and its lwt-regress.json. run, gate
 * and check on it, for real, as its README tells a new user; and the case
 * kinds it shows: dune targets built against the Lwt under test, commands.
 */
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { makeRegressedTree } from '../src/fixtures/lwt-fixtures.js';
import { projectRoot } from '../src/paths.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { makeCasesDir } from './support/case-dir.js';
import { runCli } from './support/cli.js';

let tmp: Awaited<ReturnType<typeof dir>>;
let example: string;
let env: Record<string, string>;
const at = (...parts: string[]) => join(tmp.path, ...parts);
const byCase = (rs: ProbeResult[]) => Object.fromEntries(rs.map((r) => [r.case, r]));

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-example-' });
  // A copy, as a user's clone of the example would be: its own directory, nothing built yet.
  example = at('kvstore');
  await cp(join(projectRoot(), 'examples', 'kvstore'), example, { recursive: true });
  env = { LWT_REGRESS_CACHE: at('cache') };
});
afterAll(() => tmp.cleanup());

const cli = (args: string[], cwd = example, extra: Record<string, string> = {}) =>
  runCli(args, { cwd, env: { ...env, ...extra } });

describe('examples/kvstore', () => {
  it('run: its own cases, from its lwt-regress.json, meet their manifests; its _build is not touched', async () => {
    const r = await cli(['run', '--json', '--artifacts', at('artifacts')]);
    expect(r.exitCode, r.stderr).toBe(EXIT.ok);
    const results = byCase(JSON.parse(r.stdout).results);
    expect(Object.keys(results).sort()).toEqual(['replica-chain', 'write-storm']);
    expect(results['write-storm']).toMatchObject({ status: 'pass', observed: { outcome: 'clean' } });
    // The project's own recursion, dumped as a core by the preloaded reset and walked to its cycle.
    expect(results['replica-chain']).toMatchObject({
      status: 'pass',
      capture: 'kernel',
      observed: { outcome: 'cycle' },
    });
    expect(results['replica-chain']!.observed!.frames).toEqual(expect.arrayContaining(['Kvstore.<fun>']));
    expect(await readdir(example)).not.toContain('_build');
  }, 300_000);

  it('gate: installed Lwt against a regressed tree blocks on the write storm', async () => {
    const regressed = await makeRegressedTree(at('lwt-regressed'));
    const r = await cli([
      'gate',
      '--json',
      '--baseline',
      'installed',
      '--candidate-src',
      regressed,
      '--candidate',
      '5.6.1',
      '--artifacts',
      at('artifacts'),
    ]);
    expect(r.exitCode, r.stderr).toBe(EXIT.failed);
    const rows = JSON.parse(r.stdout).rows as { case: string; transition: string; blocking: boolean }[];
    expect(rows.find((x) => x.case === 'write-storm')).toMatchObject({ transition: 'regressed', blocking: true });
    expect(rows.find((x) => x.case === 'replica-chain')).toMatchObject({ transition: 'unchanged', blocking: false });
  }, 600_000);

  it('check: the built replica chain overflows (exit 1, its cycle), the write storm does not (exit 0)', async () => {
    await execa('dune', ['build', '--root', example, '--display', 'quiet'], { cwd: example });
    const chain = join(example, '_build', 'default', 'test', 'lwt', 'replica_chain.exe');
    const storm = join(example, '_build', 'default', 'test', 'lwt', 'write_storm.exe');
    const bad = await cli(['check', '--artifacts', at('artifacts'), '--', chain, '100000']);
    expect(bad.exitCode).toBe(EXIT.failed);
    expect(bad.stdout).toMatch(/Recurring cycle of \d+ frames/);
    expect(bad.stdout).toMatch(/Kvstore\.<fun>/);
    const good = await cli(['check', '--artifacts', at('artifacts'), '--', storm, '100000']);
    expect(good.exitCode, good.stdout).toBe(EXIT.ok);
  }, 300_000);
});

describe('case kinds', () => {
  it('a command case runs a program as built, once, labelled so; bisect refuses it', async () => {
    await execa('dune', ['build', '--root', example, '--display', 'quiet'], { cwd: example });
    const cases = await makeCasesDir(at('command-cases'), []);
    await mkdir(join(cases, 'chain'), { recursive: true });
    await writeFile(
      join(cases, 'chain', 'case.json'),
      JSON.stringify({
        description: 'the built replica chain',
        needs: '*',
        command: [join(example, '_build', 'default', 'test', 'lwt', 'replica_chain.exe'), '{size}'],
        size: { default: 100000, meaning: 'replicas' },
        expect: [{ lwt: '*', outcome: 'cycle', frames: ['Kvstore.<fun>'] }],
      }),
    );
    const r = await cli(
      ['run', '--json', '--cases', cases, '--lwt', 'installed,installed', '--artifacts', at('a2')],
      tmp.path,
    );
    expect(r.exitCode, r.stderr).toBe(EXIT.ok);
    const results = JSON.parse(r.stdout).results as ProbeResult[];
    expect(results.map((x) => [x.case, x.status, x.lwt.origin, x.lwt.label])).toEqual([
      ['chain', 'pass', 'as-built', 'as built (command)'],
    ]);
    const bisect = await cli(
      ['bisect', '--cases', cases, '--case', 'chain', '--good', '5.6.0', '--bad', '5.6.1'],
      tmp.path,
    );
    expect(bisect.exitCode).toBe(EXIT.usage);
    expect(bisect.stderr).toMatch(/runs a program already built .* nothing to bisect/);
  }, 300_000);

  it('a command whose program does not exist: exit 3, one line', async () => {
    const cases = await makeCasesDir(at('missing-command'), [
      {
        name: 'gone',
        program: '',
        manifest: {
          description: 'x',
          needs: '*',
          command: ['./not-built.exe'],
          size: { default: 1 },
          expect: [{ lwt: '*', outcome: 'clean' }],
        },
      },
    ]);
    const r = await cli(['run', '--cases', cases], tmp.path);
    expect(r.exitCode).toBe(EXIT.unreadable);
    expect(r.stderr.trim()).toMatch(
      /^lwt-regress: case gone runs .*not-built\.exe, which does not exist\. Build it first/,
    );
  });

  it('dune missing: exit 8 naming the Debian package', async () => {
    const bin = at('bin-without-dune');
    await mkdir(bin, { recursive: true });
    for (const tool of [
      'ocamlfind',
      'ocamlopt',
      'ocamlopt.opt',
      'ocamlc',
      'ocamldep',
      'gcc',
      'cc',
      'as',
      'ld',
      'sh',
      'gdb',
    ]) {
      const found = await execa('sh', ['-c', 'command -v "$0"', tool], { reject: false });
      if (found.exitCode === 0) await execa('ln', ['-s', found.stdout.trim(), join(bin, tool)]);
    }
    const r = await runCli(['run', '--artifacts', at('a3')], {
      cwd: example,
      env: { ...env, PATH: bin, HOME: tmp.path },
      extendEnv: false,
    });
    expect(r.exitCode).toBe(EXIT.toolchain);
    expect(r.stderr.trim()).toMatch(/dune is not installed.*apt-get install ocaml-dune/);
  });
});
