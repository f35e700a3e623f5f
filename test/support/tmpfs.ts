import { mkdir } from 'node:fs/promises';
import { execa } from 'execa';

/**
 * A real small file system for the tests that need a full disk or a
 * read-only place: mount(8) a tmpfs, which needs root (CI runs as root). A
 * test that cannot mount one is skipped and says so, never counted as passed.
 */
export const canMount = process.getuid?.() === 0;
export const NEEDS_ROOT = 'needs root to mount a tmpfs (CI runs as root)';

export async function mountTmpfs(dir: string, sizeKiB: number, options: { readOnly?: boolean } = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  const opts = [`size=${sizeKiB}k`, ...(options.readOnly ? ['ro'] : [])].join(',');
  await execa('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]);
  return dir;
}

export async function unmount(dir: string): Promise<void> {
  await execa('umount', ['--lazy', dir], { reject: false });
}

/** Fills a file system up to its last few KiB, leaving `leaveKiB` free. */
export async function fill(dir: string, leaveKiB: number): Promise<void> {
  const { stdout } = await execa('df', ['--output=avail', '-k', dir]);
  const avail = Number(stdout.trim().split('\n').pop());
  const kib = Math.max(0, avail - leaveKiB);
  await execa('dd', ['if=/dev/zero', `of=${dir}/filler`, 'bs=1k', `count=${kib}`], { reject: false });
}
