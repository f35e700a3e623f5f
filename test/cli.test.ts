import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../src/paths.js';
import { runCli } from './support/cli.js';

describe('the lwt-regress command', () => {
  it('runs as the package bin (executable, with its shebang), as npx runs it', async () => {
    const r = await execa(join(projectRoot(), 'dist', 'harness', 'cli.js'), ['--help'], { reject: false });
    expect(r.exitCode).toBe(0);
    for (const command of ['analyze', 'run', 'bisect', 'gate', 'check', 'report', 'demo'])
      expect(r.stdout).toMatch(new RegExp(`^ {2}${command} +\\S`, 'm'));
  });

  it('without a command prints the overview and exits 2', async () => {
    const r = await runCli([]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toMatch(/usage: lwt-regress <command>/);
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(await readFile(join(projectRoot(), 'package.json'), 'utf8'));
    const r = await runCli(['--version']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe(`lwt-regress ${version}`);
  });

  it.each([[['run', '--help']], [['run', '-h']], [['help', 'run']], [['run', '--lwt', '2.3.0', '--help']]])(
    "%j: the command's own help, exit 0",
    async (args) => {
      const r = await runCli(args);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/^usage: lwt-regress run /);
      expect(r.stderr).toBe('');
    },
  );

  it("each command's help lists only its own options", async () => {
    const gate = (await runCli(['gate', '--help'])).stdout;
    expect(gate).toMatch(/--candidate-src DIR/);
    expect(gate).not.toMatch(/^ {2}--lwt V/m);
    expect(gate).not.toMatch(/^ {2}--lwt-src/m);
    const analyze = (await runCli(['analyze', '--help'])).stdout;
    expect(analyze).toMatch(/--max-frames N/);
    expect(analyze).not.toMatch(/--stack/);
    const check = (await runCli(['help', 'check'])).stdout;
    expect(check).toMatch(/^usage: lwt-regress check /);
  });

  it('bisect-probe --help exits 0 (git bisect run would read 125 as "skip")', async () => {
    const r = await runCli(['bisect-probe', '--help']);
    expect(r.exitCode).toBe(0);
  });

  it("a program's own --help after -- is the program's, not lwt-regress's", async () => {
    const r = await runCli(['check', '--', '/nonexistent/prog', '--help']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/the program \/nonexistent\/prog does not exist/);
  });

  it('a usage error names the command whose help to read', async () => {
    const r = await runCli(['gate', '--frobnicate']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toMatch(/Run `lwt-regress gate --help` for usage$/);
    const unknown = await runCli(['frobnicate']);
    expect(unknown.stderr.trim()).toMatch(/unknown command 'frobnicate'\. Run `lwt-regress --help` for usage$/);
  });
});
