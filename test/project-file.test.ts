/**
 * lwt-regress.json: a project's cases and defaults, found from the current
 * directory upward, validated with one error naming the key, and overridden
 * by flags.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import type { ProbeResult } from '../src/probe/probe.js';
import { parseProjectFile } from '../src/project/project-file.js';
import { makeCasesDir } from './support/case-dir.js';
import { runCli } from './support/cli.js';

let tmp: Awaited<ReturnType<typeof dir>>;
const at = (...parts: string[]) => join(tmp.path, ...parts);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-project-' });
  await makeCasesDir(at('service', 'test', 'lwt-cases'), [
    { name: 'ours', program: 'let () = print_endline "clean: ours"\n' },
  ]);
  await mkdir(at('service', 'src', 'deep'), { recursive: true });
  await writeFile(
    at('service', 'lwt-regress.json'),
    JSON.stringify({ cases: ['test/lwt-cases'], lwt: 'installed', stack: 2048, timeout: 30 }),
  );
});
afterAll(() => tmp.cleanup());

async function runIn(cwd: string, args: string[] = []) {
  const r = await runCli(['run', '--json', '--artifacts', at('artifacts'), ...args], {
    env: { LWT_REGRESS_CACHE: at('cache') },
    cwd,
  });
  const results: ProbeResult[] = r.stdout.startsWith('{') ? JSON.parse(r.stdout).results : [];
  return { ...r, results };
}

describe('a project file', () => {
  it('is found from a subdirectory, and its cases and defaults are used', async () => {
    const r = await runIn(at('service', 'src', 'deep'));
    expect(r.exitCode).toBe(EXIT.ok);
    expect(r.results.map((x) => [x.case, x.status, x.lwt.origin])).toEqual([['ours', 'pass', 'installed']]);
    expect(r.results[0]!.reproduce).toMatch(/--stack 2048$/);
  });

  it('flags override it', async () => {
    const r = await runIn(at('service'), ['--stack', '1024', '--case', 'ours']);
    expect(r.results[0]!.reproduce).toMatch(/--stack 1024$/);
  });

  it('"builtin": true runs the built-in cases too', async () => {
    await mkdir(at('with-builtin'), { recursive: true });
    await writeFile(
      at('with-builtin', 'lwt-regress.json'),
      JSON.stringify({ cases: ['../service/test/lwt-cases'], builtin: true }),
    );
    const r = await runIn(at('with-builtin'), ['--case', 'ours,wakeup-chain']);
    expect(r.results.map((x) => [x.case, x.status])).toEqual([
      ['ours', 'pass'],
      ['wakeup-chain', 'pass'],
    ]);
  });

  it('a broken file is one line naming the key', async () => {
    await mkdir(at('broken'), { recursive: true });
    await writeFile(at('broken', 'lwt-regress.json'), JSON.stringify({ stack: 'big' }));
    const r = await runIn(at('broken'));
    expect(r.exitCode).toBe(EXIT.usage);
    expect(r.stderr.trim()).toMatch(/^lwt-regress: .*broken\/lwt-regress\.json: "stack" must be a positive integer/);
  });
});

describe('parseProjectFile', () => {
  it.each([
    [{ casez: ['x'] }, /"casez" is not a setting of lwt-regress\.json/],
    [{ cases: [] }, /"cases" must be a string or a non-empty list of strings/],
    [{ cases: [1] }, /"cases" must be a string or a non-empty list/],
    [{ builtin: 'yes' }, /"builtin" must be true or false/],
    [{ timeout: 0 }, /"timeout" must be a positive integer \(seconds\)/],
    [{ baseline: '' }, /"baseline" must be a non-empty string/],
    [{ policy: 'strict' }, /"policy" must be "expectations" or "no-overflow"/],
    [{ sources: ['../lwt_log'] }, /"sources" must be an object of findlib package names to directories/],
    [{ sources: { lwt_log: 3 } }, /"sources" must be an object/],
    [[], /is not a JSON object/],
  ])('%j is refused, naming the key', (data, message) => {
    expect(() => parseProjectFile('/p/lwt-regress.json', data)).toThrow(message);
  });

  it('resolves case directories against the file and splits version lists', () => {
    const p = parseProjectFile('/p/q/lwt-regress.json', { cases: 'cases', lwt: ['5.6.1,installed'] });
    expect(p.cases).toEqual(['/p/q/cases']);
    expect(p.lwt).toEqual(['5.6.1', 'installed']);
    const withSources = parseProjectFile('/p/q/lwt-regress.json', { sources: { lwt_log: '../vendor/lwt_log' } });
    expect(withSources.sources).toEqual({ lwt_log: '/p/vendor/lwt_log' });
  });
});
