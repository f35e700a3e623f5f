import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { runCli } from './support/cli.js';
import { expectOneLineError } from './support/one-line-error.js';

const crashes = inject('crashes');
const chain = crashes['wakeup-chain']!;
let tmp: Awaited<ReturnType<typeof dir>>;
const at = (name: string) => join(tmp.path, name);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-hostile-' });
});
afterAll(() => tmp.cleanup());

describe('analyze opens regular files only', () => {
  // Without the check, opening a FIFO waits for a writer forever: the timeout turns that into a failure.
  it.each([
    ['core', () => [chain.executable, at('fifo')]],
    ['executable', () => [at('fifo'), chain.core]],
  ])('a FIFO as the %s is refused at once', async (role, paths) => {
    await execa('mkfifo', ['-m', '600', at('fifo')]).catch(() => undefined);
    const r = await runCli(['analyze', ...paths()], { timeout: 20_000 });
    expect(r.exitCode).toBe(EXIT.unreadable);
    expectOneLineError(r, new RegExp(`${role} .*fifo is a FIFO \\(named pipe\\), not a regular file\\. Pass the path`));
  });

  it.each([
    ['a directory', () => tmp.path, /is a directory, not a regular file/],
    ['a character device', () => '/dev/zero', /is a character device, not a regular file/],
  ])('%s as the core is refused', async (_kind, path, message) => {
    const r = await runCli(['analyze', chain.executable, path()], { timeout: 20_000 });
    expect(r.exitCode).toBe(EXIT.unreadable);
    expectOneLineError(r, message);
  });
});
