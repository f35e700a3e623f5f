import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { isDirectory } from '../io/exists.js';
import { progress } from '../progress.js';
import type { Toolchain } from '../toolchain/ocamlfind.js';
import { BuildFailed, runStep } from './build-step.js';
import { compileStubs } from './c-stubs.js';
import type { CToolchain } from './c-toolchain.js';
import type { Camlp4 } from './camlp4.js';
import { applyCompat } from './compat.js';
import { eraConfig } from './era-config.js';
import { type MetaPackage, packageDir, packagesUsed } from './findlib-tree.js';
import { installedOf } from './installed-packages.js';
import { compileLibrary } from './ocaml-library.js';
import {
  configNeeds,
  cSources,
  jobGenerator,
  librarySources,
  listFiles,
  unixDirOf,
  unixInputDirs,
} from './unix-tree.js';

/** lwt.unix's sources in a tree of the build's own, configured and generated, ready to compile. */
export interface PreparedUnix {
  /** The build's copy of the tree's lwt.unix (and logger) directories. */
  tree: string;
  unixDir: string;
  /** C libraries to link (libev where the era uses it, pthread). */
  libraries: string[];
  /** src/logger, compiled as lwt.log (2.4.4 to 3.3), when lwt.unix uses it. */
  logger: boolean;
}

/**
 * Copies lwt.unix's directories into `tree`, writes what the era's configure
 * step would have written there, and runs what its build ran before compiling:
 * the job-stub generator (2.4 to 3.3, with `ocaml`), cppo (`.cppo.ml`, 2.7.1
 * on), ocamllex (the log rules, 2.1 to 3.3). The tree the user gave is never
 * written to.
 */
export async function prepareUnix(
  toolchain: Toolchain,
  root: string,
  tree: string,
  cc: CToolchain,
): Promise<PreparedUnix> {
  const unixDir = await unixDirOf(root);
  if (!unixDir)
    throw new BuildFailed('the tree has no lwt.unix (looked for src/unix/ and src/lwt_unix.mllib)', '', false);
  for (const dir of await unixInputDirs(root, unixDir)) await cp(join(root, dir), join(tree, dir), { recursive: true });
  const needs = await configNeeds(tree, unixDir, cc.libev);
  const config = eraConfig(needs);
  for (const file of config.files) await writeFile(join(tree, file.path), file.text);

  const generator = await jobGenerator(tree, unixDir);
  if (generator) {
    await mkdir(join(tree, unixDir, 'jobs-unix'), { recursive: true });
    await runStep(toolchain, 'ocaml', [generator.script], { cwd: join(tree, generator.cwd), what: 'gen_stubs.ml' });
  }
  const logger = join('src', 'logger');
  const hasLogger = unixDir !== 'src' && (await isDirectory(join(tree, logger)));
  const dirs = hasLogger ? [unixDir, logger] : [unixDir];
  for (const dir of dirs) {
    for (const file of await listFiles(tree, dir)) {
      const cppo = /^(.*)\.cppo\.(mli?)$/.exec(file);
      if (cppo) {
        const out = `${cppo[1]}.${cppo[2]}`;
        await runStep(toolchain, 'cppo', ['-V', `OCAML:${toolchain.ocamlVersion}`, file, '-o', out], {
          cwd: tree,
          what: basename(file),
        });
        await rm(join(tree, file));
      } else if (file.endsWith('.mll')) {
        await runStep(toolchain, 'ocamllex', ['-q', file, '-o', file.replace(/\.mll$/, '.ml')], {
          cwd: tree,
          what: basename(file),
        });
        await rm(join(tree, file));
      }
    }
  }
  const sources = (await Promise.all(dirs.map((d) => listFiles(tree, d)))).flat().filter((f) => /\.mli?$/.test(f));
  for (const change of await applyCompat(toolchain, tree, sources))
    progress(`compatibility shim: ${change.file}: ${change.what}`);
  const unixUsesLogger = await usesModule(tree, await librarySources(tree, unixDir), 'Lwt_log_core');
  return { tree, unixDir, libraries: config.libraries, logger: hasLogger && unixUsesLogger };
}

async function usesModule(tree: string, sources: string[], module: string): Promise<boolean> {
  const texts = await Promise.all(sources.map((s) => readFile(join(tree, s), 'latin1')));
  return texts.some((t) => t.includes(`${module}.`));
}

/** The stubs, compiled and archived as liblwt_unix_stubs.a in lib/lwt/unix/. */
export async function buildUnixStubs(toolchain: Toolchain, unix: PreparedUnix, entry: string): Promise<void> {
  const sources = await cSources(unix.tree, unix.unixDir);
  const includes = [unix.unixDir, join(unix.unixDir, 'unix_c')];
  const objects = await compileStubs(toolchain, unix.tree, sources, includes);
  const dir = packageDir(entry, 'unix');
  await mkdir(dir, { recursive: true });
  const paths = objects.map((o) => relative(dir, join(unix.tree, o)));
  await runStep(toolchain, 'ocamlfind', ['ocamlmklib', '-custom', '-o', 'lwt_unix_stubs', ...paths], {
    cwd: dir,
    what: 'liblwt_unix_stubs.a',
  });
}

/** lwt.unix's modules (and lwt.log's where it has one), compiled against the core in lib/lwt/. */
export async function buildUnixModules(
  toolchain: Toolchain,
  unix: PreparedUnix,
  entry: string,
  camlp4: () => Promise<Camlp4>,
  flags: string[],
): Promise<Partial<Record<'unix' | 'log', MetaPackage>>> {
  const library = async (sourceDir: string, sub: 'unix' | 'log', includes: string[], cclib: string[]) => {
    const sources = await librarySources(unix.tree, sourceDir, sub === 'log' ? ['lwt-log.mllib'] : undefined);
    const files = new Map(sources.map((s) => [basename(s), join(unix.tree, s)]));
    const texts = await Promise.all(sources.map((s) => readFile(join(unix.tree, s), 'latin1')));
    const packages = await installedOf(toolchain, unix.tree, packagesUsed(texts));
    const dir = packageDir(entry, sub);
    await mkdir(dir, { recursive: true });
    await compileLibrary(toolchain, {
      archive: `lwt_${sub}`,
      files,
      dir,
      camlp4: { get: camlp4, cwd: unix.tree },
      packages,
      includes,
      cclib,
      flags,
    });
    return packages;
  };
  const core = packageDir(entry);
  const meta: Partial<Record<'unix' | 'log', MetaPackage>> = {};
  const includes = [core];
  if (unix.logger) {
    meta.log = {
      requires: ['lwt', ...(await library(join('src', 'logger'), 'log', [core], []))],
      archive: 'lwt_log.cmxa',
    };
    includes.push(packageDir(entry, 'log'));
  }
  const cclib = ['-llwt_unix_stubs', ...unix.libraries];
  const packages = await library(unix.unixDir, 'unix', includes, cclib);
  meta.unix = { requires: ['lwt', ...(unix.logger ? ['lwt.log'] : []), ...packages], archive: 'lwt_unix.cmxa' };
  return meta;
}
