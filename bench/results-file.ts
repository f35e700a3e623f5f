import { readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../src/paths.js';

const FILE = join(projectRoot(), 'bench', 'RESULTS.md');
const HEADER =
  '# Benchmark results\n\n' +
  'Each section is rewritten by `npm run bench` (bench/*.ts); the command and the machine are named in it.\n';

/** How a section begins: `Produced by \`npm run bench\` (FILE) on DATE: N × CPU, Node V`. */
export function producedBy(file: string): string {
  const date = new Date().toISOString().slice(0, 10);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`;
  return `Produced by \`npm run bench\` (${file}) on ${date}: ${machine}, Node ${process.version}`;
}

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
