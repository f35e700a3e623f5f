/**
 * The world follows Lwt: the findlib packages a case links that depend on
 * Lwt are rebuilt against the Lwt under test (src/world/), so that a dune
 * service linking lwt_react and lwt_log is judged on a regressed Lwt tree
 * instead of failing to link. The pure part (which packages, in which order),
 * the dune stanzas read, then for real: a service made here, Debian's Lwt
 * 5.6.1 tree (whose own lwt_react is rebuilt from it) and Debian's lwt-log
 * (rebuilt from its Debian source package, which ./setup downloads).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { makeRegressedTree, makeSourceTree, patchTree } from '../src/fixtures/lwt-fixtures.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { lwtDependents } from '../src/world/dependents.js';
import { duneLibraries } from '../src/world/dune-libraries.js';
import { runCli } from './support/cli.js';

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

/** A dune service of one's own: a mutex storm under Lwt_main, counted by an Lwt_react signal, logging with lwt_log. */
async function makeService(root: string): Promise<string> {
  await mkdir(join(root, 'bin'), { recursive: true });
  await mkdir(join(root, 'cases', 'storm'), { recursive: true });
  await writeFile(join(root, 'dune-project'), '(lang dune 2.0)\n');
  await writeFile(join(root, 'bin', 'dune'), '(executable (name storm) (libraries lwt.unix lwt_react lwt_log))\n');
  await writeFile(
    join(root, 'bin', 'storm.ml'),
    [
      'let () =',
      '  Lwt_log.ign_info "storm";',
      '  let n = int_of_string Sys.argv.(1) in',
      '  let m = Lwt_mutex.create () in',
      '  let e, send = React.E.create () in',
      '  let count = Lwt_react.S.fold (fun c () -> c + 1) 0 e in',
      '  let holder = Lwt.bind (Lwt_mutex.lock m) (fun () ->',
      '    Lwt.bind (Lwt_unix.sleep 0.01) (fun () -> Lwt_mutex.unlock m; Lwt.return ())) in',
      '  let waiter () = Lwt.bind (Lwt_mutex.lock m) (fun () -> send (); Lwt_mutex.unlock m; Lwt.return ()) in',
      '  Lwt_main.run (Lwt.join (holder :: List.init n (fun _ -> waiter ())));',
      '  let c = React.S.value count in',
      '  if c <> n then (Printf.printf "incomplete: %d of %d\\n" c n; exit 3);',
      '  Printf.printf "clean: %d\\n" c',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(root, 'cases', 'storm', 'case.json'),
    JSON.stringify({
      description: 'waiters on one Lwt_mutex, counted by an Lwt_react signal, logging with lwt_log',
      needs: '*',
      size: { default: 100000, meaning: 'waiters' },
      dune: { root: '../..', target: 'bin/storm.exe' },
      expect: [{ lwt: '*', outcome: 'clean' }],
    }),
  );
  await writeFile(join(root, 'lwt-regress.json'), JSON.stringify({ cases: ['cases'] }));
  return root;
}

describe('a dune service that links lwt_react and lwt_log', () => {
  let service: string;
  let env: Record<string, string>;
  const run = (args: string[]) => runCli(['run', '--json', ...args], { cwd: service, env });
  const probe = (stdout: string) => (JSON.parse(stdout) as { results: ProbeResult[] }).results[0]!;

  beforeAll(async () => {
    service = await makeService(at('service'));
    env = { LWT_REGRESS_CACHE: at('cache') };
  }, 60_000);

  it('passes on the installed Lwt, which needs nothing rebuilt', async () => {
    const r = await run([]);
    expect(r.exitCode, r.stderr).toBe(EXIT.ok);
    expect(probe(r.stdout)).toMatchObject({ status: 'pass', observed: { outcome: 'clean' } });
  });

  it('fails with its cycle on a regressed tree: lwt_react from the tree, lwt_log from Debian, built once', async () => {
    const regressed = await makeRegressedTree(at('regressed'));
    const r = await runCli(['run', '--lwt-src', regressed], { cwd: service, env: { ...env, COLUMNS: '1000' } });
    expect(r.exitCode, r.stderr).toBe(EXIT.failed);
    expect(r.stderr).toMatch(
      /rebuilding lwt_react against Lwt 5\.6\.1 \(dir .*\), from the Lwt tree .* \(src\/react\)/,
    );
    expect(r.stderr).toMatch(/rebuilding lwt_log against Lwt 5\.6\.1 \(dir .*\), from Debian's lwt-log source package/);
    expect(r.stdout).toMatch(/storm +FAIL +clean +cycle/);
    const again = await run(['--lwt-src', regressed]);
    expect(again.exitCode).toBe(EXIT.failed);
    expect(probe(again.stdout).observed?.frames).toEqual(expect.arrayContaining(['Lwt.wakeup_general']));
    const quietly = await runCli(['run', '--lwt-src', regressed], { cwd: service, env });
    expect(quietly.stderr).not.toMatch(/rebuilding/);
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
  });
});
