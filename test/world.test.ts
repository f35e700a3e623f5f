/**
 * The world follows Lwt: the findlib packages a case links that depend on
 * Lwt are rebuilt against the Lwt under test (src/world/), so that a dune
 * service linking lwt_react, lwt_log and logs.lwt is judged on a regressed Lwt
 * tree instead of failing to link. The pure part (which packages, in which
 * order), the dune stanzas read, then for real: a service made here, Debian's
 * Lwt 5.6.1 tree (whose own lwt_react is rebuilt from it), Debian's lwt-log
 * (dune) and ocaml-logs (topkg), rebuilt from their Debian source packages,
 * which ./setup downloads.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import {
  LWT_TARBALL,
  makeCommitHistory,
  makeLwtService,
  makeOpamRepository,
  makeRegressedTree,
  makeSourceTree,
  patchTree,
} from '../src/fixtures/lwt-fixtures.js';
import { projectRoot } from '../src/paths.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { lwtDependents } from '../src/world/dependents.js';
import { duneLibraries } from '../src/world/dune-libraries.js';
import { runCli } from './support/cli.js';
import { joined } from './support/regex.js';

let tmp: Awaited<ReturnType<typeof dir>>;
const at = (...parts: string[]) => join(tmp.path, ...parts);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-world-' });
});
afterAll(() => tmp.cleanup());

describe('which packages are rebuilt against the Lwt under test', () => {
  const graph = new Map<string, string[]>([
    ['lwt', []],
    ['lwt.unix', ['lwt', 'unix']],
    ['react', []],
    ['lwt_react', ['lwt', 'react']],
    ['logs', []],
    ['logs.fmt', ['logs', 'fmt']],
    ['logs.lwt', ['logs', 'lwt']],
    ['fmt', []],
    ['conduit-lwt', ['lwt', 'conduit']],
    ['conduit', []],
    ['cohttp-lwt', ['conduit-lwt', 'cohttp']],
    ['cohttp', []],
  ]);

  it('those that reach Lwt, by their top-level name, each after the ones it requires; not Lwt nor the others', () => {
    expect(lwtDependents(graph, ['lwt.unix', 'react', 'fmt'])).toEqual([]);
    expect(lwtDependents(graph, ['lwt_react', 'lwt.unix'])).toEqual(['lwt_react']);
    expect(lwtDependents(graph, ['logs.fmt'])).toEqual([]);
    expect(lwtDependents(graph, ['logs.lwt', 'logs.fmt'])).toEqual(['logs']);
    expect(lwtDependents(graph, ['cohttp-lwt'])).toEqual(['conduit-lwt', 'cohttp-lwt']);
    expect(lwtDependents(graph, ['cohttp-lwt', 'conduit-lwt'])).toEqual(['conduit-lwt', 'cohttp-lwt']);
  });

  it('survives a cycle and packages it does not know', () => {
    const cyclic = new Map([
      ['a', ['b', 'lwt']],
      ['b', ['a']],
    ]);
    expect(lwtDependents(cyclic, ['b', 'unknown'])).toEqual(['a', 'b']);
  });

  it("reads the libraries of a dune project's stanzas, not its comments nor its build directory", async () => {
    const project = at('stanzas');
    await mkdir(join(project, 'lib'), { recursive: true });
    await mkdir(join(project, '_build', 'default'), { recursive: true });
    await writeFile(
      join(project, 'lib', 'dune'),
      '; (libraries commented.out)\n(library (name mine)\n (libraries lwt.unix\n  lwt_react (re_export logs.lwt)))\n',
    );
    await writeFile(join(project, '_build', 'default', 'dune'), '(executable (name x) (libraries stale))\n');
    expect(await duneLibraries(project)).toEqual(['logs.lwt', 'lwt.unix', 'lwt_react', 're_export']);
  });
});

describe('a dune service that links lwt_react, lwt_log and logs.lwt', () => {
  let service: string;
  let env: Record<string, string>;
  const run = (args: string[]) => runCli(['run', '--json', ...args], { cwd: service, env });
  const probe = (stdout: string) => (JSON.parse(stdout) as { results: ProbeResult[] }).results[0]!;

  beforeAll(async () => {
    service = await makeLwtService(at('service'));
    env = { LWT_REGRESS_CACHE: at('cache') };
  }, 60_000);

  it('passes on the installed Lwt, which needs nothing rebuilt', async () => {
    const r = await run([]);
    expect(r.exitCode, r.stderr).toBe(EXIT.ok);
    expect(probe(r.stdout)).toMatchObject({ status: 'pass', observed: { outcome: 'clean' } });
  });

  it('fails with its cycle on a regressed tree; lwt_react from the tree, lwt_log and logs from Debian', async () => {
    const regressed = await makeRegressedTree(at('regressed'));
    const r = await runCli(['run', '--lwt-src', regressed], { cwd: service, env: { ...env, COLUMNS: '1000' } });
    expect(r.exitCode, r.stderr).toBe(EXIT.failed);
    expect(r.stderr).toMatch(
      /rebuilding lwt_react against Lwt 5\.6\.1 \(dir .*\), from the Lwt tree .* \(src\/react\)/,
    );
    expect(r.stderr).toMatch(/rebuilding lwt_log against Lwt 5\.6\.1 \(dir .*\), from Debian's lwt-log source package/);
    // logs is built with topkg (pkg/pkg.ml), its lwt part switched on because findlib finds the Lwt under test.
    expect(r.stderr).toMatch(/rebuilding logs against Lwt 5\.6\.1 \(dir .*\), from Debian's ocaml-logs source package/);
    expect(r.stdout).toMatch(/storm +FAIL +clean +cycle/);
    const again = await run(['--lwt-src', regressed]);
    expect(again.exitCode).toBe(EXIT.failed);
    expect(probe(again.stdout).observed?.frames).toEqual(expect.arrayContaining(['Lwt.wakeup_general']));
    const quietly = await runCli(['run', '--lwt-src', regressed], { cwd: service, env });
    expect(quietly.stderr).not.toMatch(/rebuilding/);
  });

  it('blocks the gate to the regressed tree, and a commit bisect over a history names the regression', async () => {
    const regressed = await makeRegressedTree(at('regressed-gate'));
    const gate = await runCli(
      ['gate', '--baseline', 'installed', '--candidate-src', regressed, '--candidate', '5.6.1'],
      {
        cwd: service,
        env,
      },
    );
    expect(gate.exitCode, gate.stderr).toBe(EXIT.failed);
    expect(gate.stdout).toMatch(/^ {2}storm: regressed: clean on 5\.6\.1, crashes on 5\.6\.1 \(dir .*\): cycle of/m);
    const history = at('history');
    const commits = await makeCommitHistory(history);
    const bisect = await runCli(
      ['bisect', '--commits', '--json', '--lwt-git', history, '--case', 'storm', '--good', 'v-good', '--bad', 'v-bad'],
      { cwd: service, env },
    );
    expect(bisect.exitCode, bisect.stderr).toBe(EXIT.ok);
    expect((JSON.parse(bisect.stdout) as { firstBad: { commit: string } }).firstBad.commit).toBe(commits[4]);
  });

  it("gives the world's environment, in which the service's own build links the rebuilt libraries", async () => {
    const regressed = await makeRegressedTree(at('regressed-env'));
    const printed = await runCli(['env', '--lwt-src', regressed, '--shell', '--quiet'], { cwd: service, env });
    expect(printed.exitCode, printed.stderr).toBe(EXIT.ok);
    expect(printed.stdout).toMatch(
      joined(
        /^export OCAMLPATH=.*\/world\/lwt_react-[0-9a-f]+\/lib:/m,
        /.*\/world\/lwt_log-[0-9a-f]+\/lib:.*\/lwt\/[0-9a-f]+\/lib$/,
      ),
    );
    const built = await execa('sh', ['-c', `${printed.stdout}\ndune build --build-dir _build_candidate 2>&1`], {
      cwd: service,
      reject: false,
    });
    expect(built.exitCode, built.stdout).toBe(0);
    const checked = await runCli(['check', '--', './_build_candidate/default/bin/storm.exe', '100000'], {
      cwd: service,
      env,
    });
    expect(checked.exitCode, checked.stdout).toBe(EXIT.failed);
    expect(checked.stdout).toMatch(/^FAIL: expected a clean run, observed cycle of/m);
  });

  it("rebuilds a package from the project's own sources, named in lwt-regress.json, before Debian's", async () => {
    // The project keeps its own copy of lwt_log (Debian's, unpacked), outside the service's dune project.
    const vendor = at('vendor');
    await mkdir(vendor, { recursive: true });
    await execa('tar', [
      'xzf',
      join(projectRoot(), 'test', 'fixtures', 'debian', 'lwt-log_1.1.2.orig.tar.gz'),
      '-C',
      vendor,
    ]);
    const project = await makeLwtService(at('service-with-sources'));
    await writeFile(
      join(project, 'lwt-regress.json'),
      JSON.stringify({ cases: ['cases'], sources: { lwt_log: '../vendor/lwt_log-1.1.2' } }),
    );
    const regressed = await makeRegressedTree(at('regressed-sources'));
    const r = await runCli(['run', '--lwt-src', regressed], { cwd: project, env });
    expect(r.exitCode, r.stderr).toBe(EXIT.failed);
    expect(r.stderr).toMatch(
      /rebuilding lwt_log against Lwt 5\.6\.1 \(dir .*\), from the project's sources \(.*\/vendor\/lwt_log-1\.1\.2\)/,
    );
  });

  it("rebuilds a package from the user's opam repositories, at its installed version, before Debian's", async () => {
    // A local opam repository with lwt_log.1.1.2, the version Debian installed (its META says only "dev").
    const unpacked = at('opam-lwt_log');
    await mkdir(unpacked, { recursive: true });
    await execa('tar', [
      'xzf',
      join(projectRoot(), 'test', 'fixtures', 'debian', 'lwt-log_1.1.2.orig.tar.gz'),
      '-C',
      unpacked,
    ]);
    const { root } = await makeOpamRepository(at('opam'), [
      { name: 'lwt_log', version: '1.1.2', tree: join(unpacked, 'lwt_log-1.1.2') },
    ]);
    const regressed = await makeRegressedTree(at('regressed-opam'));
    // A cache of its own: the other tests' rebuilt logs would be reused, and its source never asked for.
    const r = await runCli(['run', '--lwt-src', regressed, '--opam-root', root], {
      cwd: service,
      env: { ...env, LWT_REGRESS_CACHE: at('cache-opam') },
    });
    expect(r.exitCode, r.stderr).toBe(EXIT.failed);
    expect(r.stderr).toMatch(
      /rebuilding lwt_log against Lwt 5\.6\.1 \(dir .*\), from opam source lwt_log\.1\.1\.2 \(root /,
    );
    // The repository has no logs: Debian's source package, as without an opam root.
    expect(r.stderr).toMatch(/rebuilding logs against .*, from Debian's ocaml-logs source package/);
  });

  it('is untestable when no source of a dependent is found, saying where it looked and how to get one', async () => {
    // A package installed by hand into a findlib directory on OCAMLPATH, built on Lwt: no Lwt tree,
    // project, opam repository nor Debian package has its source.
    const findlib = at('handmade-findlib');
    await mkdir(join(findlib, 'handmade'), { recursive: true });
    await writeFile(join(findlib, 'handmade', 'META'), 'version = "1.0"\nrequires = "lwt"\n');
    const project = await makeLwtService(at('service-handmade'));
    await writeFile(
      join(project, 'bin', 'dune'),
      '(executable (name storm) (libraries lwt.unix lwt_react handmade))\n',
    );
    const { root } = await makeOpamRepository(at('opam-empty'), []);
    const regressed = await makeRegressedTree(at('regressed-handmade'));
    const r = await runCli(['run', '--json', '--lwt-src', regressed, '--opam-root', root], {
      cwd: project,
      env: { ...env, OCAMLPATH: findlib },
    });
    expect(r.exitCode, r.stderr).toBe(EXIT.untestable);
    expect(probe(r.stdout)).toMatchObject({ status: 'untestable' });
    expect(probe(r.stdout).reason).toMatch(
      joined(
        /handmade depends on Lwt and must be rebuilt against Lwt 5\.6\.1 \(dir .*\), but no source of it was found /,
        /\(the Lwt tree .* has no handmade\.opam; lwt-regress\.json's "sources" names no directory for handmade; /,
        /opam \(root .*\): .*handmade\.1\.0.*; .*handmade\/META is not from a Debian package\): /,
        /name its source directory in lwt-regress\.json's "sources", give an opam root .*\(--opam-root\)/,
      ),
    );
  });

  it('builds a workspace vendoring Lwt (duniverse/lwt) against the Lwt under test, not the vendored one', async () => {
    const project = await makeLwtService(at('service-duniverse'));
    const duniverse = join(project, 'duniverse');
    await mkdir(duniverse);
    await execa('tar', ['xzf', LWT_TARBALL, '-C', duniverse]);
    await execa('mv', [join(duniverse, 'lwt-5.6.1'), join(duniverse, 'lwt')]);
    const regressed = await makeRegressedTree(at('regressed-duniverse'));
    // The vendored Lwt is Debian's pristine 5.6.1: had dune built it, the storm would run clean.
    const r = await runCli(['run', '--lwt-src', regressed], { cwd: project, env: { ...env, COLUMNS: '1000' } });
    expect(r.exitCode, r.stderr).toBe(EXIT.failed);
    expect(r.stdout).toMatch(/storm +FAIL +clean +cycle/);
    expect(r.stderr).toMatch(/vendors Lwt \(.*duniverse\/lwt\/lwt\.opam\): dune builds without it/);
    const installed = await runCli(['run', '--json'], { cwd: project, env });
    expect(probe(installed.stdout).status, installed.stderr).toBe('pass');
    // With Lwt the only package of the workspace, dune cannot be told to leave it out: untestable, saying so.
    for (const f of await readdir(join(duniverse, 'lwt')))
      if (f.endsWith('.opam') && f !== 'lwt.opam') await rm(join(duniverse, 'lwt', f));
    const alone = await runCli(['run', '--lwt-src', regressed, '--json'], { cwd: project, env });
    expect(probe(alone.stdout).status).toBe('untestable');
    expect(probe(alone.stdout).reason).toMatch(/vendors Lwt .* and no other package/);
  });

  it('is untestable, naming the package, when a dependent does not build against the Lwt under test', async () => {
    // The Lwt under test no longer exports what lwt_react uses (Lwt_stream.create_with_reference).
    const changed = await makeSourceTree(at('changed'), '5.6.1');
    await patchTree(
      changed,
      'lwt_stream.mli',
      "val create_with_reference : unit -> 'a t * ('a option -> unit) * ('b -> unit)",
      '',
    );
    const r = await run(['--lwt-src', changed]);
    expect(r.exitCode, r.stderr).toBe(EXIT.untestable);
    const result = probe(r.stdout);
    expect(result.status).toBe('untestable');
    expect(result.reason).toMatch(/lwt_react does not build against this Lwt: .*create_with_reference/);
    expect(result.dependent).toEqual({ package: 'lwt_react', problem: 'does-not-build' });
    // The gate's decision names the package, in the console and in the Markdown summary.
    const summary = at('gate-summary.md');
    const gate = await runCli(
      ['gate', '--baseline', 'installed', '--candidate-src', changed, '--candidate', '5.6.1', '--markdown', summary],
      { cwd: service, env },
    );
    expect(gate.exitCode, gate.stderr).toBe(EXIT.untestable);
    expect(gate.stdout).toMatch(
      joined(
        /^NOT FULLY TESTED: Lwt 5\.6\.1 → 5\.6\.1 \(dir .*changed\): /m,
        /lwt_react does not build against Lwt 5\.6\.1 \(dir .*changed\)$/,
      ),
    );
    expect(await readFile(summary, 'utf8')).toMatch(
      /\*\*not fully tested\*\*: lwt\\_react does not build against Lwt 5\.6\.1/,
    );
  });
});
