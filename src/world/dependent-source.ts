import { cp, mkdir, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { exists } from '../io/exists.js';
import type { Result } from '../result.js';
import { debianTarball } from '../toolchain/debian-source.js';
import { type Toolchain, toolCommand } from '../toolchain/ocamlfind.js';

/** Where a package that depends on Lwt is rebuilt from: a directory holding its build, and what it is. */
export type DependentSource = Result<{ dir: string; from: string }>;

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
 * declares the library, copied with the tree's dune-project into `work`,
 * so that dune builds that library alone, against the Lwt on OCAMLPATH.
 */
export async function fromLwtTree(tree: string, pkg: string, work: string): Promise<DependentSource> {
  const opam = join(tree, `${pkg}.opam`);
  const from = `the Lwt tree ${tree}`;
  if (!(await exists(opam)) || !(await exists(join(tree, 'dune-project'))))
    return { ok: false, error: `${from} has no ${pkg}.opam` };
  let library: string | undefined;
  for (const file of await duneFiles(join(tree, 'src')))
    if (new RegExp(`\\(public_name\\s+${pkg}\\)`).test(await readFile(file, 'utf8'))) library = join(file, '..');
  if (!library) return { ok: false, error: `no dune file of ${from} declares ${pkg}` };
  await mkdir(work, { recursive: true });
  await cp(join(tree, 'dune-project'), join(work, 'dune-project'));
  await cp(opam, join(work, `${pkg}.opam`));
  await cp(library, join(work, relative(tree, library)), { recursive: true });
  return { ok: true, dir: work, from: `${from} (${relative(tree, library)})` };
}

/**
 * Debian's source package of the installed package (as ./setup fetches
 * Lwt's): the binary package that holds its META (`dpkg -S`), its source
 * package, fetched with apt-get source and unpacked into `work`.
 */
export async function fromDebian(toolchain: Toolchain, pkg: string, work: string): Promise<DependentSource> {
  const [file, args] = toolCommand(toolchain, 'ocamlfind', ['query', pkg]);
  const where = await execa(file, args, { reject: false, env: { OCAMLPATH: undefined } });
  const meta = join(String(where.stdout).trim(), 'META');
  const owner = await execa('dpkg', ['-S', meta], { reject: false });
  if (owner.exitCode !== 0) return { ok: false, error: `${meta} is not from a Debian package` };
  const binary = String(owner.stdout).split(':')[0]!.trim();
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax, the binary's source package.
  const query = await execa('dpkg-query', ['-W', '-f', '${source:Package}', binary], { reject: false });
  const sourcePackage = String(query.stdout).trim() || binary;
  let tarball: string;
  try {
    tarball = await debianTarball({ tarball: sourcePackage, sourcePackage });
  } catch (error) {
    return { ok: false, error: `Debian's ${sourcePackage} source: ${(error as Error).message}` };
  }
  await mkdir(work, { recursive: true });
  await execa('tar', ['xf', tarball, '-C', work]);
  const [top] = await readdir(work);
  return { ok: true, dir: join(work, top!), from: `Debian's ${sourcePackage} source package (${binary})` };
}
