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

/**
 * lwt.unix's directories in a tree of the build's own, configured as the
 * era's configure step would have: its C stubs can compile.
 */
export interface ConfiguredUnix {
  /** The build's copy of the tree's lwt.unix (and logger) directories. */
  tree: string;
  unixDir: string;
  /** C libraries to link (libev where the era uses it, pthread). */
  libraries: string[];
}

/** lwt.unix's OCaml sources generated and made compatible too: its modules can compile. */
export interface PreparedUnix extends ConfiguredUnix {
  /** src/logger, compiled as lwt.log (2.4.4 to 3.3), when lwt.unix uses it. */
  logger: boolean;
}

/**
 * Copies lwt.unix's directories into `tree`, writes what the era's configure
 * step would have written there, and runs the job-stub generator (2.4 to
 * 3.3, with `ocaml`), which writes C and OCaml. The tree the user gave is
 * never written to.
 */
export async function configureUnix(
  toolchain: Toolchain,
  root: string,
  tree: string,
  cc: CToolchain,
): Promise<ConfiguredUnix> {
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
  return { tree, unixDir, libraries: config.libraries };
}

/**
 * What the era's build ran on the OCaml sources before compiling them: cppo
 * (`.cppo.ml`, 2.7.1 on) and ocamllex (the log rules, 2.1 to 3.3), side by
 * side; then the compatibility shim (compat.ts). Runs while the C stubs compile.
 */
export async function prepareModules(toolchain: Toolchain, unix: ConfiguredUnix): Promise<PreparedUnix> {
  const { tree, unixDir } = unix;
  const logger = join('src', 'logger');
  const hasLogger = unixDir !== 'src' && (await isDirectory(join(tree, logger)));
  const dirs = hasLogger ? [unixDir, logger] : [unixDir];
  const generate = async (file: string) => {
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
  };
  const files = (await Promise.all(dirs.map((d) => listFiles(tree, d)))).flat();
  // The first failure in file order, whichever finished first: the error is the same on every run.
  const failed = (await Promise.allSettled(files.map(generate))).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const sources = (await Promise.all(dirs.map((d) => listFiles(tree, d)))).flat().filter((f) => /\.mli?$/.test(f));
  for (const change of await applyCompat(toolchain, tree, sources))
    progress(`compatibility shim: ${change.file}: ${change.what}`);
  const unixUsesLogger = await usesModule(tree, await librarySources(tree, unixDir), 'Lwt_log_core');
  return { ...unix, logger: hasLogger && unixUsesLogger };
}

async function usesModule(tree: string, sources: string[], module: string): Promise<boolean> {
  const texts = await Promise.all(sources.map((s) => readFile(join(tree, s), 'latin1')));
  return texts.some((t) => t.includes(`${module}.`));
}

/** The stubs, compiled and archived as liblwt_unix_stubs.a in lib/lwt/unix/. */
export async function buildUnixStubs(toolchain: Toolchain, unix: ConfiguredUnix, entry: string): Promise<void> {
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

/**
 * lwt.unix's modules (and lwt.log's where it has one), compiled against the
 * core in lib/lwt/ once `coreCompiled` says its modules are (lwt.unix's once
 * lwt.log's are): their sources are copied, expanded and sorted meanwhile.
 */
export async function buildUnixModules(
  toolchain: Toolchain,
  unix: PreparedUnix,
  entry: string,
  camlp4: () => Promise<Camlp4>,
  flags: string[],
  coreCompiled: Promise<boolean>,
): Promise<Partial<Record<'unix' | 'log', MetaPackage>>> {
  const library = async (sub: 'unix' | 'log', includes: string[], cclib: string[], after: Promise<boolean>) => {
    const sourceDir = sub === 'log' ? join('src', 'logger') : unix.unixDir;
    const sources = await librarySources(unix.tree, sourceDir, sub === 'log' ? ['lwt-log.mllib'] : undefined);
    const files = new Map(sources.map((s) => [basename(s), join(unix.tree, s)]));
    const texts = await Promise.all(sources.map((s) => readFile(join(unix.tree, s), 'latin1')));
    const packages = await installedOf(toolchain, unix.tree, packagesUsed(texts));
    const dir = packageDir(entry, sub);
    await mkdir(dir, { recursive: true });
    const camlp4At = { get: camlp4, cwd: unix.tree };
    const build = compileLibrary(toolchain, {
      archive: `lwt_${sub}`,
      files,
      dir,
      camlp4: camlp4At,
      packages,
      includes,
      cclib,
      flags,
      after,
    });
    return { packages, build };
  };
  const core = packageDir(entry);
  const log = unix.logger ? await library('log', [core], [], coreCompiled) : undefined;
  const includes = log ? [core, packageDir(entry, 'log')] : [core];
  const lib = await library(
    'unix',
    includes,
    ['-llwt_unix_stubs', ...unix.libraries],
    log?.build.compiled ?? coreCompiled,
  ).catch(async (error: unknown) => {
    await log?.build.archived.catch(() => undefined);
    throw error;
  });
  // Both archives finish before a failure is reported (lwt.log's first): no step outlives the build.
  const [logDone, unixDone] = await Promise.allSettled([log?.build.archived, lib.build.archived]);
  if (logDone.status === 'rejected') throw logDone.reason;
  if (unixDone.status === 'rejected') throw unixDone.reason;
  const meta: Partial<Record<'unix' | 'log', MetaPackage>> = {};
  if (log) meta.log = { requires: ['lwt', ...log.packages], archive: 'lwt_log.cmxa' };
  meta.unix = { requires: ['lwt', ...(log ? ['lwt.log'] : []), ...lib.packages], archive: 'lwt_unix.cmxa' };
  return meta;
}
