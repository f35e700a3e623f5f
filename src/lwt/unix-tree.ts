import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { exists, isDirectory } from '../io/exists.js';
import { BuildFailed } from './build-step.js';
import type { ConfigNeeds } from './era-config.js';

/**
 * Where lwt.unix lives: 2.0 keeps it in src/ beside the core, its modules
 * and C objects named by src/lwt_unix.mllib and src/liblwt_unix_stubs.clib;
 * from 2.1 on it is src/unix/ (with private/ and stubs/ in 2.1, jobs-unix/
 * in 2.4 to 3.0, unix_c/ and windows_c/ from 3.2 on).
 */
export async function unixDirOf(root: string): Promise<string | undefined> {
  if (await isDirectory(join(root, 'src', 'unix'))) return join('src', 'unix');
  if (await exists(join(root, 'src', 'lwt_unix.mllib'))) return 'src';
  return undefined;
}

/** The directories (relative to the root) whose files lwt.unix's build reads: copied into the build's own tree. */
export async function unixInputDirs(root: string, unixDir: string): Promise<string[]> {
  const dirs = [unixDir];
  // 2.4.4 to 3.3: Lwt_log_core lives in src/logger (findlib lwt.log), which lwt.unix requires.
  if (unixDir !== 'src' && (await isDirectory(join(root, 'src', 'logger')))) dirs.push(join('src', 'logger'));
  return dirs;
}

/** Every file under `dir`, relative to `root`. */
export async function listFiles(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(root, path)));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

const read = (root: string, path: string) => readFile(join(root, path), 'latin1');

/** What the sources of lwt.unix show about the configuration the era's configure step wrote. */
export async function configNeeds(root: string, unixDir: string, libevInstalled: boolean): Promise<ConfigNeeds> {
  const files = (await listFiles(root, unixDir)).filter((f) => /\.(ml|mli|c|h)$/.test(f));
  const texts = await Promise.all(files.map((f) => read(root, f)));
  const c = texts.filter((_, i) => /\.[ch]$/.test(files[i]!)).join('\n');
  const ml = texts.filter((_, i) => /\.mli?$/.test(files[i]!)).join('\n');
  const macros = [...new Set(texts.join('\n').match(/\b_?HAVE_[A-Z0-9_]+/g) ?? [])];
  return {
    unixDir,
    header: /#include\s+"lwt_config\.h"/.test(c)
      ? 'lwt_config.h'
      : /#include\s+"config\.h"/.test(c)
        ? 'config.h'
        : undefined,
    featuresFiles: await exists(join(root, unixDir, 'lwt_config.h')),
    optcomp: /#include\s+"src\/unix\/lwt_config\.ml"/.test(ml),
    configModule: /\bLwt_config\./.test(ml),
    macros,
    nanosec: /\bNANOSEC\(/.test(c) && !/#define\s+NANOSEC/.test(c),
    libev: libevInstalled && files.some((f) => f.endsWith('lwt_libev_stubs.c')),
  };
}

/**
 * The generator of the job stubs (2.4 to 3.3): src/unix/gen_stubs.ml, which
 * 2.4 to 3.0's discover.ml runs with `ocaml` from the root (it writes
 * src/unix/jobs-unix/*.c and src/unix/lwt_unix_jobs_generated.ml), or
 * src/unix/stubs/gen_stubs.ml, which 3.1 to 3.3's jbuild runs in src/unix.
 */
export async function jobGenerator(
  root: string,
  unixDir: string,
): Promise<{ script: string; cwd: string } | undefined> {
  if (await exists(join(root, unixDir, 'gen_stubs.ml'))) return { script: join(unixDir, 'gen_stubs.ml'), cwd: '.' };
  if (await exists(join(root, unixDir, 'stubs', 'gen_stubs.ml')))
    return { script: join('stubs', 'gen_stubs.ml'), cwd: unixDir };
  return undefined;
}

const MLLIBS = ['lwt_unix.mllib', 'lwt-unix.mllib'];

/**
 * The source files of a library's modules, relative to the root: the ones
 * its .mllib lists (2.0 to 3.0; `private/Lwt_pqueue` is a file in private/),
 * or else every module in its directory, and for dune's `(copy_files
 * unix_c/*)` (4.0 on) in unix_c/. Generators and optcomp includes are not
 * modules. Run after the configuration and the generators wrote their files.
 */
export async function librarySources(root: string, dir: string, mllibNames: string[] = MLLIBS): Promise<string[]> {
  for (const name of mllibNames) {
    const mllib = await readFile(join(root, dir, name), 'utf8').catch(() => undefined);
    if (mllib === undefined) continue;
    const sources: string[] = [];
    for (const module of mllib.split('\n').map((l) => l.trim())) {
      if (!/^[\w/]+$/.test(module) || module.startsWith('#')) continue;
      const name = module.slice(module.lastIndexOf('/') + 1);
      const base = join(dir, dirname(module), name[0]!.toLowerCase() + name.slice(1));
      const found = [];
      for (const ext of ['.ml', '.mli', '.mll', '.cppo.ml', '.cppo.mli'])
        if (await exists(join(root, base + ext))) found.push(base + ext);
      if (!found.some((f) => !f.endsWith('.mli')))
        throw new BuildFailed(`${join(dir, name)} lists ${module}, which is not in the tree`, '', false);
      sources.push(...found);
    }
    return sources;
  }
  const sources: string[] = [];
  for (const sub of [dir, join(dir, 'unix_c')]) {
    if (!(await isDirectory(join(root, sub)))) continue;
    for (const name of (await readdir(join(root, sub))).sort())
      if (/^[a-z][a-z0-9_]*(\.cppo)?\.(ml|mli|mll)$/.test(name) && !['gen_stubs.ml', 'discover.ml'].includes(name))
        sources.push(join(sub, name));
  }
  const optcompIncluded = (f: string) => f === join(dir, 'lwt_config.ml');
  const texts = await Promise.all(sources.map((f) => read(root, f)));
  const usesOptcomp = texts.some((t) => /#include\s+"src\/unix\/lwt_config\.ml"/.test(t));
  return sources.filter((f) => !(usesOptcomp && optcompIncluded(f)));
}

/**
 * The C sources of the stubs, relative to the root: the objects a .clib
 * names (2.0 to 3.0), or else every .c file of the directory and of unix_c/,
 * windows_c/ (dune's copy_files), jobs-unix/ — less the ones another file
 * `#include`s (2.x's lwt_unix_unix.c and lwt_unix_windows.c).
 */
export async function cSources(root: string, dir: string): Promise<string[]> {
  for (const clibDir of [dir, join(dir, 'stubs')]) {
    if (!(await isDirectory(join(root, clibDir)))) continue;
    const clib = (await readdir(join(root, clibDir))).find((n) => /^liblwt[-_]unix.*\.clib$/.test(n));
    if (!clib) continue;
    const text = await readFile(join(root, clibDir, clib), 'utf8');
    return text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.endsWith('.o'))
      .map((o) => join(clibDir, o.replace(/\.o$/, '.c')));
  }
  const files: string[] = [];
  for (const sub of [dir, join(dir, 'unix_c'), join(dir, 'windows_c'), join(dir, 'jobs-unix')]) {
    if (!(await isDirectory(join(root, sub)))) continue;
    for (const name of (await readdir(join(root, sub))).sort()) if (name.endsWith('.c')) files.push(join(sub, name));
  }
  const texts = await Promise.all(files.map((f) => read(root, f)));
  const included = new Set(texts.flatMap((t) => [...t.matchAll(/#\s*include\s+"([^"]+\.c)"/g)].map((m) => m[1]!)));
  return files.filter((f) => !included.has(relative(dir, f)) && !included.has(f.slice(f.lastIndexOf('/') + 1)));
}
