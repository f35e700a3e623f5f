import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../src/paths.js';

const FILE = join(projectRoot(), 'bench', 'RESULTS.md');
const HEADER =
  '# Benchmark results\n\nEach section is rewritten by `npm run bench` (bench/*.ts); the command and the machine are named in it.\n';

/** Replaces one benchmark's section of bench/RESULTS.md, leaving the others as they were. */
export async function writeSection(name: string, body: string): Promise<void> {
  const text = (await readFile(FILE, 'utf8').catch(() => '')) || HEADER;
  const start = `<!-- ${name} -->`;
  const end = `<!-- /${name} -->`;
  const section = `${start}\n${body.trim()}\n${end}`;
  const re = new RegExp(`${start}[\\s\\S]*?${end}`);
  const base = text.startsWith('# Benchmark results') ? text : HEADER;
  await writeFile(FILE, re.test(base) ? base.replace(re, section) : `${base.trimEnd()}\n\n${section}\n`);
}
