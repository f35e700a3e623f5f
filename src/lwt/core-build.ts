import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { digest } from '../cache/digest.js';
import { isComplete, publishDir, stagingFor } from '../cache/publish.js';
import { cacheRoot } from '../paths.js';
import { type Toolchain, toolCommand } from '../toolchain/ocamlfind.js';
import type { LwtSource } from './source.js';

/** How a case links against a Lwt: the findlib package, or core modules compiled from source. */
export interface LwtBuild {
  /** Identity of the build, part of every case's cache key. */
  key: string;
  /** Arguments for `ocamlfind ocamlopt` that make the Lwt modules available and link them. */
  linkArgs: string[];
}

export type LwtBuildResult =
  | { ok: true; build: LwtBuild; cached: boolean; ms: number }
  | { ok: false; error: string; log: string; ms: number };

/** Bump when the recipe changes, so that old cache entries are not reused. */
const RECIPE = 1;

/** The findlib Lwt: nothing to build; its identity is its version and its library file. */
export async function installedBuild(source: LwtSource, toolchain: Toolchain): Promise<LwtBuild> {
  const library = await readFile(join(source.dir, 'lwt.cmxa')).catch(() => Buffer.alloc(0));
  return { key: digest(['installed', toolchain.ocamlVersion, source.version, digest(library.toString('base64'))]), linkArgs: ['-package', 'lwt', '-linkpkg'] };
}

interface Tree {
  /** Directory of the core modules. */
  coreDir: string;
  /** Files to compile, by name, and where to copy each from. */
  files: Map<string, string>;
  /** camlp4 syntax extension source, for the eras that need it. */
  paLwt: string | undefined;
}

const exists = (p: string) => readdir(p).then(() => true, () => false);

/**
 * Which files make up Lwt's core in this tree, whatever the era:
 * src/core/ from 2.1 on, src/ in 2.0 (plus src/private/); 6.x picks
 * lwt_rte.ml from its `.without.ml` variant as its dune file does when
 * there is no runtime events library.
 */
async function readTree(root: string): Promise<Tree | undefined> {
  const coreDir = (await exists(join(root, 'src', 'core'))) ? join(root, 'src', 'core') : join(root, 'src');
  if (!(await exists(coreDir))) return undefined;
  const files = new Map<string, string>();
  const dirs = [coreDir, ...((await exists(join(root, 'src', 'private'))) && coreDir === join(root, 'src') ? [join(root, 'src', 'private')] : [])];
  for (const dir of dirs) {
    for (const name of await readdir(dir)) {
      const variant = /^(.*)\.without\.(mli?)$/.exec(name);
      if (variant) files.set(`${variant[1]}.${variant[2]}`, join(dir, name));
      else if (/^[a-z][a-z0-9_]*\.mli?$/.test(name)) files.set(name, join(dir, name));
    }
  }
  if (!files.has('lwt.ml')) return undefined;
  const paLwt = [join(root, 'syntax', 'pa_lwt.ml'), join(root, 'src', 'camlp4', 'pa_lwt.ml')];
  let found: string | undefined;
  for (const p of paLwt) if (await readFile(p).then(() => true, () => false)) found = p;
  return { coreDir, files, paLwt: found };
}

/**
 * Compiles Lwt's core modules from a source tree with `ocamlfind ocamlopt -g`,
 * ordered by `ocamldep -sort`, without Lwt's own build system (which changed
 * in every era). Cached by (compiler, sources, recipe). A tree that does not
 * build is `untestable`, with the compiler's first error.
 */
export async function buildLwtFromSource(source: LwtSource, toolchain: Toolchain): Promise<LwtBuildResult> {
  const started = performance.now();
  const ms = () => performance.now() - started;
  const tree = await readTree(source.dir);
  if (!tree) return { ok: false, error: `no Lwt core modules in ${source.dir} (looked for src/core/lwt.ml and src/lwt.ml)`, log: '', ms: ms() };
  const inputs: [string, string][] = [];
  for (const [name, from] of [...tree.files].sort()) inputs.push([name, digest((await readFile(from)).toString('base64'))]);
  if (tree.paLwt) inputs.push(['pa_lwt.ml', digest((await readFile(tree.paLwt)).toString('base64'))]);
  const key = digest(['source', RECIPE, toolchain.ocamlVersion, inputs]);
  const dir = join(cacheRoot(), 'lwt', key.slice(0, 24));
  const failedMarker = `${dir}.untestable.json`;
  const previous = await readFile(failedMarker, 'utf8').catch(() => undefined);
  if (previous) return { ...(JSON.parse(previous) as { error: string; log: string }), ok: false, ms: ms() };
  if (await isComplete(dir)) return { ok: true, build: await sourceBuild(dir, key), cached: true, ms: ms() };

  const staging = stagingFor(dir);
  await mkdir(staging, { recursive: true });
  try {
    for (const [name, from] of tree.files) await copyFile(from, join(staging, name));
    const result = await compileCore(staging, [...tree.files.keys()], tree.paLwt, toolchain);
    if (!result.ok) {
      await writeFile(failedMarker, JSON.stringify({ error: result.error, log: result.log }));
      return { ...result, ms: ms() };
    }
    await writeFile(join(staging, 'link-order'), result.order.join('\n'));
    await writeFile(join(staging, 'packages'), result.packages.join(','));
    await publishDir(staging, dir);
    return { ok: true, build: await sourceBuild(dir, key), cached: false, ms: ms() };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function sourceBuild(dir: string, key: string): Promise<LwtBuild> {
  const order = (await readFile(join(dir, 'link-order'), 'utf8')).split('\n').filter(Boolean);
  const packages = (await readFile(join(dir, 'packages'), 'utf8')).split(',').filter(Boolean);
  return { key, linkArgs: ['-I', dir, ...(packages.length ? ['-package', packages.join(',')] : []), '-linkpkg', ...order.map((m) => join(dir, m))] };
}

type Compiled = { ok: true; order: string[]; packages: string[] } | { ok: false; error: string; log: string };

async function compileCore(dir: string, names: string[], paLwt: string | undefined, toolchain: Toolchain): Promise<Compiled> {
  const run = async (args: string[]) => {
    const [file, rest] = toolCommand(toolchain, 'ocamlfind', args);
    return execa(file, rest, { cwd: dir, reject: false, all: true });
  };
  const packages = (await run(['query', 'result'])).exitCode === 0 ? ['result'] : [];
  const pkgArgs = packages.length ? ['-package', packages.join(',')] : [];
  let pp: string[] = [];
  if (paLwt) {
    await copyFile(paLwt, join(dir, 'pa_lwt.ml'));
    const r = await run(['ocamlc', '-package', 'camlp4.quotations.o,camlp4.extend', '-syntax', 'camlp4o', '-c', 'pa_lwt.ml']);
    if (r.exitCode !== 0) return { ok: false, error: `pa_lwt: ${firstError(r.all ?? '')}`, log: r.all ?? '' };
    const camlp4 = await run(['query', 'camlp4']);
    pp = ['-pp', `camlp4o -I ${(camlp4.stdout as string).trim()} ${join(dir, 'pa_lwt.cmo')}`];
  }
  const sorted = await run(['ocamldep', '-sort', ...pp, ...names]);
  if (sorted.exitCode !== 0) return { ok: false, error: `ocamldep: ${firstError(sorted.all ?? '')}`, log: sorted.all ?? '' };
  const order = (sorted.stdout as string).trim().split(/\s+/).filter(Boolean);
  const log: string[] = [];
  for (const file of order) {
    let r = await run(['ocamlopt', '-g', '-w', '-a', ...pkgArgs, '-c', file]);
    // Only the modules written with Lwt's camlp4 syntax need the preprocessor; try plain OCaml first.
    if (r.exitCode !== 0 && pp.length > 0) r = await run(['ocamlopt', '-g', '-w', '-a', ...pkgArgs, ...pp, '-c', file]);
    log.push(`$ ocamlopt -c ${file}\n${r.all ?? ''}`);
    if (r.exitCode !== 0) return { ok: false, error: `${file}: ${firstError(r.all ?? '')}`, log: log.join('\n') };
  }
  return { ok: true, order: order.filter((f) => f.endsWith('.ml')).map((f) => `${basename(f, '.ml')}.cmx`), packages };
}

/** The compiler's first error with its location (`File "x.ml", line 3, characters 2-5: Error: …`). */
export function firstError(log: string): string {
  const lines = log.split('\n');
  const i = lines.findIndex((l) => /^Error|error:/i.test(l.trim()));
  if (i < 0) return lines.find((l) => l.trim())?.trim() ?? 'failed';
  let at = i - 1;
  while (at >= 0 && !/^File "/.test(lines[at]!)) at--;
  const location = at >= 0 && i - at <= 4 ? `${lines[at]!.trim()} ` : '';
  return `${location}${lines[i]!.trim()}`;
}

/** The Lwt build a source needs: none for the installed findlib package, the core compiled from source otherwise. */
export async function buildLwt(source: LwtSource, toolchain: Toolchain): Promise<LwtBuildResult> {
  if (source.origin === 'installed') return { ok: true, build: await installedBuild(source, toolchain), cached: true, ms: 0 };
  return buildLwtFromSource(source, toolchain);
}
