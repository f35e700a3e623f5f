/**
 * Answers a person reads at a glance: which overflows each Lwt shows and
 * whether they are known ones or regressions, the no-overflow policy, tables
 * that fit the terminal, and progress on stderr (none with --quiet or --json).
 */
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCases } from '../src/cases/load-cases.js';
import { expectationFor, knownOverflow } from '../src/cases/manifest.js';
import { EXIT } from '../src/errors.js';
import { makeGitRepository, makeSourceTree, patchTree, regressMutexUnlock } from '../src/fixtures/lwt-fixtures.js';
import type { ProbeResult } from '../src/probe/probe.js';
import type { Observation } from '../src/probe/verdict.js';
import { runMarkdown } from '../src/report/markdown.js';
import { formatMatrix, styleFor } from '../src/report/matrix-text.js';
import { overflowSummary } from '../src/report/overflow-summary.js';
import { runCli } from './support/cli.js';
import { probeResult } from './support/probe-result.js';
import { joined } from './support/regex.js';

let tmp: Awaited<ReturnType<typeof dir>>;
let env: Record<string, string>;
const at = (...parts: string[]) => join(tmp.path, ...parts);
const ESC = String.fromCharCode(27);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-semantics-' });
  env = { LWT_REGRESS_CACHE: at('cache') };
});
afterAll(() => tmp.cleanup());

const probe = (over: Partial<ProbeResult>): ProbeResult =>
  probeResult({
    lwt: { version: '2.3.0', label: '2.3.0', origin: 'git', commit: null },
    timings: { buildMs: 0, runMs: 0, analyzeMs: 0, totalMs: 1234 },
    ...over,
  });
const cycle: Observation = {
  outcome: 'cycle',
  summary: 'cycle',
  frames: ['A.f', 'B.g'],
  definitions: [],
  depth: 1000,
  entry: [],
};
const clean: Observation = { outcome: 'clean', summary: 'clean', frames: [], definitions: [], depth: null, entry: [] };

describe('what overflows on each Lwt', () => {
  it('names the known overflows with their fix, and the unexpected ones apart', () => {
    const lines = overflowSummary([
      probe({
        case: 'mutex-unlock-storm',
        observed: { ...cycle },
        known: { title: 'the 2011 mutex hand-off', fixedIn: '2.3.1' },
      }),
      probe({ case: 'map-tower', observed: { ...cycle }, known: { title: 'a tower of maps', fixedIn: null } }),
      probe({ case: 'list-map-s', observed: { ...clean } }),
      probe({
        lwt: { version: '5.6.1', label: '5.6.1 (dir x)', origin: 'dir', commit: null },
        case: 'storm',
        status: 'fail',
        observed: { ...cycle },
      }),
      probe({
        lwt: { version: '5.8.0', label: '5.8.0', origin: 'git', commit: null },
        case: 'storm',
        observed: { ...clean },
      }),
    ]);
    expect(lines).toEqual([
      'Lwt 2.3.0: 2 known stack overflows ' +
        '(mutex-unlock-storm: the 2011 mutex hand-off, fixed in 2.3.1; map-tower: a tower of maps, not fixed)',
      'Lwt 5.6.1 (dir x): 1 unexpected stack overflow (storm)',
      'Lwt 5.8.0: no stack overflow',
    ]);
  });

  it('a manifest says where its overflow was fixed, and only a fix that holds counts', async () => {
    const { cases } = await loadCases();
    const storm = cases.find((c) => c.manifest.name === 'mutex-unlock-storm')!.manifest;
    expect(knownOverflow(storm, expectationFor(storm, '2.3.0', '4.13.1')!)).toEqual({
      title: 'the 2011 mutex hand-off (Lwt_mutex.unlock through Lwt.wakeup)',
      fixedIn: '2.3.1',
    });
    expect(knownOverflow(storm, expectationFor(storm, '2.3.1', '4.13.1')!)).toBeNull();
    // map-tower is clean on 2.1.1 only, and overflows again after: never fixed.
    const tower = cases.find((c) => c.manifest.name === 'map-tower')!.manifest;
    expect(knownOverflow(tower, expectationFor(tower, '2.1.0', '4.13.1')!)!.fixedIn).toBeNull();
  });

  it('the Markdown report says it too', () => {
    const md = runMarkdown([
      probe({
        case: 'mutex-unlock-storm',
        observed: { ...cycle },
        known: { title: 'the 2011 mutex hand-off', fixedIn: '2.3.1' },
      }),
    ]);
    expect(md).toMatch(
      /^- Lwt 2\.3\.0: 1 known stack overflow \(mutex-unlock-storm: the 2011 mutex hand-off, fixed in 2\.3\.1\)$/m,
    );
  });

  it('run says it at the end of its table', async () => {
    const r = await runCli(
      ['run', '--lwt', 'installed', '--case', 'wakeup-chain,mutex-unlock-storm', '--artifacts', at('a')],
      { env },
    );
    expect(r.exitCode).toBe(EXIT.ok);
    expect(r.stdout).toMatch(
      joined(
        /^Lwt 5\.6\.1: 1 known stack overflow /m,
        /\(wakeup-chain: a chain of callbacks each waking the next with Lwt\.wakeup, not fixed\)$/,
      ),
    );
  });
});

describe('--policy no-overflow', () => {
  it('fails an overflow the case expects, from the flag or the project file', async () => {
    const r = await runCli(
      [
        'run',
        '--json',
        '--lwt',
        'installed',
        '--case',
        'wakeup-chain,mutex-unlock-storm',
        '--policy',
        'no-overflow',
        '--artifacts',
        at('a'),
      ],
      { env },
    );
    expect(r.exitCode).toBe(EXIT.failed);
    const [chain, storm] = JSON.parse(r.stdout).results as ProbeResult[];
    expect(chain).toMatchObject({ status: 'fail', known: { fixedIn: null } });
    expect(chain!.reason).toMatch(/a stack overflow, which --policy no-overflow does not allow: cycle of/);
    expect(storm).toMatchObject({ status: 'pass' });
    const bad = await runCli(['run', '--policy', 'strict'], { env });
    expect(bad.exitCode).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/--policy must be expectations or no-overflow, not 'strict'/);
  });
});

describe('tables', () => {
  const rows = [
    probe({
      case: 'a-case-with-a-long-name',
      status: 'fail',
      observed: { ...cycle, frames: Array(30).fill('Lwt.run_in_resolution_loop') },
    }),
    probe({ case: 'b', status: 'pass', observed: { ...clean } }),
  ];

  it('fit the terminal: the long column last, cut with an ellipsis; the short ones aligned', () => {
    const text = formatMatrix(rows, { width: 80, color: false });
    const table = text.split('\n').slice(0, 3);
    for (const line of table) expect(line.length).toBeLessThanOrEqual(80);
    expect(table[1]).toMatch(/…$/);
    expect(table[0]!.indexOf('time')).toBe(table[1]!.indexOf('1.2 s'));
  });

  it('are coloured on a terminal only, and never with NO_COLOR', () => {
    expect(styleFor({ isTTY: true }, {}).color).toBe(true);
    expect(styleFor({ isTTY: false }, {}).color).toBe(false);
    expect(styleFor({ isTTY: true }, { NO_COLOR: '1' }).color).toBe(false);
    expect(styleFor({ isTTY: true }, {}).width).toBe(100);
    expect(styleFor({ isTTY: true }, { COLUMNS: '132' }).width).toBe(132);
    const coloured = formatMatrix(rows, { width: 200, color: true });
    expect(coloured).toContain(`${ESC}[1;31mFAIL`);
    expect(formatMatrix(rows, { width: 200, color: false })).not.toContain(ESC);
  });

  it('a run into a pipe has no colour and keeps to $COLUMNS', async () => {
    const r = await runCli(['run', '--lwt', 'installed', '--case', 'wakeup-chain', '--artifacts', at('a')], {
      env: { ...env, COLUMNS: '70' },
    });
    expect(r.stdout).not.toContain(ESC);
    for (const line of r.stdout.split('\n').slice(0, 2)) expect(line.length).toBeLessThanOrEqual(70);
  });
});

describe('progress', () => {
  it('a build says when it starts and ends, on stderr; --quiet and --json say nothing', async () => {
    const tree = await makeSourceTree(at('lwt'), '5.6.1');
    const args = ['run', '--lwt-src', tree, '--case', 'wakeup-chain', '--artifacts', at('a')];
    const loud = await runCli(args, { env: { LWT_REGRESS_CACHE: at('cache-progress-1') } });
    expect(loud.stderr).toMatch(/^lwt-regress: building Lwt 5\.6\.1 \(dir .*\) from source/m);
    expect(loud.stderr).toMatch(/^lwt-regress: built Lwt 5\.6\.1 \(dir .*\) in \d+\.\d s/m);
    const quiet = await runCli([...args, '--quiet'], { env: { LWT_REGRESS_CACHE: at('cache-progress-2') } });
    expect(quiet.stderr).toBe('');
    const json = await runCli([...args, '--json'], { env: { LWT_REGRESS_CACHE: at('cache-progress-3') } });
    expect(json.stderr).toBe('');
    JSON.parse(json.stdout);
  }, 300_000);

  it('a commit bisect says each step, and names why an untestable commit was', async () => {
    const repo = at('repo');
    const broken = (n: number) => async (t: string) =>
      patchTree(
        t,
        'lwt_mutex.ml',
        n === 1 ? 'let unlock m =' : `let unlock m = broken_${n - 1};`,
        `let unlock m = broken_${n};`,
      );
    const commits = await makeGitRepository(repo, [
      { message: 'release', tag: 'v-good', apply: async (t) => void (await makeSourceTree(t, '5.6.1')) },
      { message: 'broken 1', apply: broken(1) },
      { message: 'broken 2', apply: broken(2) },
      { message: 'broken 3', apply: broken(3) },
      {
        message: 'repaired, and the regression',
        tag: 'v-bad',
        apply: async (t) => {
          await patchTree(t, 'lwt_mutex.ml', 'let unlock m = broken_3;', 'let unlock m =');
          await regressMutexUnlock(t);
        },
      },
    ]);
    const r = await runCli(
      [
        'bisect',
        '--commits',
        '--lwt-git',
        repo,
        '--case',
        'mutex-unlock-storm',
        '--good',
        'v-good',
        '--bad',
        'v-bad',
        '--artifacts',
        at('a'),
      ],
      { env },
    );
    // Every commit between the ends is untestable: an honest ambiguity, each one named with its reason.
    expect(r.exitCode, r.stderr).toBe(EXIT.untestable);
    // git's own estimate: one step left after the first midpoint, one more with each commit it had to skip.
    expect(r.stderr).toMatch(/^ {2}step 1\/≈2 [0-9a-f]{10}: untestable: .*does not build: lwt_mutex\.ml: .*broken_\d/m);
    expect(r.stderr.match(/^ {2}step \d\/≈\d/gm)).toEqual(['  step 1/≈2', '  step 2/≈3', '  step 3/≈4']);
    const untestable = commits.slice(1, 4).filter((c) => r.stdout.includes(`${c.slice(0, 10)} broken`));
    expect(untestable.length).toBeGreaterThan(0);
    // Each reason once, with the commit it is the reason of (here each commit has its own).
    expect(r.stdout).toMatch(
      joined(
        /^ {2}1 commit untestable \([0-9a-f]{10} broken \d\): /m,
        /this Lwt does not build: lwt_mutex\.ml: .*Unbound value broken_\d$/,
      ),
    );
  }, 300_000);
});
