import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exists, isDirectory } from '../io/exists.js';
import type { Toolchain } from '../toolchain/ocamlfind.js';
import type { Camlp4 } from './camlp4.js';
import { type MetaPackage, packageDir, packagesUsed } from './findlib-tree.js';
import { installedOf } from './installed-packages.js';
import { compileLibrary } from './ocaml-library.js';

/** The core under way: lwt.unix's modules wait for `compiled`, the build for `meta`. */
export interface CoreBuild {
  compiled: Promise<boolean>;
  meta: Promise<MetaPackage>;
}

/**
 * Which files make up Lwt's core in this tree, whatever the era, by the name
 * each is compiled under: src/core/ from 2.1 on; in 2.0 the core shares src/
 * with the Unix part, and src/lwt.mllib names its modules. 6.x picks
 * lwt_rte.ml from its `.without.ml` variant, as its dune file does without a
 * runtime events library. Undefined when the tree has no lwt.ml.
 */
export async function coreFiles(root: string): Promise<Map<string, string> | undefined> {
  const files = new Map<string, string>();
  const core = join(root, 'src', 'core');
  if (await isDirectory(core)) {
    for (const name of await readdir(core)) {
      const variant = /^(.*)\.without\.(mli?)$/.exec(name);
      if (variant) files.set(`${variant[1]}.${variant[2]}`, join(core, name));
      else if (/^[a-z][a-z0-9_]*\.mli?$/.test(name)) files.set(name, join(core, name));
    }
  } else {
    const mllib = await readFile(join(root, 'src', 'lwt.mllib'), 'utf8').catch(() => undefined);
    for (const module of mllib?.split(/\s+/).filter((m) => /^[A-Z]\w*$/.test(m)) ?? []) {
      const base = module[0]!.toLowerCase() + module.slice(1);
      for (const ext of ['.ml', '.mli'])
        if (await exists(join(root, 'src', base + ext))) files.set(base + ext, join(root, 'src', base + ext));
    }
  }
  return files.has('lwt.ml') ? files : undefined;
}

/**
 * Compiles the core into `lib/lwt/` of the build entry, with the findlib
 * packages it uses where the compiler has them: `result` (2.6 to 5.5 refer to
 * Result.result) and `react` (2.0's Lwt_event and Lwt_signal). Returns once
 * it is under way: whether its modules compiled, and its META entry once archived.
 */
export async function buildCore(
  toolchain: Toolchain,
  files: Map<string, string>,
  entry: string,
  camlp4: () => Promise<Camlp4>,
  flags: string[],
): Promise<CoreBuild> {
  const sources = await Promise.all([...files.values()].map((f) => readFile(f, 'utf8')));
  const packages = await installedOf(toolchain, entry, packagesUsed(sources));
  const library = compileLibrary(toolchain, {
    archive: 'lwt',
    files,
    dir: packageDir(entry),
    camlp4: { get: camlp4, cwd: entry },
    packages,
    includes: [],
    cclib: [],
    flags,
  });
  return {
    compiled: library.compiled,
    meta: library.archived.then(() => ({ requires: packages, archive: 'lwt.cmxa' })),
  };
}
