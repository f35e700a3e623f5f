import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CaseSpec {
  name: string;
  program: string;
  expect?: unknown[];
  /** The whole case.json, when a test needs a broken one. */
  manifest?: unknown;
  size?: number;
}

/** A cases directory written at test time, one directory per case, for `--cases`. */
export async function makeCasesDir(dir: string, cases: CaseSpec[]): Promise<string> {
  for (const c of cases) {
    const where = join(dir, c.name);
    await mkdir(where, { recursive: true });
    await writeFile(join(where, 'case.ml'), c.program);
    const manifest = c.manifest ?? {
      description: c.name,
      needs: '>=2.0.0',
      size: { default: c.size ?? 1, meaning: 'n' },
      expect: c.expect ?? [{ lwt: '*', outcome: 'clean' }],
    };
    await writeFile(join(where, 'case.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  }
  return dir;
}

/** Processes whose command line holds `word` (an argument such as a unique sleep duration). */
export async function processesWith(word: string): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').includes(word)) found.push(Number(name));
  }
  return found;
}
