import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { digest } from '../cache/digest.js';
import { isComplete, publishDir, stagingFor } from '../cache/publish.js';
import { exists, isDirectory } from '../io/exists.js';
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
  | { ok: false; error: string; log: string; ms: number; cached: boolean };

/** Bump when the recipe changes, so that old cache entries are not reused. */
const RECIPE = 2;

/** The findlib Lwt: nothing to build; its identity is its version and its library file. */
export async function installedBuild(source: LwtSource, toolchain: Toolchain): Promise<LwtBuild> {
  const library = await readFile(join(source.dir, 'lwt.cmxa')).catch(() => Buffer.alloc(0));
  return {
    key: digest(['installed', toolchain.ocamlVersion, source.version, digest(library.toString('base64'))]),
    linkArgs: ['-package', 'lwt', '-linkpkg'],
  };
}

interface Tree {
  /** Files to compile, by name, and where to copy each from. */
  files: Map<string, string>;
  /** Lwt's camlp4 syntax extension (pa_lwt_options.ml, pa_lwt.mli, pa_lwt.ml), for the eras that have it. */
  paLwt: string[];
}

/**
 * Which files make up Lwt's core in this tree, whatever the era:
 * src/core/ from 2.1 on; in 2.0 the core shares src/ with the Unix part, and
 * src/lwt.mllib names its modules. 6.x picks lwt_rte.ml from its
 * `.without.ml` variant, as its dune file does without a runtime events library.
 */
async function readTree(root: string): Promise<Tree | undefined> {
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
  if (!files.has('lwt.ml')) return undefined;
  // pa_lwt moved with the eras: syntax/ (2.0 to 2.5), src/camlp4/ (2.6 to 3.3), its options module into options/ (3.1 to 3.3).
  const paLwt: string[] = [];
  for (const dir of [join(root, 'syntax'), join(root, 'src', 'camlp4'), join(root, 'src', 'camlp4', 'options')]) {
    for (const name of ['pa_lwt_options.ml', 'pa_lwt.mli', 'pa_lwt.ml'])
      if (await exists(join(dir, name))) paLwt.push(join(dir, name));
  }
  return { files, paLwt: paLwt.some((p) => p.endsWith('pa_lwt.ml')) ? paLwt : [] };
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
  if (!tree)
    return {
      ok: false,
      error: `no Lwt core modules in ${source.dir} (looked for src/core/lwt.ml and src/lwt.mllib)`,
      log: '',
      ms: ms(),
      cached: false,
    };
  const inputs: [string, string][] = [];
  for (const [name, from] of [...tree.files, ...tree.paLwt.map((p) => [`pa/${basename(p)}`, p] as const)].sort())
    inputs.push([name, digest((await readFile(from)).toString('base64'))]);
  const key = digest(['source', RECIPE, toolchain.ocamlVersion, inputs]);
  const dir = join(cacheRoot(), 'lwt', key.slice(0, 24));
  const failedMarker = `${dir}.untestable.json`;
  const previous = await readFile(failedMarker, 'utf8').catch(() => undefined);
  // A tree that failed to build fails again: remembered, so bisect and gate do not retry it.
  if (previous)
    return { ...(JSON.parse(previous) as { error: string; log: string }), ok: false, ms: ms(), cached: true };
  if (await isComplete(dir)) return { ok: true, build: await sourceBuild(dir, key), cached: true, ms: ms() };

  const staging = stagingFor(dir);
  await mkdir(staging, { recursive: true });
  try {
    for (const [name, from] of tree.files) await copyFile(from, join(staging, name));
    const result = await compileCore(staging, [...tree.files.keys()], tree.paLwt, toolchain);
    if (!result.ok) {
      await writeFile(failedMarker, JSON.stringify({ error: result.error, log: result.log }));
      return { ...result, ms: ms(), cached: false };
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
  return {
    key,
    linkArgs: [
      '-I',
      dir,
      ...(packages.length ? ['-package', packages.join(',')] : []),
      '-linkpkg',
      ...order.map((m) => join(dir, m)),
    ],
  };
}

type Compiled = { ok: true; order: string[]; packages: string[] } | { ok: false; error: string; log: string };

async function compileCore(dir: string, names: string[], paLwt: string[], toolchain: Toolchain): Promise<Compiled> {
  const run = async (args: string[], cwd = dir) => {
    const [file, rest] = toolCommand(toolchain, 'ocamlfind', args);
    return execa(file, rest, { cwd, reject: false, all: true });
  };
  const available = async (pkg: string) => (await run(['query', pkg])).exitCode === 0;
  const packages: string[] = [];
  // 2.6 to 5.5 refer to Result.result; harmless elsewhere.
  if (await available('result')) packages.push('result');
  // 2.0's core has Lwt_event and Lwt_signal, on React.
  const sources = await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8')));
  if (sources.some((t) => /\bReact\./.test(t)) && (await available('react'))) packages.push('react');
  const pkgArgs = packages.length ? ['-package', packages.join(',')] : [];

  // Only trees written with Lwt's camlp4 syntax (2.0 to 2.3) fail to parse as
  // plain OCaml; camlp4 cannot parse the newer trees, so it is used only then.
  let pp: string[] = [];
  let sorted = await run(['ocamldep', '-sort', ...names]);
  if (sorted.exitCode !== 0 && /Syntax error/.test(sorted.all ?? '') && paLwt.length > 0) {
    const paDir = join(dir, '_pa');
    await mkdir(paDir);
    for (const p of paLwt) await copyFile(p, join(paDir, basename(p)));
    const order = ['pa_lwt_options.ml', 'pa_lwt.mli', 'pa_lwt.ml'].filter((f) => paLwt.some((p) => basename(p) === f));
    const r = await run(
      ['ocamlc', '-package', 'camlp4.quotations.o,camlp4.extend', '-syntax', 'camlp4o', '-c', ...order],
      paDir,
    );
    if (r.exitCode !== 0) return { ok: false, error: `pa_lwt: ${firstError(r.all ?? '')}`, log: r.all ?? '' };
    // The bytecode camlp4o: camlp4o.opt cannot load .cmo plugins. Absolute paths: camlp4 resolves them itself.
    const plugins = order.filter((f) => f.endsWith('.ml')).map((f) => join(paDir, f.replace(/\.ml$/, '.cmo')));
    pp = ['-pp', ['camlp4o', ...plugins].join(' ')];
    sorted = await run(['ocamldep', ...pp, '-sort', ...names]);
  }
  if (sorted.exitCode !== 0)
    return { ok: false, error: `ocamldep: ${firstError(sorted.all ?? '')}`, log: sorted.all ?? '' };
  const order = (sorted.stdout as string).trim().split(/\s+/).filter(Boolean);
  const log: string[] = [];
  for (const file of order) {
    const r = await run(['ocamlopt', '-g', '-w', '-a', ...pkgArgs, ...pp, '-I', '.', '-c', file]);
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
  if (source.origin === 'installed')
    return { ok: true, build: await installedBuild(source, toolchain), cached: true, ms: 0 };
  return buildLwtFromSource(source, toolchain);
}
