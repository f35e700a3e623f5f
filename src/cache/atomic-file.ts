import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes a file by renaming a complete temporary one into place, so a reader
 * (a parallel run, or the next run after an interrupt or a full disk) sees the
 * old file or the new one, never half of one.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const staging = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await writeFile(staging, text);
    await rename(staging, path);
  } catch (error) {
    await rm(staging, { force: true });
    throw error;
  }
}

/**
 * A cached JSON file, or undefined when it is missing or broken (cut short,
 * emptied, not the expected shape): a broken entry is removed and recomputed,
 * never trusted and never fatal.
 */
export async function readCachedJson<T>(path: string, valid: (data: unknown) => data is T): Promise<T | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const data: unknown = JSON.parse(text);
    if (valid(data)) return data;
  } catch {
    // Falls through: a corrupt entry is dropped below.
  }
  await rm(path, { force: true });
  return undefined;
}
