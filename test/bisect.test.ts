import { rm } from 'node:fs/promises';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import {
  SERIES as FIXTURE,
  makeCommitHistory,
  makeGitRepository,
  makeSourceTree,
  makeVersionSeries,
  regressMutexUnlock,
} from '../src/fixtures/lwt-fixtures.js';
import { runCli } from './support/cli.js';

let tmp: Awaited<ReturnType<typeof dir>>;
let env: Record<string, string>;
const at = (name: string) => `${tmp.path}/${name}`;

const SERIES = FIXTURE.count;
const REGRESSES_AT = FIXTURE.regressesAt;
const BROKEN = FIXTURE.broken;
const label = FIXTURE.label;

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-bisect-' });
  env = { LWT_REGRESS_CACHE: at('cache') };
});
afterAll(() => tmp.cleanup());

async function bisect(args: string[]) {
  const r = await runCli(['bisect', '--json', '--artifacts', at('artifacts'), ...args], { env, cwd: tmp.path });
  return { ...r, outcome: r.stdout.startsWith('{') ? JSON.parse(r.stdout) : undefined };
}

function expectOneLineError(r: { stderr: string }, pattern: RegExp) {
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('bisecting versions', () => {
  let root: string;
  beforeAll(async () => {
    // 32 versions from Debian's Lwt 5.6.1 sources: Lwt_mutex.unlock regresses at f20, f15 does not build.
    ({ root } = await makeVersionSeries(tmp.path));
  });

  it('finds the version that brought the crash in ceil(log2 N) + 2 probes, the broken build untestable', async () => {
    const r = await bisect([
      '--case',
      'mutex-unlock-storm',
      '--good',
      label(0),
      '--bad',
      label(SERIES - 1),
      '--opam-root',
      root,
    ]);
    expect(r.exitCode).toBe(EXIT.ok);
    const o = r.outcome;
    expect(o).toMatchObject({
      kind: 'found',
      mode: 'versions',
      firstBad: { version: label(REGRESSES_AT) },
      lastGood: { version: label(REGRESSES_AT - 1) },
    });
    expect(o.probes).toBeLessThanOrEqual(Math.ceil(Math.log2(SERIES)) + 2);
    expect(o.observed.outcome).toBe('cycle');
    expect(o.observed.frames).toEqual(expect.arrayContaining(['Lwt.resolve', 'Lwt.run_in_resolution_loop']));
    expect(o.reproduce).toBe(
      `lwt-regress run --lwt opam:${label(REGRESSES_AT)} --opam-root ${root} --case mutex-unlock-storm --stack 1024`,
    );
    for (const s of o.steps) expect(['reproduces', 'clean', 'untestable']).toContain(s.reproduction);
    // The first midpoint is the broken build: it is met, and counted as neither good nor bad.
    expect(o.steps.find((s: { version: string }) => s.version === label(BROKEN))).toMatchObject({
      reproduction: 'untestable',
    });
    expect(o.untestable.map((u: { version: string }) => u.version)).toEqual([label(BROKEN)]);
  });

  it('the broken build right before the change leaves an honest ambiguity', async () => {
    const r = await bisect([
      '--case',
      'mutex-unlock-storm',
      '--good',
      label(0),
      '--bad',
      label(SERIES - 1),
      '--opam-root',
      root,
      '--versions',
      [0, 5, 11, BROKEN, REGRESSES_AT, 25].map(label).join(','),
    ]);
    // With f16..f19 left out of the list, f15 (broken) sits right before f20.
    expect(r.exitCode).toBe(EXIT.usage);
    expectOneLineError(r, /--bad 5\.6\.1-f31 is not among the Lwt versions of --versions/);
    const narrowed = await bisect([
      '--case',
      'mutex-unlock-storm',
      '--good',
      label(0),
      '--bad',
      label(25),
      '--opam-root',
      root,
      '--versions',
      [0, 5, 11, BROKEN, REGRESSES_AT, 25].map(label).join(','),
    ]);
    expect(narrowed.exitCode).toBe(EXIT.untestable);
    expect(narrowed.outcome.kind).toBe('ambiguous');
    expect(narrowed.outcome.candidates.map((c: { version: string }) => c.version)).toEqual([
      label(BROKEN),
      label(REGRESSES_AT),
    ]);
  });

  it('a second identical bisect runs no build and reuses every probe', async () => {
    const args = ['--case', 'mutex-unlock-storm', '--good', label(0), '--bad', label(SERIES - 1), '--opam-root', root];
    // The first one fills the caches (or finds them full, after the tests above); the second must only read them.
    expect((await bisect(args)).exitCode).toBe(EXIT.ok);
    const again = await bisect(args);
    expect(again.outcome.firstBad.version).toBe(label(REGRESSES_AT));
    expect(again.outcome.builds).toBe(0);
    expect(again.outcome.steps.every((s: { reused: boolean }) => s.reused)).toBe(true);
  });

  it('--find-fix with the ends the wrong way round says how to swap them', async () => {
    const r = await bisect([
      '--case',
      'mutex-unlock-storm',
      '--find-fix',
      '--bad',
      label(REGRESSES_AT),
      '--good',
      label(0),
      '--opam-root',
      root,
      '--versions',
      [...Array(SERIES).keys()].map(label).reverse().join(','),
    ]);
    // Listed in any order, versions are sorted: f20 (crashing) is newer than f00, so this is reversed.
    expect(r.exitCode).toBe(EXIT.usage);
    expectOneLineError(
      r,
      /with --find-fix, --bad 5\.6\.1-f20 \(still crashing\) must be older than --good 5\.6\.1-f00/,
    );
  });

  it.each([
    [['--good', label(3), '--bad', label(3)], /--good and --bad are the same version/],
    [['--good', label(9), '--bad', label(2)], /--good 5\.6\.1-f09 is newer than --bad 5\.6\.1-f02.*add --find-fix/],
    [['--good', '9.9.9', '--bad', label(2)], /--good 9\.9\.9 is not among the Lwt versions of opam/],
  ])('bisect %j: exit 2, one line naming the problem', async (args, message) => {
    const r = await bisect(['--case', 'mutex-unlock-storm', '--opam-root', root, ...args]);
    expect(r.exitCode).toBe(EXIT.usage);
    expectOneLineError(r, message);
  });

  it('a --good that crashes, or a --bad that runs clean, is said, not bisected into a wrong answer', async () => {
    const good = await bisect([
      '--case',
      'mutex-unlock-storm',
      '--good',
      label(25),
      '--bad',
      label(SERIES - 1),
      '--opam-root',
      root,
    ]);
    expect(good.exitCode).toBe(EXIT.usage);
    expectOneLineError(
      good,
      /--good 5\.6\.1-f25 does not behave as given: it crashes \(cycle of 6 ×.*Pick a --good version that runs clean/,
    );
    const bad = await bisect([
      '--case',
      'mutex-unlock-storm',
      '--good',
      label(0),
      '--bad',
      label(5),
      '--opam-root',
      root,
    ]);
    expect(bad.exitCode).toBe(EXIT.usage);
    expectOneLineError(
      bad,
      /--bad 5\.6\.1-f05 does not behave as given: it runs clean.*Pick a --bad version that crashes/,
    );
  });

  it('an unknown case', async () => {
    const r = await bisect(['--case', 'nope', '--good', label(0), '--bad', label(1), '--opam-root', root]);
    expect(r.exitCode).toBe(EXIT.usage);
    expectOneLineError(r, /unknown case 'nope'/);
  });
});

describe('bisecting commits with git bisect run', () => {
  let repo: string;
  let commits: string[];
  beforeAll(async () => {
    repo = at('lwt-repo');
    commits = await makeCommitHistory(repo);
  });

  it('finds the commit that brought the crash, skipping the one that does not build', async () => {
    const r = await bisect([
      '--commits',
      '--lwt-git',
      repo,
      '--case',
      'mutex-unlock-storm',
      '--good',
      'v-good',
      '--bad',
      'v-bad',
    ]);
    expect(r.exitCode, r.stderr).toBe(EXIT.ok);
    expect(r.outcome).toMatchObject({
      kind: 'found',
      mode: 'commits',
      firstBad: { commit: commits[4] },
      lastGood: { commit: commits[3] },
    });
    expect(r.outcome.firstBad.label).toMatch(/Lwt_mutex\.unlock: wake the next waiter at once/);
    expect(r.outcome.observed.outcome).toBe('cycle');
    expect(r.outcome.reproduce).toBe(
      `lwt-regress run --lwt-git ${repo} --lwt ${commits[4]} --case mutex-unlock-storm --stack 1024`,
    );
    expect(r.outcome.probes).toBeLessThanOrEqual(Math.ceil(Math.log2(7)) + 2);
  });

  it('--find-fix finds the commit that fixed it', async () => {
    const r = await bisect([
      '--commits',
      '--lwt-git',
      repo,
      '--case',
      'mutex-unlock-storm',
      '--find-fix',
      '--bad',
      'v-bad',
      '--good',
      'v-fixed',
    ]);
    expect(r.exitCode, r.stderr).toBe(EXIT.ok);
    expect(r.outcome).toMatchObject({ kind: 'found', findFix: true, firstBad: { commit: commits[7] } });
  });

  it('a --good commit that crashes is said, not bisected into a wrong answer', async () => {
    const r = await bisect([
      '--commits',
      '--lwt-git',
      repo,
      '--case',
      'mutex-unlock-storm',
      '--good',
      commits[4]!,
      '--bad',
      'v-bad',
    ]);
    expect(r.exitCode).toBe(EXIT.usage);
    expectOneLineError(
      r,
      new RegExp(`--good ${commits[4]} does not behave as given: cycle of 6 × .*Pick a --good commit that runs clean`),
    );
  });

  it('a probe that crashes never aborts the bisect', async () => {
    // A repository whose middle commits have no Lwt at all: the probe fails before it can build anything.
    const odd = at('odd-repo');
    const shas = await makeGitRepository(odd, [
      { message: 'good', tag: 'g', apply: async (t) => void (await makeSourceTree(t, '5.6.1')) },
      { message: 'remove the sources', apply: (t) => rm(`${t}/src`, { recursive: true }) },
      {
        message: 'regressed sources',
        tag: 'b',
        apply: async (t) => {
          await makeSourceTree(t, '5.6.1');
          await regressMutexUnlock(t);
        },
      },
    ]);
    const r = await bisect([
      '--commits',
      '--lwt-git',
      odd,
      '--case',
      'mutex-unlock-storm',
      '--good',
      'g',
      '--bad',
      'b',
    ]);
    expect(r.outcome, r.stderr).toBeDefined();
    expect(r.outcome.kind).toBe('ambiguous');
    expect(r.outcome.candidates.map((c: { commit: string }) => c.commit)).toEqual([shas[1], shas[2]]);
    expect(r.exitCode).toBe(EXIT.untestable);
  });

  it.each([
    [['--good', 'no-such-tag', '--bad', 'v-bad'], /--good no-such-tag: .* has no tag or commit 'no-such-tag'/],
    [['--good', 'v-bad', '--bad', 'v-good'], /--good v-bad is not an ancestor of --bad v-good.*--find-fix/],
    [['--good', 'v-bad', '--bad', 'v-bad'], /are the same commit/],
  ])('bisect %j: exit 2, one line naming the problem', async (args, message) => {
    const r = await bisect(['--commits', '--lwt-git', repo, '--case', 'mutex-unlock-storm', ...args]);
    expect(r.exitCode).toBe(EXIT.usage);
    expectOneLineError(r, message);
  });
});
