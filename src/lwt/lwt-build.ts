import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { digest } from '../cache/digest.js';
import { isComplete, publishDir, stagingFor } from '../cache/publish.js';
import { cacheRoot } from '../paths.js';
import { progress, secondsSince } from '../progress.js';
import type { Result } from '../result.js';
import { type Toolchain, toolCommand } from '../toolchain/ocamlfind.js';
import { BuildFailed, isTransientFsError } from './build-step.js';
import { checkCToolchain } from './c-toolchain.js';
import { buildExtensions, type Camlp4, extensionSources } from './camlp4.js';
import { compilerConfig } from './compiler-config.js';
import { buildCore, coreFiles } from './core-build.js';
import { FINDLIB_DIR, type MetaPackage, writeMeta } from './findlib-tree.js';
import { installedPackages } from './installed-packages.js';
import type { LwtSource } from './source.js';
import { stringFlags, writesIntoStrings } from './string-mode.js';
import { buildUnixModules, buildUnixStubs, configureUnix, prepareModules } from './unix-build.js';
import { listFiles, unixDirOf, unixInputDirs } from './unix-tree.js';

/** Whether lwt.unix can be linked, or why not (its compiler's first error). */
export type UnixStatus = Result<object>;

/** How a case links against a Lwt: by findlib packages, from the compiler's own directory or a build's findlib tree. */
export interface LwtBuild {
  /** Identity of the build, part of every case's cache key. */
  key: string;
  /** The findlib directory to put first on OCAMLPATH (a from-source build); none for the installed Lwt. */
  findlibPath?: string;
  /** The findlib directories of the packages rebuilt against it that a case links (src/world/), before it. */
  world?: string[];
  unix: UnixStatus;
}

export type LwtBuildResult = Result<{ build: LwtBuild }> & { cached: boolean; ms: number };

/**
 * Bump when the recipe changes, so that old cache entries are not reused.
 * 7: lwt.unix goes through a compatibility shim (compat.ts) in the build's
 * copy of the tree: re-exports of Unix's variant types get the constructors
 * the compiler added since the era (`O_KEEPEXEC`, `SO_REUSEPORT`, …), and
 * uses of Unix and Bigarray functions it changed (`Unix.socketpair` as a
 * value) or removed (`Bigarray.Array1.map_file`) are rewritten to what
 * replaced them; nothing else of Lwt is changed. A library using pa_lwt's
 * `raise_lwt` is expanded with camlp4 even when all its files parse.
 * 8: lwt.unix's C stubs are compiled at -O0 (c-stubs.ts).
 */
const RECIPE = 8;

/** The findlib Lwt: nothing to build; its identity is its version and its library files. */
export async function installedBuild(source: LwtSource, toolchain: Toolchain): Promise<LwtBuild> {
  const library = async (file: string) =>
    digest((await readFile(join(source.dir, file)).catch(() => Buffer.alloc(0))).toString('base64'));
  const [file, args] = toolCommand(toolchain, 'ocamlfind', ['query', 'lwt.unix']);
  const unix = await execa(file, args, { reject: false, all: true });
  return {
    key: digest([
      'installed',
      toolchain.ocamlVersion,
      source.version,
      await library('lwt.cmxa'),
      await library('unix/lwt_unix.cmxa'),
    ]),
    unix:
      unix.exitCode === 0
        ? { ok: true }
        : { ok: false, error: `the installed Lwt has no lwt.unix: ${(unix.all ?? '').trim().split('\n')[0]}` },
  };
}

/** The OCaml sources of the core and of lwt.unix's directories, as text. */
async function treeSources(root: string, core: Map<string, string>): Promise<string[]> {
  const paths = [...core.values()];
  const unixDir = await unixDirOf(root);
  if (unixDir)
    for (const dir of await unixInputDirs(root, unixDir))
      for (const p of await listFiles(root, dir)) if (/\.mli?$/.test(p)) paths.push(join(root, p));
  return Promise.all(paths.map((p) => readFile(p, 'latin1')));
}

/** Everything the build reads from the tree, by path and content: the cache key. */
async function inputs(root: string, core: Map<string, string>): Promise<[string, string][]> {
  const paths = new Set([...core.values()].map((p) => relative(root, p)));
  for (const p of await extensionSources(root)) paths.add(relative(root, p));
  const unixDir = await unixDirOf(root);
  if (unixDir)
    for (const dir of await unixInputDirs(root, unixDir)) for (const p of await listFiles(root, dir)) paths.add(p);
  const out: [string, string][] = [];
  for (const p of [...paths].sort()) out.push([p, digest((await readFile(join(root, p))).toString('base64'))]);
  return out;
}

/**
 * Builds Lwt from a source tree without its own build system (which changed
 * in every era): the core, then lwt.unix with its C stubs (and lwt.log where
 * the era has it), laid out as a findlib tree. Cached by (compiler and its configuration,
 * installed findlib packages, sources, C toolchain, recipe). A core that does not build makes the whole
 * build untestable; a lwt.unix that does not build makes only lwt.unix
 * untestable. Only a compiler's diagnostic is remembered: a failure of the
 * machine (full disk, signal, time-out) is reported and tried again next time.
 */
export async function buildLwtFromSource(source: LwtSource, toolchain: Toolchain): Promise<LwtBuildResult> {
  const started = performance.now();
  const ms = () => performance.now() - started;
  const core = await coreFiles(source.dir);
  if (!core)
    return {
      ok: false,
      error: `no Lwt core modules in ${source.dir} (looked for src/core/lwt.ml and src/lwt.mllib)`,
      log: '',
      ms: ms(),
      cached: false,
    };
  const cc = await checkCToolchain(toolchain);
  const config = await compilerConfig(toolchain, source.dir);
  const packages = await installedPackages(toolchain, source.dir);
  const key = digest([
    'source',
    RECIPE,
    toolchain.ocamlVersion,
    config.text,
    packages,
    cc,
    await inputs(source.dir, core),
  ]);
  const dir = join(cacheRoot(), 'lwt', key.slice(0, 24));
  const failedMarker = `${dir}.untestable.json`;
  const previous = await readFile(failedMarker, 'utf8').catch(() => undefined);
  // A tree whose core failed to compile fails again: remembered, so bisect and gate do not retry it.
  if (previous)
    return { ...(JSON.parse(previous) as { error: string; log: string }), ok: false, ms: ms(), cached: true };
  if (await isComplete(dir)) return { ok: true, build: await readBuild(dir, key), cached: true, ms: ms() };

  const staging = stagingFor(dir);
  await mkdir(join(staging, FINDLIB_DIR, 'lwt'), { recursive: true });
  await mkdir(join(staging, 'work', 'tree'), { recursive: true });
  progress(`building Lwt ${source.label} from source (core and lwt.unix)`);
  try {
    const unix = await buildInto(staging, source, toolchain, core);
    await writeFile(join(staging, 'build.json'), JSON.stringify({ unix }));
    await rm(join(staging, 'work'), { recursive: true, force: true });
    await publishDir(staging, dir);
    progress(`built Lwt ${source.label} in ${secondsSince(started)}${unix.ok ? '' : ' (lwt.unix untestable)'}`);
    return { ok: true, build: await readBuild(dir, key), cached: false, ms: ms() };
  } catch (error) {
    const failure = asBuildFailure(error);
    progress(`Lwt ${source.label} does not build (${secondsSince(started)}): ${failure.error}`);
    if (!failure.transient) await writeFile(failedMarker, JSON.stringify({ error: failure.error, log: failure.log }));
    const error_ = failure.transient ? `${failure.error} (a failure of the machine: not remembered)` : failure.error;
    return { ok: false, error: error_, log: failure.log, ms: ms(), cached: false };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * The build proper, in the staging entry. lwt.unix is configured first
 * (copy, configuration, job generator); then its C stubs compile, and its
 * OCaml sources are generated, made compatible and sorted, while the core
 * compiles; its modules compile as soon as the core's have (while the core
 * is archived and the stubs go on).
 */
async function buildInto(
  entry: string,
  source: LwtSource,
  toolchain: Toolchain,
  core: Map<string, string>,
): Promise<UnixStatus> {
  const work = join(entry, 'work');
  let extensions: Promise<Camlp4> | undefined;
  const camlp4 = () => {
    extensions ??= extensionSources(source.dir).then((s) => buildExtensions(toolchain, s, join(work, 'camlp4')));
    return extensions;
  };
  const cc = await checkCToolchain(toolchain);
  const strings = stringFlags(
    writesIntoStrings(await treeSources(source.dir, core)),
    (await compilerConfig(toolchain, source.dir)).unsafeStringAllowed,
  );
  const configured = settle(configureUnix(toolchain, source.dir, join(work, 'tree'), cc));
  const stubs = configured.then((c) =>
    c.status === 'fulfilled' ? settle(buildUnixStubs(toolchain, c.value, entry)) : c,
  );
  const prepared = configured.then((c) => (c.status === 'fulfilled' ? settle(prepareModules(toolchain, c.value)) : c));
  const coreStarted = settle(buildCore(toolchain, core, entry, camlp4, strings.flags));
  const coreCompiled = coreStarted.then((c) => (c.status === 'fulfilled' ? c.value.compiled : false));
  // lwt.unix's modules need the core's modules, not its archive, and the stubs only at link time.
  const modules = prepared.then((p) =>
    p.status === 'fulfilled'
      ? settle(buildUnixModules(toolchain, p.value, entry, camlp4, strings.flags, coreCompiled))
      : p,
  );
  let coreMeta: MetaPackage;
  try {
    const started = await coreStarted;
    if (started.status === 'rejected') throw started.reason;
    coreMeta = await started.value.meta;
  } catch (error) {
    await Promise.all([stubs, modules]);
    throw error;
  }
  let unix: UnixStatus = { ok: true };
  let subs: Partial<Record<'unix' | 'log', MetaPackage>> = {};
  try {
    // Every step ends before a failure is reported; the first in build order is: configuration, C stubs, modules.
    const [p, archived, built] = await Promise.all([prepared, stubs, modules]);
    if (p.status === 'rejected') throw p.reason;
    if (archived.status === 'rejected') throw archived.reason;
    if (built.status === 'rejected') throw built.reason;
    subs = built.value;
  } catch (error) {
    const failure = asBuildFailure(error);
    if (failure.transient) throw failure;
    unix = { ok: false, error: strings.hint ? `${failure.error} (${strings.hint})` : failure.error };
    subs = {};
  }
  await writeMeta(entry, source.version, coreMeta, subs);
  return unix;
}

/**
 * A step's value or what it threw, as a value (the standard settled shape),
 * so that a step running beside another never goes unobserved.
 */
async function settle<T>(p: Promise<T>): Promise<PromiseSettledResult<T>> {
  return (await Promise.allSettled([p]))[0]!;
}

/** A build step's failure, or a file-system error of the machine (transient); anything else is a bug and rethrown. */
function asBuildFailure(error: unknown): BuildFailed {
  if (error instanceof BuildFailed) return error;
  if (isTransientFsError(error)) return new BuildFailed(String((error as Error).message), '', true);
  throw error;
}

async function readBuild(dir: string, key: string): Promise<LwtBuild> {
  const saved = JSON.parse(await readFile(join(dir, 'build.json'), 'utf8')) as { unix: UnixStatus };
  return { key, findlibPath: join(dir, FINDLIB_DIR), unix: saved.unix };
}

/** The Lwt build a source needs: none for the installed findlib package, a from-source build otherwise. */
export async function buildLwt(source: LwtSource, toolchain: Toolchain): Promise<LwtBuildResult> {
  // A command case's program brings its own Lwt: there is nothing to build or link.
  if (source.origin === 'as-built')
    return { ok: true, build: { key: 'as-built', unix: { ok: true } }, cached: true, ms: 0 };
  if (source.origin === 'installed')
    return { ok: true, build: await installedBuild(source, toolchain), cached: true, ms: 0 };
  return buildLwtFromSource(source, toolchain);
}
