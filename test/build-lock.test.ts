/**
 * The lock that keeps two runs from building one compiler at once
 * (src/cache/build-lock.ts): work under it never overlaps, in one process or
 * two; a lock whose owner is gone is taken over; it is released on failure.
 */
import { mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withLock } from '../src/cache/build-lock.js';
import { exists } from '../src/io/exists.js';

let tmp: Awaited<ReturnType<typeof dir>>;
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true, prefix: 'lwt-regress-lock-' });
});
afterAll(() => tmp.cleanup());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a build lock', () => {
  it('runs one holder at a time, and the second after the first', async () => {
    const lock = join(tmp.path, 'serial.lock');
    const events: string[] = [];
    const work = (name: string) => async () => {
      events.push(`${name} start`);
      await sleep(100);
      events.push(`${name} end`);
      return name;
    };
    const got = await Promise.all([
      withLock(lock, work('a'), { pollMs: 10 }),
      withLock(lock, work('b'), { pollMs: 10 }),
    ]);
    expect(got).toEqual(['a', 'b']);
    expect(events).toEqual(['a start', 'a end', 'b start', 'b end']);
    expect(await exists(lock)).toBe(false);
  });

  it('waits for another process that holds it, saying which, then takes it', async () => {
    const lock = join(tmp.path, 'other.lock');
    // Another process takes the lock as withLock does (a directory holding its pid) and lets it go after a while.
    const script = [
      "const fs = require('fs');",
      `fs.mkdirSync(${JSON.stringify(lock)});`,
      `fs.writeFileSync(${JSON.stringify(join(lock, 'pid'))}, String(process.pid));`,
      "process.stdout.write('held\\n');",
      `setTimeout(() => fs.rmSync(${JSON.stringify(lock)}, { recursive: true }), 400);`,
    ].join(' ');
    const other = execa(process.execPath, ['-e', script]);
    await new Promise<void>((resolve) => other.stdout?.once('data', () => resolve()));
    const waited: number[] = [];
    const started = performance.now();
    const inside = await withLock(lock, async () => performance.now() - started, {
      pollMs: 20,
      onWait: (pid) => waited.push(pid),
    });
    expect(waited).toEqual([other.pid]);
    expect(inside).toBeGreaterThan(300);
    await other;
  });

  it('takes over a lock whose owner is gone, or that was left without an owner long ago', async () => {
    const dead = join(tmp.path, 'dead.lock');
    const gone = execa('true');
    await gone;
    await mkdir(dead);
    await writeFile(join(dead, 'pid'), String(gone.pid));
    const told: number[] = [];
    expect(await withLock(dead, async () => 'mine', { pollMs: 10, onWait: (pid) => told.push(pid) })).toBe('mine');
    expect(told).toEqual([]);

    const orphan = join(tmp.path, 'orphan.lock');
    await mkdir(orphan);
    const past = new Date(Date.now() - 60_000);
    await utimes(orphan, past, past);
    expect(await withLock(orphan, async () => 'mine too', { pollMs: 10 })).toBe('mine too');
  });

  it('waits on a lock just made whose owner has not written its pid yet', async () => {
    const fresh = join(tmp.path, 'fresh.lock');
    await mkdir(fresh);
    setTimeout(() => void execa('rm', ['-r', fresh]), 300);
    const started = performance.now();
    await withLock(fresh, async () => undefined, { pollMs: 20 });
    expect(performance.now() - started).toBeGreaterThan(250);
  });

  it('is released when the work fails, and the failure goes on', async () => {
    const lock = join(tmp.path, 'failing.lock');
    await expect(
      withLock(lock, async () => {
        expect((await stat(lock)).isDirectory()).toBe(true);
        throw new Error('the build broke');
      }),
    ).rejects.toThrow('the build broke');
    expect(await exists(lock)).toBe(false);
  });
});
