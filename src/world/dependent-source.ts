import { cp, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { execa } from 'execa';
import { readCachedJson, writeFileAtomic } from '../cache/atomic-file.js';
import { digest } from '../cache/digest.js';
import { exists } from '../io/exists.js';
import { opamPackageSource } from '../lwt/opam.js';
import { listFiles } from '../lwt/unix-tree.js';
import { cacheRoot } from '../paths.js';
import type { Result } from '../result.js';
import { debianTarball } from '../toolchain/debian-source.js';
import { type Toolchain, toolCommand } from '../toolchain/ocamlfind.js';
import { installedFindlibEnv } from '../toolchain/user-ocamlpath.js';

/**
 * Where a package that depends on Lwt is rebuilt from: what it is, what
 * identifies its sources (part of the build's cache key, known without
 * copying or unpacking them), and how to lay them out for the build.
 */
export type DependentSource = Result<{
  from: string;
  identity: string;
  materialize: (work: string) => Promise<string>;
}>;

/** Every file under `dir` named `dune`, relative to it. */
async function duneFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && !entry.name.startsWith('_') && !entry.name.startsWith('.'))
      found.push(...(await duneFiles(path)));
    else if (entry.name === 'dune') found.push(path);
  }
  return found;
}

/**
 * The Lwt tree itself, for the libraries it ships in its era (lwt_react,
 * lwt_ppx, …): its `<package>.opam` and the directory whose dune file
 * declares the library, laid out with the tree's dune-project in a work
 * directory, so that dune builds that library alone, against the Lwt on OCAMLPATH.
 */
export async function fromLwtTree(tree: string, pkg: string): Promise<DependentSource> {
  const opam = join(tree, `${pkg}.opam`);
  const from = `the Lwt tree ${tree}`;
  if (!(await exists(opam)) || !(await exists(join(tree, 'dune-project'))))
    return { ok: false, error: `${from} has no ${pkg}.opam` };
  let library: string | undefined;
  for (const file of await duneFiles(join(tree, 'src')))
    if (new RegExp(`\\(public_name\\s+${pkg}\\)`).test(await readFile(file, 'utf8'))) library = join(file, '..');
  if (!library) return { ok: false, error: `no dune file of ${from} declares ${pkg}` };
  const dir = library;
  const files = ['dune-project', `${pkg}.opam`, ...(await listFiles(tree, relative(tree, dir)))];
  const identity = digest(
    await Promise.all(files.map(async (f) => [f, digest((await readFile(join(tree, f))).toString('base64'))])),
  );
  const materialize = async (work: string) => {
    await mkdir(work, { recursive: true });
    await cp(join(tree, 'dune-project'), join(work, 'dune-project'));
    await cp(opam, join(work, `${pkg}.opam`));
    await cp(dir, join(work, relative(tree, dir)), { recursive: true });
    return work;
  };
  return { ok: true, from: `${from} (${relative(tree, dir)})`, identity, materialize };
}

/**
 * A directory the project names for the package (lwt-regress.json's
 * "sources"): its own dune project, copied for the build (without its _build).
 */
export async function fromProject(sources: Record<string, string>, pkg: string): Promise<DependentSource> {
  const dir = sources[pkg];
  if (!dir) return { ok: false, error: `lwt-regress.json's "sources" names no directory for ${pkg}` };
  if (!(await exists(join(dir, 'dune-project'))))
    return { ok: false, error: `${dir}, which lwt-regress.json's "sources" names for ${pkg}, holds no dune-project` };
  const files = (await listFiles(dir, '.')).filter((f) => !/^(_build|_opam|\.git)(\/|$)/.test(f));
  const identity = digest(
    await Promise.all(files.map(async (f) => [f, digest((await readFile(join(dir, f))).toString('base64'))])),
  );
  const materialize = async (work: string) => {
    for (const f of files) {
      await mkdir(join(work, dirname(f)), { recursive: true });
      await cp(join(dir, f), join(work, f));
    }
    return work;
  };
  return { ok: true, from: `the project's sources (${dir})`, identity, materialize };
}

interface Owner {
  binary: string;
  sourcePackage: string;
  /** The binary package's version, as dpkg has it (`1.1.2-3+b1`). */
  version: string;
}

/**
 * The Debian package that installed a file, and its source package, as dpkg
 * says (`dpkg -S`, `dpkg-query`); remembered in the cache by the file's
 * path, size and time, since `dpkg -S` reads every package's file list.
 */
async function debianOwner(meta: string): Promise<Owner | undefined> {
  const seen = await stat(meta).catch(() => undefined);
  if (!seen) return undefined;
  const file = join(
    cacheRoot(),
    'world',
    'debian-owners',
    `${digest([meta, seen.size, seen.mtimeMs]).slice(0, 24)}.json`,
  );
  const known = await readCachedJson(file, (d): d is Owner =>
    ['binary', 'sourcePackage', 'version'].every((k) => typeof (d as Record<string, unknown>)?.[k] === 'string'),
  );
  if (known) return known;
  const owner = await execa('dpkg', ['-S', meta], { reject: false });
  if (owner.exitCode !== 0) return undefined;
  const binary = String(owner.stdout).split(':')[0]!.trim();
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax: source package, version.
  const query = await execa('dpkg-query', ['-W', '-f', '${source:Package}\t${Version}', binary], { reject: false });
  const [sourcePackage, version] = String(query.stdout).trim().split('\t');
  const found = { binary, sourcePackage: sourcePackage || binary, version: version ?? '' };
  // Not remembered is only slower: a cache that cannot be written changes no answer.
  await writeFileAtomic(file, JSON.stringify(found)).catch(() => undefined);
  return found;
}

/** Where findlib finds the installed package's META, and its version (no Lwt build of lwt-regress's on OCAMLPATH). */
async function installedMeta(toolchain: Toolchain, pkg: string): Promise<{ meta: string; version: string }> {
  const [file, args] = toolCommand(toolchain, 'ocamlfind', ['query', '-format', '%d\t%v', pkg]);
  const where = await execa(file, args, { reject: false, env: installedFindlibEnv() });
  const [dir = '', version = ''] = String(where.stdout).trim().split('\t');
  return { meta: join(dir, 'META'), version };
}

/**
 * Debian's source package of the installed package (as ./setup fetches
 * Lwt's): the binary package that holds its META (`dpkg -S`), its source
 * package, fetched with apt-get source, unpacked for the build.
 */
export async function fromDebian(toolchain: Toolchain, pkg: string): Promise<DependentSource> {
  const { meta } = await installedMeta(toolchain, pkg);
  const owner = await debianOwner(meta);
  if (!owner) return { ok: false, error: `${meta} is not from a Debian package` };
  const { binary, sourcePackage } = owner;
  let tarball: string;
  try {
    tarball = await debianTarball({ tarball: sourcePackage, sourcePackage });
  } catch (error) {
    return { ok: false, error: `Debian's ${sourcePackage} source: ${(error as Error).message}` };
  }
  // An upstream tarball of Debian's is one release, never changed: its name and size identify it.
  const identity = `${basename(tarball)} ${(await stat(tarball)).size}`;
  const materialize = async (work: string) => {
    await mkdir(work, { recursive: true });
    await execa('tar', ['xf', tarball, '-C', work]);
    const [top] = await readdir(work);
    return join(work, top!);
  };
  return { ok: true, from: `Debian's ${sourcePackage} source package (${binary})`, identity, materialize };
}

/**
 * The installed package's version: its META's, unless that is no release
 * (dune writes `dev` when a project names none, as lwt_log's does), then
 * the upstream part of its Debian package's version (`1:1.1.2-3+b1` → 1.1.2).
 */
async function installedVersion(toolchain: Toolchain, pkg: string): Promise<string | undefined> {
  const { meta, version } = await installedMeta(toolchain, pkg);
  if (/^\d+(\.\d+)*$/.test(version)) return version;
  const debian = (await debianOwner(meta))?.version;
  return debian ? debian.replace(/^\d+:/, '').replace(/-[^-]*$/, '') : undefined;
}

/**
 * `opam source PKG.VERSION` at the installed version, from the user's opam
 * repositories (--opam-root, else opam's own root); skipped without a root,
 * where opam has nothing to offer.
 */
export async function fromOpam(toolchain: Toolchain, pkg: string, opamRoot?: string): Promise<DependentSource> {
  const root = opamRoot ?? process.env.OPAMROOT ?? join(homedir(), '.opam');
  if (!(await exists(root))) return { ok: false, error: `there is no opam root (${root}) to ask` };
  const version = await installedVersion(toolchain, pkg);
  if (!version) return { ok: false, error: `opam cannot be asked for ${pkg}: findlib knows no version of it` };
  const fetched = await opamPackageSource(pkg, version, { root });
  if (!fetched.ok) return { ok: false, error: `opam (root ${root}): ${fetched.error}` };
  // A version of an opam package is one release, its archive checked by checksum: root, name and version identify it.
  const identity = `opam ${root} ${pkg}.${version}`;
  const materialize = async (work: string) => {
    await cp(fetched.dir, work, { recursive: true });
    return work;
  };
  return { ok: true, from: `opam source ${pkg}.${version} (root ${root})`, identity, materialize };
}
