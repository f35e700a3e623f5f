import { copyFile, mkdir } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { execa } from 'execa';
import { exists } from '../io/exists.js';
import { type Toolchain, toolCommand } from '../toolchain/ocamlfind.js';
import { BuildFailed, runStep } from './build-step.js';
import { inCode } from './ocaml-text.js';

/**
 * Lwt 2.x wrote parts of its sources in its own camlp4 syntax, with the
 * extensions shipped in the tree: pa_lwt (2.0 on), pa_log (2.1), its
 * successor pa_lwt_log and the options module (2.2 on), pa_optcomp's
 * `#if`/`#include` (2.3.0 to 2.4.6). Their _tags apply them to every source
 * file; they are loaded in this order.
 */
const EXTENSIONS = ['pa_lwt_options', 'pa_lwt', 'pa_log', 'pa_lwt_log', 'pa_optcomp'];

/**
 * Where the eras keep them: syntax/ (2.0 to 2.5), src/camlp4/ (2.6 to 3.3),
 * the options module in src/camlp4/options/ (3.1 to 3.3).
 */
const DIRS = ['syntax', join('src', 'camlp4'), join('src', 'camlp4', 'options')];

/** The tree's extensions, compiled: the plugins camlp4o loads, in order. */
export interface Camlp4 {
  plugins: string[];
  /** pa_optcomp is among them: it needs `-let windows=false` (2.3's myocamlbuild.ml passes the OS that way). */
  optcomp: boolean;
}

/** The extension sources of a tree (.mli before .ml), or none when it has no pa_lwt. */
export async function extensionSources(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of EXTENSIONS)
    for (const ext of ['.mli', '.ml'])
      for (const dir of DIRS) if (await exists(join(root, dir, name + ext))) found.push(join(root, dir, name + ext));
  return found.some((p) => basename(p) === 'pa_lwt.ml') ? found : [];
}

/**
 * Compiles the extensions with the compiler's camlp4: each source is expanded
 * by camlp4of (quotations and grammar extensions, which the extensions are
 * written with) into a file of its own, then compiled against camlp4's library.
 */
export async function buildExtensions(toolchain: Toolchain, sources: string[], dir: string): Promise<Camlp4> {
  await mkdir(join(dir, 'src'), { recursive: true });
  await requireMatchingCamlp4(toolchain, dir);
  for (const source of sources) {
    const name = basename(source);
    await copyFile(source, join(dir, 'src', name));
    await runStep(toolchain, 'camlp4of', [join('src', name), '-o', name], { cwd: dir, what: `camlp4 ${name}` });
    await runStep(toolchain, 'ocamlfind', ['ocamlc', '-w', '-a', '-package', 'camlp4', '-c', name], {
      cwd: dir,
      what: name,
    });
  }
  const plugins = sources.filter((s) => s.endsWith('.ml')).map((s) => join(dir, basename(s).replace(/\.ml$/, '.cmo')));
  return { plugins, optcomp: plugins.some((p) => basename(p) === 'pa_optcomp.cmo') };
}

/**
 * camlp4 is built for one compiler and reads that compiler's library: the one
 * on PATH (Debian's, for its 4.13.1) reports another version, or aborts when
 * pointed at another compiler's library (SIGABRT under `--ocaml`'s OCAMLLIB).
 * That is a fact of the compiler chosen, not of the machine's state, so it is
 * a build failure that is remembered, saying what would make the tree buildable.
 */
async function requireMatchingCamlp4(toolchain: Toolchain, dir: string): Promise<void> {
  const [file, args] = toolCommand(toolchain, 'camlp4of', ['-version']);
  const r = await execa(file, args, { cwd: dir, reject: false, all: true });
  const version = String(r.stdout).trim();
  if (r.exitCode === 0 && version === toolchain.ocamlVersion) return;
  if ((r as { code?: string }).code === 'ENOENT') await runStep(toolchain, 'camlp4of', ['-version'], { cwd: dir });
  const found =
    r.exitCode === 0 ? `camlp4 ${version}` : `camlp4 (${r.signal ? `killed by ${r.signal}` : r.shortMessage})`;
  throw new BuildFailed(
    `the tree is written in Lwt's camlp4 syntax, and the ${found} does not work with OCaml ` +
      `${toolchain.ocamlVersion}: use a compiler that has a camlp4 of its own, e.g. Debian's 4.13.1`,
    `$ camlp4of -version\n${r.all ?? ''}`,
    false,
  );
}

/**
 * Expands one source file into `output` (camlp4's binary syntax tree, which
 * ocamlopt and ocamldep read as they read source), run in `cwd`, where
 * pa_optcomp resolves `#include "src/unix/lwt_config.ml"`.
 */
export async function preprocess(
  toolchain: Toolchain,
  camlp4: Camlp4,
  source: string,
  output: string,
  cwd: string,
): Promise<void> {
  const options = camlp4.optcomp ? ['-let', 'windows=false'] : [];
  const kind = source.endsWith('.mli') ? '-intf' : '-impl';
  // Relative where it can be, so that the compiler's errors name the tree's file, not the build's copy.
  const path = relative(cwd, source).startsWith('..') ? source : relative(cwd, source);
  await runStep(toolchain, 'camlp4o', [...camlp4.plugins, ...options, kind, path, '-o', output], {
    cwd,
    what: basename(source),
  });
}

/**
 * Whether sources use pa_lwt's syntax in a form that also parses as plain
 * OCaml, `raise_lwt e` and `assert_lwt e` (pa_lwt 2.x; without expansion they
 * are unbound values): such a library must go through camlp4 although no
 * file fails to parse. 2.4.4 to 2.4.6's lwt.log (src/logger/lwt_log_core.ml)
 * is one. Comments and strings do not count.
 */
export function usesPlainParsingSyntax(sources: string[]): boolean {
  return sources.some((s) => inCode(/\b(?:raise_lwt|assert_lwt)\b/, s));
}
