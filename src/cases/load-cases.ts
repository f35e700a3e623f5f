import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EXIT, UserError } from '../errors.js';
import { projectRoot } from '../paths.js';
import { type CaseManifest, parseManifest } from './manifest.js';

export interface Case {
  manifest: CaseManifest;
  /** The OCaml program. */
  program: string;
  /** The shared C stub linked into every case. */
  stub: string;
}

export const CASES_DIR = join(projectRoot(), 'ocaml-cases');

/** Every case under ocaml-cases/ (directories holding case.ml and case.json), by name. */
export async function loadCases(dir = CASES_DIR): Promise<Case[]> {
  const cases: Case[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const program = join(dir, name, 'case.ml');
    const manifestPath = join(dir, name, 'case.json');
    if (!(await stat(program).catch(() => undefined))?.isFile()) continue;
    let data: unknown;
    try {
      data = JSON.parse(await readFile(manifestPath, 'utf8'));
    } catch (error) {
      throw new UserError(
        `case ${name}: ${manifestPath} cannot be read as JSON: ${(error as Error).message}`,
        EXIT.usage,
        'Fix the manifest',
      );
    }
    cases.push({ manifest: parseManifest(name, data), program, stub: join(dir, '_stub', 'lwtr_stubs.c') });
  }
  return cases;
}

/** The cases named by --case (all when none), with a clear error for an unknown name. */
export function selectCases(all: Case[], names: string[] | undefined): Case[] {
  if (!names || names.length === 0) return all;
  return names.map((name) => {
    const found = all.find((c) => c.manifest.name === name);
    if (!found)
      throw new UserError(
        `unknown case '${name}'`,
        EXIT.usage,
        `Known cases: ${all.map((c) => c.manifest.name).join(', ')}`,
      );
    return found;
  });
}
