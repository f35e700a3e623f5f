import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { digest } from '../cache/digest.js';
import { isComplete, publishDir, stagingFor } from '../cache/publish.js';
import type { Case } from '../cases/load-cases.js';
import type { LwtBuild } from '../lwt/lwt-build.js';
import type { LwtSource } from '../lwt/source.js';
import { cacheRoot } from '../paths.js';
import { progress, secondsSince } from '../progress.js';
import type { Failure, Result } from '../result.js';
import type { Toolchain } from '../toolchain/ocamlfind.js';
import { type DependentSource, fromDebian, fromLwtTree, fromOpam, fromProject } from './dependent-source.js';
import { type DependentProblem, lwtDependents } from './dependents.js';
import { duneLibraries } from './dune-libraries.js';
import { requiresGraph } from './findlib-graph.js';
import { buildPackage } from './package-build.js';

/** The findlib directories to put before the Lwt build on OCAMLPATH: its dependents, rebuilt against it. */
export type World = Result<{ paths: string[]; rebuilt: string[] }> | (Failure & { dependent: DependentProblem });

/** Where the user keeps sources of packages built on Lwt, besides the Lwt tree and Debian. */
export interface WorldPlaces {
  /**
   * Where the project keeps the sources of packages built on Lwt, by findlib
   * name (lwt-regress.json's "sources", absolute): tried first after the Lwt tree.
   */
  sources?: Record<string, string>;
  /** The opam root whose repositories `opam source` asks (--opam-root; else opam's own). */
  opamRoot?: string;
}

/**
 * The packages a case reaches that depend on Lwt, rebuilt against the Lwt
 * under test (src/world/dependents.ts), each from the first source that has
 * it (the Lwt tree, the project's "sources", opam, Debian's source package) with its own build
 * (dune, topkg), into a cache entry of its own keyed by the compiler, the Lwt
 * build, the package and its sources. The installed Lwt needs none.
 */
export function worldFor(
  toolchain: Toolchain,
  source: LwtSource,
  lwt: LwtBuild,
  packages: string[],
  places: WorldPlaces = {},
): Promise<World> {
  // Asked once per run for a build and packages: the probe cache keys a verdict by it, and the probe builds with it.
  const key = JSON.stringify([toolchain.prefix, lwt.key, source.dir, packages, places.sources, places.opamRoot]);
  let found = asked.get(key);
  if (!found) {
    found = buildWorld(toolchain, { source, lwt, sources: places.sources ?? {}, opamRoot: places.opamRoot }, packages);
    asked.set(key, found);
    found.catch(() => asked.delete(key));
  }
  return found;
}

const asked = new Map<string, Promise<World>>();

/** What a world is built on: the Lwt (its source and its build), and where else sources of packages are. */
interface Base {
  source: LwtSource;
  lwt: LwtBuild;
  sources: Record<string, string>;
  opamRoot: string | undefined;
}

async function buildWorld(toolchain: Toolchain, base: Base, packages: string[]): Promise<World> {
  if (!base.lwt.findlibPath) return { ok: true, paths: [], rebuilt: [] };
  const dependents = lwtDependents(await requiresGraph(toolchain, packages), packages);
  const paths: string[] = [];
  for (const pkg of dependents) {
    const built = await dependentBuild(toolchain, base, pkg, paths);
    if (!built.ok) return built;
    paths.unshift(built.path);
  }
  return { ok: true, paths, rebuilt: dependents };
}

async function sourceOf(toolchain: Toolchain, base: Base, pkg: string): Promise<DependentSource> {
  const { source, sources, opamRoot } = base;
  const tried: string[] = [];
  for (const resolver of [
    () => fromLwtTree(source.dir, pkg),
    () => fromProject(sources, pkg),
    () => fromOpam(toolchain, pkg, opamRoot),
    () => fromDebian(toolchain, pkg),
  ]) {
    const found = await resolver();
    if (found.ok) return found;
    tried.push(found.error);
  }
  return {
    ok: false,
    error:
      `${pkg} depends on Lwt and must be rebuilt against Lwt ${source.label}, but no source of it was found ` +
      `(${tried.join('; ')}): name its source directory in lwt-regress.json's "sources", ` +
      'give an opam root whose repositories have it (--opam-root), ' +
      'or install it from Debian, whose source package lwt-regress fetches',
  };
}

async function dependentBuild(
  toolchain: Toolchain,
  base: Base,
  pkg: string,
  before: string[],
): Promise<Result<{ path: string }> | (Failure & { dependent: DependentProblem })> {
  const { source, lwt } = base;
  const found = await sourceOf(toolchain, base, pkg);
  if (!found.ok) return { ...found, dependent: { package: pkg, problem: 'no-source' } };
  const key = digest(['world', toolchain.ocamlVersion, toolchain.prefix, lwt.key, pkg, before, found.identity]);
  const entry = join(cacheRoot(), 'world', `${pkg}-${key.slice(0, 20)}`);
  if (await isComplete(entry)) return { ok: true, path: join(entry, 'lib') };
  const work = stagingFor(join(cacheRoot(), 'world', `work-${pkg}`));
  try {
    const started = performance.now();
    progress(`rebuilding ${pkg} against Lwt ${source.label}, from ${found.from}`);
    const dir = await found.materialize(work);
    const built = await buildPackage(toolchain, pkg, dir, [...before, lwt.findlibPath!], stagingFor(entry));
    progress(`${pkg}: ${built.ok ? 'rebuilt' : 'does not build'} (${secondsSince(started)})`);
    if (!built.ok && 'problem' in built) return { ...built, dependent: { package: pkg, problem: built.problem } };
    if (!built.ok) return built;
    await publishDir(built.staging, entry);
    return { ok: true, path: join(entry, 'lib') };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The findlib packages a project's cases link: an OCaml case's `packages`, a dune case's project's libraries. */
export async function casePackages(cases: Case[]): Promise<string[]> {
  const all = new Set<string>();
  for (const c of cases) {
    const program = c.manifest.program;
    const packages = program.kind === 'dune' ? await duneLibraries(resolve(c.dir, program.root)) : c.manifest.packages;
    for (const p of packages) all.add(p);
  }
  return [...all].sort();
}
