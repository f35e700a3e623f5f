import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../src/paths.js';

describe('the lwt-regress command', () => {
  it('runs as the package bin (executable, with its shebang), as npx runs it', async () => {
    const r = await execa(join(projectRoot(), 'dist', 'harness', 'cli.js'), ['--help'], { reject: false });
    expect(r.exitCode).toBe(0);
    for (const command of ['analyze', 'run', 'bisect', 'gate', 'demo']) expect(r.stdout).toContain(`  ${command}`);
  });

  it('without a command prints the usage and exits 2', async () => {
    const r = await execa(process.execPath, [join(projectRoot(), 'dist', 'harness', 'cli.js')], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toMatch(/^usage: lwt-regress <command>/);
  });
});
