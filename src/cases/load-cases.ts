import type { Dirent } from 'node:fs';
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { EXIT, UserError } from '../errors.js';
import { projectRoot } from '../paths.js';
import { type CaseManifest, parseManifest } from './manifest.js';

export interface Case {
  manifest: CaseManifest;
  /** The case directory: `dune.root` and a command's program are relative to it. */
  dir: string;
  /** The OCaml sources of a case lwt-regress builds itself (every .ml and .mli of its directory). */
  sources: string[];
  /** The shared C stub linked into every case lwt-regress builds. */
  stub: string;
}

/** A case whose manifest cannot be used: it is reported, and the other cases still run. */
export interface InvalidCase {
  name: string;
  dir: string;
  why: string;
}

export interface LoadedCases {
  cases: Case[];
  invalid: InvalidCase[];
  /** Directories that look like cases but are not (no case.json): named, then skipped. */
  warnings: string[];
}

export const CASES_DIR = join(projectRoot(), 'ocaml-cases');
const STUB = join(CASES_DIR, '_stub', 'lwtr_stubs.c');

const isFile = (path: string) =>
  stat(path).then(
    (s) => s.isFile(),
    () => false,
  );

/**
 * Every case in the given cases directories (each case a directory holding
 * case.ml and case.json), the built-in ones when `dirs` is not given. A
 * directory that does not exist is the user's error; one case with a broken
 * manifest is reported as invalid without stopping the others.
 */
export async function loadCases(dirs: string[] = [CASES_DIR]): Promise<LoadedCases> {
  const loaded: LoadedCases = { cases: [], invalid: [], warnings: [] };
  const seen = new Map<string, string>();
  for (const dir of dirs) {
    const names = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOTDIR' ? 'is not a directory' : 'does not exist or cannot be read';
      throw new UserError(
        `the cases directory ${dir} ${why}`,
        EXIT.usage,
        'Give --cases (or "cases" in lwt-regress.json) a directory that holds one directory per case',
      );
    });
    for (const entry of (await caseDirectories(dir, names)).sort(byName)) {
      const where = resolve(dir, entry.name);
      const other = seen.get(entry.name);
      if (other) {
        throw new UserError(
          `two cases are named ${entry.name}: ${other} and ${where}`,
          EXIT.usage,
          'Rename one of the case directories',
        );
      }
      seen.set(entry.name, where);
      await loadOne(entry.name, where, loaded);
    }
  }
  return loaded;
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

/** The entries that are case directories: directories, and symbolic links to directories (followed). */
async function caseDirectories(dir: string, entries: Dirent[]): Promise<Dirent[]> {
  const found: Dirent[] = [];
  for (const e of entries.filter((e) => !/^[._]/.test(e.name))) {
    if (e.isDirectory()) found.push(e);
    else if (e.isSymbolicLink() && (await stat(join(dir, e.name)).catch(() => undefined))?.isDirectory()) found.push(e);
  }
  return found;
}

async function loadOne(name: string, where: string, loaded: LoadedCases): Promise<void> {
  const manifestPath = join(where, 'case.json');
  const sources = (await readdir(where))
    .filter((f) => /^[a-z][A-Za-z0-9_']*\.mli?$/i.test(f))
    .sort()
    .map((f) => join(where, f));
  // Reading a FIFO or a device would block for ever (and then no signal ends the process): regular files only.
  const irregular = [manifestPath, ...sources].filter((f) => existsSync(f) && !statSync(f).isFile());
  if (irregular.length > 0) {
    const names = irregular.map((f) => basename(f)).join(', ');
    loaded.invalid.push({ name, dir: where, why: `${names} is not a regular file (a FIFO, a device or a directory)` });
    return;
  }
  if (!(await isFile(manifestPath))) {
    if (sources.length > 0) loaded.warnings.push(`${where} has no case.json: skipped`);
    return;
  }
  let manifest: CaseManifest;
  try {
    manifest = parseManifest(name, JSON.parse(await readFile(manifestPath, 'utf8')) as unknown);
  } catch (error) {
    if (error instanceof SyntaxError) {
      loaded.invalid.push({ name, dir: where, why: `case.json is not valid JSON: ${error.message}` });
      return;
    }
    if (!(error instanceof UserError)) throw error;
    loaded.invalid.push({ name, dir: where, why: error.message.replace(/^case \S+: its /, '') });
    return;
  }
  if (manifest.program.kind === 'ocaml' && !sources.some((f) => f.endsWith('.ml'))) {
    loaded.invalid.push({ name, dir: where, why: 'holds no .ml file (nor a "dune" or "command" in case.json)' });
    return;
  }
  loaded.cases.push({ manifest, dir: where, sources: manifest.program.kind === 'ocaml' ? sources : [], stub: STUB });
}

/** The cases named by --case (all when none), with a clear error for an unknown name. */
export function selectCases(loaded: LoadedCases, names: string[] | undefined): LoadedCases {
  if (!names || names.length === 0) return loaded;
  const picked: LoadedCases = { cases: [], invalid: [], warnings: loaded.warnings };
  for (const name of names) {
    const valid = loaded.cases.find((c) => c.manifest.name === name);
    const invalid = loaded.invalid.find((c) => c.name === name);
    if (valid) picked.cases.push(valid);
    else if (invalid) picked.invalid.push(invalid);
    else {
      const known = [...loaded.cases.map((c) => c.manifest.name), ...loaded.invalid.map((c) => c.name)].sort();
      throw new UserError(`unknown case '${name}'`, EXIT.usage, `Known cases: ${known.join(', ')}`);
    }
  }
  return picked;
}

/** The one case a bisect follows: it must be valid, since a bisect of a broken case answers nothing. */
export function singleCase(loaded: LoadedCases, name: string): Case {
  const picked = selectCases(loaded, [name]);
  const invalid = picked.invalid[0];
  if (invalid) {
    throw new UserError(`case ${name} is invalid: ${invalid.why}`, EXIT.usage, `Fix ${invalid.dir}/case.json`);
  }
  const found = picked.cases[0]!;
  if (found.manifest.program.kind === 'command') {
    throw new UserError(
      `case ${name} runs a program already built ("command"), whose Lwt lwt-regress does not choose: ` +
        'there is nothing to bisect',
      EXIT.usage,
      'Bisect a case that lwt-regress builds: its own .ml files, or a "dune" target',
    );
  }
  return found;
}
