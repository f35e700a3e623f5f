/**
 * The composite action's step (.github/action-run.sh), run as GitHub would
 * run it in another repository: from that repository's directory, with the
 * inputs in the environment, GITHUB_ACTION_PATH pointing at this checkout.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { projectRoot } from '../src/paths.js';

let tmp: Awaited<ReturnType<typeof dir>>;
let repo: string;
const at = (...parts: string[]) => join(tmp.path, ...parts);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-action-' });
  repo = at('their-repo');
  await cp(join(projectRoot(), 'examples', 'kvstore'), repo, { recursive: true });
});
afterAll(() => tmp.cleanup());

async function action(inputs: Record<string, string>) {
  const summary = at(`summary-${Object.values(inputs).join('-').replace(/\W+/g, '_')}.md`);
  const output = at('github-output');
  await writeFile(summary, '# earlier steps\n');
  await writeFile(output, '');
  const r = await execa('bash', [join(projectRoot(), '.github', 'action-run.sh')], {
    cwd: repo,
    reject: false,
    env: {
      GITHUB_ACTION_PATH: projectRoot(),
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_OUTPUT: output,
      LWT_REGRESS_CACHE: at('cache'),
      ...inputs,
    },
  });
  return { ...r, summary: await readFile(summary, 'utf8'), output: await readFile(output, 'utf8') };
}

describe('the lwt-regress action, run from another repository', () => {
  it("run: the repository's own cases, its reports, the exit code as an output, the job summary appended", async () => {
    const r = await action({ LWT_REGRESS_COMMAND: 'run', LWT_REGRESS_REPORTS: 'out' });
    expect(r.exitCode, r.stderr).toBe(EXIT.ok);
    expect(r.output).toBe('exit-code=0\n');
    expect(r.summary).toMatch(/^# earlier steps\n[\s\S]*all cases met their expectations/);
    const result = JSON.parse(await readFile(join(repo, 'out', 'result.json'), 'utf8'));
    expect(result.results.map((x: { case: string }) => x.case).sort()).toEqual(['replica-chain', 'write-storm']);
    for (const f of ['report.html', 'report.xml']) await readFile(join(repo, 'out', f));
  }, 300_000);

  it('check: a program with its arguments, as one input', async () => {
    await execa('dune', ['build', '--root', repo, '--display', 'quiet']);
    const r = await action({
      LWT_REGRESS_COMMAND: 'check',
      LWT_REGRESS_PROGRAM: '_build/default/test/lwt/replica_chain.exe 100000',
      LWT_REGRESS_REPORTS: 'out-check',
    });
    expect(r.exitCode).toBe(EXIT.failed);
    expect(r.output).toBe('exit-code=1\n');
    expect(r.summary).toMatch(/FAIL: expected a clean run, observed cycle/);
  }, 300_000);

  it('inputs are data: a case directory named like a command is not run', async () => {
    const marker = at('pwned');
    const r = await action({
      LWT_REGRESS_COMMAND: 'run',
      LWT_REGRESS_CASES: `x; touch ${marker}`,
      LWT_REGRESS_REPORTS: 'out-bad',
    });
    expect(r.exitCode).toBe(EXIT.usage);
    await expect(readFile(marker)).rejects.toThrow();
  });

  it('a command that is not run, gate or check', async () => {
    const r = await action({ LWT_REGRESS_COMMAND: 'deploy' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/command must be run, gate or check, not 'deploy'/);
  });
});
