import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { makeRegressedTree, makeSourceTree, patchTree } from '../src/fixtures/lwt-fixtures.js';
import { projectRoot } from '../src/paths.js';
import { runCli } from './support/cli.js';
import { joined } from './support/regex.js';

let tmp: Awaited<ReturnType<typeof dir>>;
let env: Record<string, string>;
let regressed: string;
const at = (name: string) => join(tmp.path, name);
/** Screenshots are kept as test artifacts, beside the failing runs' artifacts. */
const SCREENSHOTS = join(projectRoot(), 'artifacts', 'test-reports');

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-gate-' });
  env = { LWT_REGRESS_CACHE: at('cache') };
  regressed = await makeRegressedTree(at('lwt-regressed'));
});
afterAll(() => tmp.cleanup());

async function gate(args: string[]) {
  const r = await runCli(['gate', '--artifacts', at('artifacts'), ...args], { env, cwd: tmp.path });
  return { ...r, outcome: r.stdout.startsWith('{') ? JSON.parse(r.stdout) : undefined };
}

describe('gate', () => {
  it('blocks the upgrade to a Lwt whose Lwt_mutex.unlock regressed, naming the cases, in every report', async () => {
    const reports = ['--markdown', at('gate.md'), '--junit', at('gate.xml'), '--html', at('gate.html')];
    const r = await gate([
      '--baseline',
      'installed',
      '--candidate-src',
      regressed,
      '--candidate',
      '5.6.1',
      '--json',
      ...reports,
    ]);
    expect(r.exitCode).toBe(EXIT.failed);
    expect(r.outcome.verdict).toBe('blocked');
    const storm = r.outcome.rows.find((row: { case: string }) => row.case === 'mutex-unlock-storm');
    expect(storm).toMatchObject({ transition: 'regressed', blocking: true });
    expect(
      r.outcome.rows.filter((row: { blocking: boolean }) => row.blocking).map((row: { case: string }) => row.case),
    ).toEqual(['mutex-server', 'mutex-unlock-storm']);
    const markdown = await readFile(at('gate.md'), 'utf8');
    expect(markdown).toMatch(/upgrade blocked/);
    expect(markdown).toMatch(
      joined(
        /\| mutex-unlock-storm \| clean: .* \| /,
        /cycle × [\d,]+: `Case\.<fun> → Lwt\.callback → .*Lwt\.resolve.*` \| ❌ regressed \|/,
      ),
    );
    const junit = await readFile(at('gate.xml'), 'utf8');
    expect(junit).toMatch(/<testsuites name="lwt-regress gate" tests="8" failures="2"/);
    expect(junit).toMatch(
      /<testcase [^>]*name="mutex-unlock-storm › regressed"[^>]*><failure message="clean on 5\.6\.1, crashes on/,
    );
  });

  it('identical versions pass', async () => {
    const r = await gate(['--baseline', 'installed', '--candidate', 'installed', '--json']);
    expect(r.exitCode).toBe(EXIT.ok);
    expect(r.outcome.verdict).toBe('pass');
    expect(new Set(r.outcome.rows.map((row: { transition: string }) => row.transition))).toEqual(
      new Set(['unchanged']),
    );
  });

  it('an untestable candidate is reported and does not pass', async () => {
    const broken = await makeSourceTree(at('lwt-broken'), '5.6.1');
    await patchTree(broken, 'lwt_mutex.ml', 'let unlock m =', 'let unlock m = not_here;');
    const r = await gate([
      '--baseline',
      'installed',
      '--candidate-src',
      broken,
      '--case',
      'mutex-unlock-storm,wakeup-chain',
    ]);
    expect(r.exitCode).toBe(EXIT.untestable);
    expect(r.stdout).toMatch(/^NOT FULLY TESTED: Lwt 5\.6\.1 → 5\.6\.1 \(dir .*lwt-broken\)/);
    expect(r.stdout).toMatch(
      /mutex-unlock-storm: untestable: candidate: Lwt .* does not build: lwt_mutex\.ml: .*Unbound value not_here/,
    );
  });

  it.each([
    [['--baseline', 'installed'], /gate needs --baseline and --candidate/],
    [['--baseline', 'installed', '--candidate', 'installed', '--lwt', '5.6.1'], /gate compares two Lwt versions/],
    [
      ['--baseline', 'installed', '--candidate', 'opam:9.9.9', '--opam-root', '/nonexistent'],
      /Lwt opam:9\.9\.9 could not be found/,
    ],
  ])('gate %j: exit 2, one line naming the problem', async (args, message) => {
    const r = await gate([...args, '--quiet']);
    expect(r.exitCode).toBe(EXIT.usage);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});

describe('the HTML report in headless Chromium', () => {
  it.each([
    ['gate', ['gate', '--baseline', 'installed', '--candidate-src', 'REGRESSED', '--candidate', '5.6.1']],
    ['run', ['run', '--lwt', 'installed']],
  ])('the %s report renders with no console errors, with its matrix and every cycle drawn', async (name, args) => {
    const html = at(`${name}.html`);
    const cli = await runCli(
      [
        ...args.map((a) => (a === 'REGRESSED' ? regressed : a)),
        '--html',
        html,
        '--artifacts',
        at('artifacts'),
        '--json',
      ],
      { env, cwd: tmp.path },
    );
    const outcome = JSON.parse(cli.stdout);
    const results =
      name === 'gate'
        ? outcome.rows.flatMap((r: { baseline: unknown; candidate: unknown }) => [r.baseline, r.candidate])
        : outcome.results;
    const cycles = results.filter((r: { observed: { outcome: string } | null }) => r.observed?.outcome === 'cycle');
    expect(cycles.length).toBeGreaterThan(0);

    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}`));
      await page.goto(`file://${html}`);
      expect(await page.locator('h1').textContent()).toMatch(
        name === 'gate' ? /upgrade blocked/ : /all cases met their expectations/,
      );
      expect(await page.locator(name === 'gate' ? 'table.gate tr' : 'table.matrix tr').count()).toBe(9);
      expect(await page.locator('section.crash svg').count()).toBe(cycles.length);
      // Unexpected crashes first and open; the expected ones folded, so that a blocker is not lost in them.
      const first = page.locator('section.crash').first();
      const firstCycle =
        name === 'gate'
          ? results.find((r: { status: string; observed: { outcome: string } | null }) => r.status === 'fail')
          : cycles[0];
      const unexpected = cycles.filter((r: { status: string }) => r.status !== 'pass').length;
      expect(await page.locator('section.crash details[open]').count()).toBe(unexpected);
      if (name === 'gate') {
        expect(await first.locator('summary').textContent()).toMatch(/^Unexpected: /);
        // About a screen for the matrix and one per blocker: the folded expected crashes add a line each.
        const height = await page.evaluate(() => document.documentElement.scrollHeight);
        expect(height).toBeLessThan(1500 + 1100 * unexpected);
      }
      await first.locator('summary').click();
      // Each loop draws every frame of its cycle and the repetition count, arrows in the text's direction.
      expect(await first.locator('svg g.frame').count()).toBe(firstCycle.observed.frames.length);
      expect(await first.locator('svg').innerHTML()).toContain(
        `× ${firstCycle.observed.depth.toLocaleString('en-US')}`,
      );
      expect(await first.locator('.legend').textContent()).toMatch(/an arrow A → B means that A was called by B/);
      const box = async (i: number) => {
        const b = (await first.locator('svg g.frame rect').nth(i).boundingBox())!;
        return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
      };
      const edge = (await first.locator('svg line.edge').first().boundingBox())!;
      if (firstCycle.observed.frames.length > 1) {
        const [a, b] = [await box(0), await box(1)];
        const start = { x: edge.x + edge.width / 2, y: edge.y + edge.height / 2 };
        // The first arrow lies between frame 0 and frame 1: it goes from the top frame to its caller.
        expect(Math.hypot(start.x - (a.x + b.x) / 2, start.y - (a.y + b.y) / 2)).toBeLessThan(
          Math.hypot(a.x - b.x, a.y - b.y),
        );
      }
      // Per frame: symbol, source line and return address; then what entered the cycle.
      const frameRows = first.locator('table.frames tr');
      expect(await frameRows.count()).toBeGreaterThanOrEqual(firstCycle.observed.frames.length + 2);
      expect(await first.locator('table.frames').textContent()).toMatch(/caml\w+\+0x[0-9a-f]+.*\.ml:\d+.*0x[0-9a-f]+/s);
      expect(await first.locator('.evidence').textContent()).toMatch(/reproduce: lwt-regress run /);
      if (name === 'gate') expect(await first.locator('.evidence').textContent()).toMatch(/kept: .*\/core/);
      expect(await page.locator('ul.facts').textContent()).toMatch(/OCaml \d+\.\d+\.\d+.*generated \d{4}-\d\d-\d\dT/s);
      expect(await page.locator('ul.summary li').count()).toBeGreaterThan(0);
      await mkdir(SCREENSHOTS, { recursive: true });
      const shot = join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      expect((await stat(shot)).size).toBeGreaterThan(10_000);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
