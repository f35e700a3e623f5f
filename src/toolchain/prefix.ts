import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { digest } from '../cache/digest.js';
import { EXIT, UserError } from '../errors.js';
import { exists } from '../io/exists.js';
import { cacheRoot } from '../paths.js';
import { findlibConf } from './findlib-conf.js';
import { hasFiberStacks } from './ocaml-version.js';
import type { Toolchain } from './ocamlfind.js';

// OCAMLLIB and CAMLLIB override a compiler's own library path: another compiler's would win.
const WITHOUT_LIBRARY_OVERRIDES = { OCAMLLIB: undefined, CAMLLIB: undefined };

const PREFIX_HINT =
  'Give the directory OCaml was installed into, the one holding bin/ocamlopt ' +
  '(npm run ocaml -- 5.3.0 builds one and prints it)';

/**
 * A compiler prefix given with --ocaml DIR (what `./configure --prefix=DIR`
 * installed): DIR/bin/ocamlopt, driven through DIR's own findlib when it has
 * one, else through the ocamlfind on PATH with a findlib.conf of our own that
 * points at this compiler. Every tool runs through `env` with DIR/bin first on
 * PATH, that findlib.conf, and OCAMLLIB set to the compiler's own library.
 */
export async function prefixToolchain(dir: string): Promise<Toolchain> {
  const root = resolve(dir);
  const bin = join(root, 'bin');
  const ocamlopt = join(bin, 'ocamlopt');
  const version = await execa(ocamlopt, ['-version'], { reject: false, env: WITHOUT_LIBRARY_OVERRIDES });
  if (version.exitCode !== 0) {
    const detail = String(version.stderr || version.shortMessage).split('\n')[0];
    throw new UserError(
      (await exists(ocamlopt))
        ? `--ocaml ${dir}: ${ocamlopt} does not run: ${detail}`
        : `--ocaml ${dir} holds no OCaml compiler (no ${ocamlopt})`,
      EXIT.toolchain,
      PREFIX_HINT,
    );
  }
  const ocamlVersion = String(version.stdout).trim();
  const stdlib = String(
    (await execa(ocamlopt, ['-where'], { reject: false, env: WITHOUT_LIBRARY_OVERRIDES })).stdout,
  ).trim();
  const own = join(bin, 'ocamlfind');
  const hasOwn = await exists(own);
  const conf = hasOwn ? await ownConf(own) : await borrowedConf(root, bin, stdlib);
  return prefixed(root, ocamlVersion, stdlib, conf, hasOwn);
}

/**
 * A compiler lwt-regress built into its cache (checked whole before this):
 * its version known, its library and findlib.conf where the build put them,
 * so that nothing needs to be started to know them.
 */
export function builtPrefixToolchain(root: string, ocamlVersion: string): Toolchain {
  return prefixed(root, ocamlVersion, join(root, 'lib', 'ocaml'), join(root, 'etc', 'findlib.conf'), true);
}

function prefixed(root: string, ocamlVersion: string, stdlib: string, conf: string, hasOwn: boolean): Toolchain {
  const bin = join(root, 'bin');
  // A compiler of lwt-regress's cache goes by its name there (`4.13.1+unsafe-string`).
  const built = dirname(root) === resolve(cacheRoot(), 'ocaml');
  return {
    ocamlVersion,
    name: built ? basename(root) : ocamlVersion,
    chosenBy: 'lwt-regress',
    description: `--ocaml ${root}${hasOwn ? '' : ', with the ocamlfind on PATH'}`,
    prefix: ['env', `PATH=${bin}:${process.env.PATH ?? ''}`, `OCAMLFIND_CONF=${conf}`, `OCAMLLIB=${stdlib}`],
    reproduce: ['--ocaml', root],
    fibers: hasFiberStacks(ocamlVersion),
  };
}

/** The configuration file the prefix's own ocamlfind was built with. */
async function ownConf(ocamlfind: string): Promise<string> {
  const r = await execa(ocamlfind, ['printconf', 'conf'], { reject: false, env: { OCAMLFIND_CONF: undefined } });
  if (r.exitCode !== 0)
    throw new UserError(
      `${ocamlfind} does not run: ${String(r.stderr || r.shortMessage).split('\n')[0]}`,
      EXIT.toolchain,
      'Reinstall findlib for this compiler, or remove it from the prefix to use the ocamlfind on PATH',
    );
  return String(r.stdout).trim();
}

/** A findlib.conf in the cache that makes the ocamlfind on PATH drive this prefix's compiler. */
async function borrowedConf(root: string, bin: string, stdlib: string): Promise<string> {
  const onPath = await execa('ocamlfind', ['printconf', 'conf'], { reject: false });
  if ((onPath as { code?: string }).code === 'ENOENT')
    throw new UserError(
      `--ocaml ${root} has no findlib (no ${join(bin, 'ocamlfind')}) and there is no ocamlfind on PATH to drive it`,
      EXIT.toolchain,
      'Install findlib into that prefix, or install one on PATH (apt-get install ocaml-findlib)',
    );
  const dir = join(cacheRoot(), 'findlib', digest([root, stdlib]).slice(0, 16));
  const sitelib = join(dir, 'site-lib');
  await mkdir(sitelib, { recursive: true });
  const native = async (tool: string) => ((await exists(join(bin, `${tool}.opt`))) ? `${tool}.opt` : tool);
  const text = findlibConf({
    bin,
    stdlib,
    sitelib,
    tools: { ocamlc: await native('ocamlc'), ocamlopt: await native('ocamlopt'), ocamldep: await native('ocamldep') },
  });
  // Written whole, then renamed: a parallel run never reads half a file.
  const conf = join(dir, 'findlib.conf');
  const temporary = `${conf}.${process.pid}`;
  await writeFile(temporary, text);
  await rename(temporary, conf);
  return conf;
}
