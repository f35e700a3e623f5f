import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { joined } from './support/regex.js';

let tmp: Awaited<ReturnType<typeof dir>>;
let env: Record<string, string>;
let pristine: string;
let regressed: string;
const at = (...parts: string[]) => join(tmp.path, ...parts);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-harness-' });
  // A cache of its own: these tests must see real builds, and must not reuse the user's.
  env = { LWT_REGRESS_CACHE: at('cache') };
  pristine = await makeSourceTree(at('lwt-5.6.1'), '5.6.1');
  regressed = await makeRegressedTree(at('lwt-5.6.1-regressed'));
});
afterAll(() => tmp.cleanup());

async function run(args: string[], extraEnv: Record<string, string> = {}) {
  const r = await runCli(['run', '--json', '--artifacts', at('artifacts'), ...args], {
    env: { ...env, ...extraEnv },
    cwd: tmp.path,
  });
  const results: ProbeResult[] = r.stdout.startsWith('{') ? JSON.parse(r.stdout).results : [];
  const byCase = (name: string) => results.find((x) => x.case === name)!;
  return { ...r, results, byCase };
}

function expectOneLineError(r: { stderr: string }, pattern: RegExp) {
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^lwt-regress: /);
  expect(lines[0]).toMatch(pattern);
}

describe('the installed Lwt (Debian 5.6.1)', () => {
  it('wakeup-chain shows its cycle, mutex-unlock-storm and wakeup-later-chain are clean', async () => {
    const r = await run(['--lwt', 'installed', '--case', 'wakeup-chain,mutex-unlock-storm,wakeup-later-chain']);
    expect(r.exitCode).toBe(EXIT.ok);
    expect(r.results.map((x) => [x.case, x.status, x.lwt.origin])).toEqual([
      ['wakeup-chain', 'pass', 'installed'],
      ['mutex-unlock-storm', 'pass', 'installed'],
      ['wakeup-later-chain', 'pass', 'installed'],
    ]);
    const chain = r.byCase('wakeup-chain').observed!;
    expect(chain.outcome).toBe('cycle');
    expect(chain.frames).toEqual(
      expect.arrayContaining(['Lwt.resolve', 'Lwt.run_in_resolution_loop', 'Lwt.iter_callback_list']),
    );
    expect(chain.depth).toBeGreaterThan(1000);
    expect(r.byCase('mutex-unlock-storm').observed!.outcome).toBe('clean');
    expect(r.byCase('wakeup-later-chain').observed!.outcome).toBe('clean');
  });

  it('captures through gdb when asked to', async () => {
    const r = await run(['--lwt', 'installed', '--case', 'wakeup-chain', '--capture', 'gdb']);
    expect(r.exitCode).toBe(EXIT.ok);
    expect(r.byCase('wakeup-chain')).toMatchObject({ status: 'pass', capture: 'gdb', observed: { outcome: 'cycle' } });
  });
});

describe('a real regression: Lwt_mutex.unlock changed back to Lwt.wakeup (the 2.3.0 behaviour)', () => {
  it("crashes mutex-unlock-storm through Lwt's resolution loop, fails it, and keeps the evidence", async () => {
    const r = await run(['--lwt-src', regressed, '--lwt', '5.6.1', '--case', 'mutex-unlock-storm,wakeup-later-chain']);
    expect(r.exitCode).toBe(EXIT.failed);
    const storm = r.byCase('mutex-unlock-storm');
    expect(storm.status).toBe('fail');
    expect(storm.lwt.origin).toBe('dir');
    expect(storm.expected!.outcome).toBe('clean');
    expect(storm.observed!.outcome).toBe('cycle');
    expect(storm.observed!.frames).toEqual(expect.arrayContaining(['Lwt.resolve', 'Lwt.run_in_resolution_loop']));
    expect(storm.reason).toMatch(/expected a clean run, observed cycle of \d+ × [\d,]+/);
    expect(r.byCase('wakeup-later-chain').status).toBe('pass');
    // Failing runs keep binary, core and log; the kept core analyzes on its own.
    for (const f of ['case', 'core', 'log.txt']) await access(join(storm.artifacts!, f));
    expect(await readFile(join(storm.artifacts!, 'log.txt'), 'utf8')).toMatch(
      /reproduce: lwt-regress run --lwt-src .* --lwt 5\.6\.1 --case mutex-unlock-storm/,
    );
    const analyzed = await runCli([
      'analyze',
      join(storm.artifacts!, 'case'),
      join(storm.artifacts!, 'core'),
      '--json',
    ]);
    expect(JSON.parse(analyzed.stdout).verdict).toBe('stack-overflow-with-cycle');
  });

  it('the pristine tree from the same sources passes, built from source', async () => {
    const r = await run(['--lwt-src', pristine, '--case', 'mutex-unlock-storm,wakeup-chain']);
    expect(r.exitCode).toBe(EXIT.ok);
    expect(r.results.map((x) => [x.lwt.version, x.status])).toEqual([
      ['5.6.1', 'pass'],
      ['5.6.1', 'pass'],
    ]);
  });
});

describe('Lwt from opam, for real, against a local file:// repository', () => {
  let root: string;
  beforeAll(async () => {
    ({ root } = await makeOpamRepository(at('opam'), [{ version: '5.6.1', tree: regressed }]));
  });

  it('fetches with opam source and builds the tree it got', async () => {
    const r = await run(['--lwt', 'opam:5.6.1', '--opam-root', root, '--case', 'mutex-unlock-storm']);
    expect(r.byCase('mutex-unlock-storm')).toMatchObject({
      status: 'fail',
      lwt: { origin: 'opam', version: '5.6.1' },
      observed: { outcome: 'cycle' },
    });
    expect(r.exitCode).toBe(EXIT.failed);
  });

  it('a plain version prefers the installed Lwt over opam', async () => {
    const r = await run(['--lwt', '5.6.1', '--opam-root', root, '--case', 'mutex-unlock-storm']);
    expect(r.byCase('mutex-unlock-storm')).toMatchObject({ status: 'pass', lwt: { origin: 'installed' } });
  });

  it("--switch builds with the switch's toolchain through opam exec, and a missing switch is one line", async () => {
    const r = await runCli(
      ['run', '--switch', 'fixture', '--opam-root', root, '--lwt', 'installed', '--case', 'wakeup-chain'],
      { env, cwd: tmp.path },
    );
    expect(r.exitCode).toBe(EXIT.ok);
    expect(r.stderr).toMatch(/OCaml 4\.\d+\.\d+ \(opam switch fixture\)/);
    const missing = await run(['--switch', 'nosuch', '--opam-root', root, '--lwt', 'installed']);
    expect(missing.exitCode).toBe(EXIT.toolchain);
    expectOneLineError(missing, /opam switch nosuch cannot run ocamlfind ocamlopt: .*nosuch.*Check the switch exists/);
  });

  it('a version the repository lacks gets one line listing what was tried', async () => {
    const r = await run(['--lwt', 'opam:9.9.9', '--opam-root', root]);
    expect(r.exitCode).toBe(EXIT.usage);
    expectOneLineError(
      r,
      joined(
        /Lwt opam:9\.9\.9 could not be found: /,
        /opam \(root .*\): No package matching lwt\.9\.9\.9 found\. \(it knows lwt 5\.6\.1\)/,
      ),
    );
    // Without a network, the upstream repository cannot say whether 9.9.9 exists:
    // a fetch failure (11), not a usage error.
    const plain = await run(['--lwt', '9.9.9', '--opam-root', root]);
    expect(plain.exitCode).toBe(EXIT.network);
    expectOneLineError(
      plain,
      joined(
        /could not be found here, and fetching it failed: installed: Lwt 5\.6\.1, not 9\.9\.9; /,
        /opam .*No package matching lwt\.9\.9\.9.*; /,
        /git: cannot clone https:\/\/github\.com\/ocsigen\/lwt\.git.*Check the network/,
      ),
    );
  });
});

describe('Lwt from a git repository', () => {
  let repo: string;
  let commits: string[];
  beforeAll(async () => {
    repo = at('lwt.git-work');
    commits = await makeGitRepository(repo, [
      { message: 'Lwt 5.6.1', tag: '5.6.1', apply: async (t) => void (await makeSourceTree(t, '5.6.1')) },
      { message: 'Lwt_mutex.unlock: wake the next waiter at once', apply: regressMutexUnlock },
    ]);
  });

  it('builds a tag and a commit', async () => {
    const tag = await run(['--lwt-git', repo, '--lwt', '5.6.1', '--case', 'mutex-unlock-storm']);
    expect(tag.byCase('mutex-unlock-storm')).toMatchObject({
      status: 'pass',
      lwt: { origin: 'git', commit: commits[0] },
    });
    const head = await run(['--lwt-git', repo, '--lwt', commits[1]!, '--case', 'mutex-unlock-storm']);
    expect(head.byCase('mutex-unlock-storm')).toMatchObject({
      status: 'fail',
      lwt: { origin: 'git', version: '5.6.1', commit: commits[1] },
    });
  });

  it('a missing tag is one clear line', async () => {
    const r = await run(['--lwt-git', repo, '--lwt', '7.7.7']);
    expect(r.exitCode).toBe(EXIT.usage);
    expectOneLineError(r, /Lwt 7\.7\.7 could not be found: git: .* has no tag or commit '7\.7\.7'/);
  });
});

describe('builds', () => {
  it('are cached: a second run rebuilds neither Lwt nor the cases', async () => {
    const cache = { LWT_REGRESS_CACHE: at('cache-warm') };
    const cold = await run(['--lwt-src', pristine, '--case', 'wakeup-chain,seq-of-list'], cache);
    expect(cold.results.map((x) => x.cached)).toEqual([
      { lwt: false, case: false },
      { lwt: false, case: false },
    ]);
    const warm = await run(['--lwt-src', pristine, '--case', 'wakeup-chain,seq-of-list'], cache);
    expect(warm.results.map((x) => x.cached)).toEqual([
      { lwt: true, case: true },
      { lwt: true, case: true },
    ]);
    expect(warm.results.map((x) => x.status)).toEqual(['pass', 'pass']);
  });

  it("a tree that does not compile is untestable, with the compiler's first error, never pass or fail", async () => {
    const broken = await makeSourceTree(at('lwt-broken'), '5.6.1');
    await patchTree(broken, 'lwt_mutex.ml', 'let unlock m =', 'let unlock m = undefined_value_here;');
    const r = await run(['--lwt-src', broken, '--case', 'mutex-unlock-storm,wakeup-chain']);
    expect(r.exitCode).toBe(EXIT.untestable);
    for (const x of r.results) {
      expect(x.status).toBe('untestable');
      expect(x.reason).toMatch(
        /does not build: lwt_mutex\.ml: File "lwt_mutex\.ml", line \d+.*Error: Unbound value undefined_value_here/,
      );
    }
  });

  it('a case that needs a newer Lwt API is not applicable', async () => {
    const old = await makeSourceTree(at('lwt-as-2.3.0'), '2.3.0');
    const r = await run(['--lwt-src', old, '--case', 'seq-of-list']);
    expect(r.byCase('seq-of-list')).toMatchObject({ status: 'not-applicable', reason: 'needs Lwt >=5.5.0' });
    expect(r.exitCode).toBe(EXIT.ok);
  });
});

describe('bad input', () => {
  it.each([
    [
      ['--case', 'nope'],
      /unknown case 'nope'\. Known cases: io-map-tower, list-map-s, map-tower, mutex-server, mutex-unlock-storm/,
    ],
    [['--stack', '0'], /--stack must be a positive integer, not '0'/],
    [['--stack', 'big'], /--stack must be a positive integer, not 'big'/],
    [['--stack', '10'], /--stack 10 is too small/],
    [['--capture', 'magic'], /--capture must be kernel, gdb or auto/],
    [['--lwt', 'not-a-version'], /--lwt not-a-version is neither a version, 'installed', nor/],
    [['--lwt-src', '/nonexistent/lwt'], /--lwt-src \/nonexistent\/lwt is not a directory/],
  ])('%j is one line naming the fix, exit 2', async (args, message) => {
    const r = await run(args);
    expect(r.exitCode).toBe(EXIT.usage);
    expectOneLineError(r, message);
  });

  it('a missing toolchain', async () => {
    const empty = at('empty-bin');
    await mkdir(empty, { recursive: true });
    await writeFile(join(empty, 'README'), 'no tools here');
    const r = await runCli(['run', '--lwt', 'installed'], { env: { PATH: empty, HOME: tmp.path }, extendEnv: false });
    expect(r.exitCode).toBe(EXIT.toolchain);
    expectOneLineError(r, /ocamlfind is not installed \(not found on PATH\)\. Install OCaml and findlib/);
  });
});
