/**
 * Every source of Lwt with the compilers the tests built (OCaml 4.14.1 and
 * 5.3.0, through --ocaml): a source tree, its regressed twin, a local opam
 * repository and a git repository, as test/harness.test.ts does with the
 * compiler on PATH; lwt.unix's cases with the ocplib-endian `npm run ocaml`
 * installs. A built compiler has no installed Lwt.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import {
  makeGitRepository,
  makeOpamRepository,
  makeRegressedTree,
  makeSourceTree,
  patchTree,
  regressMutexUnlock,
} from '../src/fixtures/lwt-fixtures.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { runCli } from './support/cli.js';
import { SUITE_COMPILERS } from './support/compilers.js';

const compilers = inject('compilers');
let tmp: Awaited<ReturnType<typeof dir>>;
let pristine: string;
let regressed: string;
let withoutPervasives: string;
let opamRoot: string;
let repo: string;
let history: string;
let regression: string;
const at = (...parts: string[]) => join(tmp.path, ...parts);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-compiler-sources-' });
  pristine = await makeSourceTree(at('lwt-5.6.1'), '5.6.1');
  regressed = await makeRegressedTree(at('lwt-5.6.1-regressed'));
  // Old Lwt (2.x) uses modules OCaml 5 removed; this tree does too, in one line.
  withoutPervasives = await makeSourceTree(at('lwt-5.6.1-pervasives'), '5.6.1');
  await patchTree(withoutPervasives, 'lwt_mutex.ml', 'let unlock m =', 'let _ = Pervasives.compare\nlet unlock m =');
  ({ root: opamRoot } = await makeOpamRepository(at('opam'), [{ version: '5.6.1', tree: regressed }]));
  repo = at('lwt-git');
  await makeGitRepository(repo, [
    { message: 'release', tag: 'v-good', apply: async (t) => void (await makeSourceTree(t, '5.6.1')) },
  ]);
  history = at('lwt-history');
  [, , regression] = (await makeGitRepository(history, [
    { message: 'release', tag: 'v-good', apply: async (t) => void (await makeSourceTree(t, '5.6.1')) },
    { message: 'touch', apply: (t) => patchTree(t, 'lwt_switch.ml', '(*', '(* touched *)\n(*') },
    { message: 'Lwt_mutex.unlock: wake the next waiter at once', tag: 'v-bad', apply: regressMutexUnlock },
  ])) as [string, string, string];
}, 300_000);
afterAll(() => tmp.cleanup());

describe.each(SUITE_COMPILERS)('OCaml %s through --ocaml', (version) => {
  const prefix = compilers[version];
  const fibers = version.startsWith('5.');
  // A cache per compiler: real builds, and a second run that builds nothing.
  const run = async (args: string[]) => {
    const r = await runCli(['run', '--json', '--ocaml', prefix!, '--artifacts', at('artifacts', version), ...args], {
      env: { LWT_REGRESS_CACHE: at('cache', version) },
      cwd: tmp.path,
    });
    const results: ProbeResult[] = r.stdout.startsWith('{') ? JSON.parse(r.stdout).results : [];
    return { ...r, results, byCase: (name: string) => results.find((x) => x.case === name)! };
  };

  it.skipIf(!prefix)('a source tree: built from source with this compiler; every report names it', async () => {
    const r = await run(['--lwt-src', pristine, '--case', 'mutex-unlock-storm,wakeup-chain']);
    expect(r.exitCode).toBe(EXIT.ok);
    expect(r.results.map((x) => [x.case, x.status, x.ocaml, x.lwt.origin])).toEqual([
      ['mutex-unlock-storm', 'pass', version, 'dir'],
      ['wakeup-chain', 'pass', version, 'dir'],
    ]);
    const chain = r.byCase('wakeup-chain');
    expect(chain.observed).toMatchObject({
      outcome: 'cycle',
      ...(fibers ? { handling: 'caught-by-lwt' } : {}),
      frames: expect.arrayContaining(['Lwt.resolve', 'Lwt.run_in_resolution_loop', 'Lwt.iter_callback_list']),
    });
    // OCaml 5's core comes from gdb stopped at the raise; OCaml 4's from the kernel, or gdb where cores are piped.
    expect(chain.capture).toMatch(fibers ? /^gdb$/ : /^(kernel|gdb)$/);
    expect(chain.reproduce).toContain(`--ocaml ${prefix}`);
    const again = await run(['--lwt-src', pristine, '--case', 'mutex-unlock-storm,wakeup-chain']);
    expect(again.results.map((x) => x.cached)).toEqual([
      { lwt: true, case: true },
      { lwt: true, case: true },
    ]);
  });

  it.skipIf(!prefix)(
    'lwt.unix builds with the ocplib-endian npm run ocaml installed; the Lwt_main cases are judged',
    async () => {
      const r = await run(['--lwt-src', pristine, '--case', 'mutex-server,io-map-tower']);
      expect(r.exitCode, r.stderr).toBe(EXIT.ok);
      expect(r.byCase('mutex-server')).toMatchObject({
        status: 'pass',
        ocaml: version,
        observed: { outcome: 'clean' },
      });
      // Its own last line, not gdb's (lwt.unix's worker threads make gdb print more after it).
      expect(r.byCase('mutex-server').observed!.summary).toBe('clean: 100000 clients served, 100000 bytes arrived');
      const tower = r.byCase('io-map-tower');
      expect(tower).toMatchObject({
        status: 'pass',
        observed: { outcome: 'cycle', ...(fibers ? { handling: 'uncaught' } : {}) },
      });
      expect(tower.observed!.frames).toEqual(expect.arrayContaining(['Lwt.resolve', 'Lwt.run_in_resolution_loop']));
      expect(tower.observed!.depth).toBeGreaterThan(1000);
      // lwt.unix links bigarray where the compiler has that package (4.x), never on OCaml 5, which removed it.
      const cache = at('cache', version, 'lwt');
      const metas = await Promise.all(
        (await readdir(cache))
          .filter((e) => !e.includes('.'))
          .map((e) => readFile(join(cache, e, 'lib', 'lwt', 'META'), 'utf8')),
      );
      const unix = metas
        .map((m) => /package "unix" \([^)]*requires = "([^"]*)"/.exec(m)?.[1])
        .find(Boolean)!
        .split(' ');
      expect(unix).toEqual(expect.arrayContaining(['lwt', 'unix', 'ocplib-endian.bigstring']));
      if (fibers) expect(unix).not.toContain('bigarray');
      else expect(unix).toContain('bigarray');
    },
  );

  it.skipIf(!prefix)('the regressed tree fails mutex-server under Lwt_main, with its cycle', async () => {
    // On OCaml 5, Lwt catches the overflow and the server then waits for ever: a short time limit ends it.
    const r = await run(['--lwt-src', regressed, '--lwt', '5.6.1', '--case', 'mutex-server', '--timeout', '10']);
    expect(r.exitCode).toBe(EXIT.failed);
    expect(r.byCase('mutex-server')).toMatchObject({
      status: 'fail',
      observed: {
        outcome: 'cycle',
        frames: expect.arrayContaining(['Lwt.resolve', 'Lwt.run_in_resolution_loop']),
        ...(fibers ? { handling: 'caught-by-lwt' } : {}),
      },
    });
    expect(r.byCase('mutex-server').observed!.entry).toContain('lwt_libev_loop');
  });

  it.skipIf(!prefix)(
    'the regressed tree fails mutex-unlock-storm with the cycle through the resolution loop',
    async () => {
      const r = await run(['--lwt-src', regressed, '--lwt', '5.6.1', '--case', 'mutex-unlock-storm']);
      expect(r.exitCode).toBe(EXIT.failed);
      expect(r.byCase('mutex-unlock-storm')).toMatchObject({
        status: 'fail',
        observed: { outcome: 'cycle', frames: expect.arrayContaining(['Lwt.resolve', 'Lwt.run_in_resolution_loop']) },
      });
    },
  );

  it.skipIf(!prefix)('opam: the regressed tree fetched from a local repository', async () => {
    const r = await run(['--lwt', 'opam:5.6.1', '--opam-root', opamRoot, '--case', 'mutex-unlock-storm']);
    expect(r.byCase('mutex-unlock-storm')).toMatchObject({
      status: 'fail',
      ocaml: version,
      lwt: { origin: 'opam', version: '5.6.1' },
      observed: { outcome: 'cycle' },
    });
  });

  it.skipIf(!prefix)('git: a tag of a local repository', async () => {
    const r = await run(['--lwt-git', repo, '--lwt', 'v-good', '--case', 'mutex-unlock-storm,wakeup-chain']);
    expect(r.exitCode).toBe(EXIT.ok);
    expect(r.results.map((x) => [x.status, x.lwt.origin])).toEqual([
      ['pass', 'git'],
      ['pass', 'git'],
    ]);
  });

  it.skipIf(!prefix)('gate: the regressed tree is blocked, and the reports name the compiler', async () => {
    const md = at(`gate-${version}.md`);
    const r = await runCli(
      [
        ...['gate', '--json', '--ocaml', prefix!, '--artifacts', at('artifacts', version), '--markdown', md],
        ...['--baseline-src', pristine, '--baseline', '5.6.1', '--candidate-src', regressed, '--candidate', '5.6.1'],
        ...['--case', 'mutex-unlock-storm'],
      ],
      { env: { LWT_REGRESS_CACHE: at('cache', version) }, cwd: tmp.path },
    );
    expect(r.exitCode).toBe(EXIT.failed);
    const outcome = JSON.parse(r.stdout);
    expect(outcome).toMatchObject({ verdict: 'blocked', ocaml: version });
    expect(outcome.rows[0]).toMatchObject({ transition: 'regressed', candidate: { ocaml: version } });
    expect(await readFile(md, 'utf8')).toContain(`on OCaml ${version}`);
  });

  it.skipIf(!prefix)('bisect --commits: every probe builds with this compiler, and finds the regression', async () => {
    const r = await runCli(
      [
        ...['bisect', '--commits', '--json', '--ocaml', prefix!, '--artifacts', at('artifacts', version)],
        ...['--lwt-git', history, '--case', 'mutex-unlock-storm', '--good', 'v-good', '--bad', 'v-bad'],
      ],
      { env: { LWT_REGRESS_CACHE: at('cache', version) }, cwd: tmp.path },
    );
    expect(r.exitCode, r.stderr).toBe(EXIT.ok);
    const outcome = JSON.parse(r.stdout);
    expect(outcome).toMatchObject({ kind: 'found', ocaml: version, firstBad: { commit: regression } });
    expect(outcome.reproduce).toContain(`--ocaml ${prefix}`);
  });

  it.skipIf(!prefix)('a built compiler has no installed Lwt: one line that says so', async () => {
    const r = await run(['--lwt', 'installed']);
    expect(r.exitCode).toBe(EXIT.usage);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`no findlib package lwt for --ocaml ${prefix}`));
  });

  it.skipIf(!prefix)(
    fibers
      ? 'a tree using what OCaml 5 removed is untestable, with the first compiler error'
      : 'a tree using Pervasives builds',
    async () => {
      const r = await run(['--lwt-src', withoutPervasives, '--case', 'wakeup-later-chain']);
      if (!fibers) {
        expect(r.byCase('wakeup-later-chain').status).toBe('pass');
        return;
      }
      expect(r.exitCode).toBe(EXIT.untestable);
      expect(r.byCase('wakeup-later-chain')).toMatchObject({ status: 'untestable' });
      expect(r.byCase('wakeup-later-chain').reason).toMatch(
        /does not build: lwt_mutex\.ml: File "lwt_mutex\.ml", line \d+.*Error: Unbound module "?Pervasives"?/,
      );
    },
  );

  it.skipIf(!prefix)(
    "a tree in Lwt 2.x's camlp4 syntax is untestable, naming camlp4's own compiler, on every run",
    async () => {
      // Debian's camlp4 belongs to its 4.13.1: it cannot expand sources for another compiler.
      const tree = await makeSourceTree(at(`lwt-camlp4-${version}`), '5.6.1');
      await mkdir(join(tree, 'syntax'));
      await writeFile(join(tree, 'syntax', 'pa_lwt.ml'), 'open Camlp4.PreCast\n');
      await patchTree(tree, 'lwt_switch.ml', '(*', 'let _fixture () = (fixture_let y = 1 in y) + 1\n(*');
      const r = await run(['--lwt-src', tree, '--case', 'wakeup-chain']);
      expect(r.exitCode).toBe(EXIT.untestable);
      const reason = r.byCase('wakeup-chain').reason;
      expect(reason).toMatch(
        new RegExp(
          `in Lwt's camlp4 syntax, and the camlp4 .* does not work with OCaml ${version.replace(/\./g, '\\.')}`,
        ),
      );
      expect(reason).toMatch(/has a camlp4 of its own/);
      const again = await run(['--lwt-src', tree, '--case', 'wakeup-chain']);
      expect(again.byCase('wakeup-chain')).toMatchObject({ status: 'untestable', reason });
    },
  );
});
