import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Step } from './build-steps.js';
import { findlibConf } from './findlib-conf.js';
import { writeResultPackage } from './result-package.js';

/**
 * Where a compiler is being installed: `prefix` is the place it was
 * configured for; `destdir` the DESTDIR it is installed under now ('' when
 * it is built in its final place), so that its files are at destdir+prefix.
 */
export interface InstallPlace {
  prefix: string;
  destdir: string;
}

export const installedAt = (p: InstallPlace) => (p.destdir ? join(p.destdir, p.prefix) : p.prefix);

/**
 * The environment that runs the compiler being installed: its native `.opt`
 * tools under their plain names first on PATH (a staged compiler's bytecode
 * tools start with `#!<prefix>/bin/ocamlrun`, not there yet), and OCAMLLIB
 * its standard library where it is now.
 */
export async function compilerEnv(place: InstallPlace, work: string): Promise<Record<string, string>> {
  const installed = installedAt(place);
  const shims = join(work, 'tools');
  await mkdir(shims, { recursive: true });
  for (const name of await readdir(join(installed, 'bin')))
    if (name.endsWith('.opt')) await symlink(join(installed, 'bin', name), join(shims, name.slice(0, -4)));
  return {
    PATH: `${shims}:${join(installed, 'bin')}:${process.env.PATH ?? ''}`,
    OCAMLLIB: join(installed, 'lib', 'ocaml'),
  };
}

/**
 * findlib from Debian's source (`tarball`), built with the compiler being
 * installed and installed beside it, and the `result` package old Lwt
 * versions need. Its findlib.conf is then written with the final paths, the
 * compiler's tools named absolutely so that `<prefix>/bin/ocamlfind` uses
 * this compiler whatever PATH holds.
 */
export async function installFindlib(tarball: string, place: InstallPlace, work: string, step: Step): Promise<void> {
  const { prefix, destdir } = place;
  const installed = installedAt(place);
  const env = await compilerEnv(place, work);
  await step('unpack findlib', 'tar', ['xzf', tarball, '-C', work], work);
  const dir = join(work, (await readdir(work)).find((f) => f.startsWith('findlib-'))!);
  // configure runs tools/extract_args, which its Makefile builds as bytecode, and bytecode starts with
  // #!<prefix>/bin/ocamlrun, not there yet: built natively first, configure's make finds it up to date.
  const extractor = join(dir, 'tools', 'extract_args');
  await step(
    'findlib extract_args: ocamllex',
    'ocamllex',
    ['-q', '-o', 'extract_args.ml', 'extract_args.mll'],
    extractor,
    env,
  );
  await step('findlib extract_args: ocamlopt', 'ocamlopt', ['-o', 'extract_args', 'extract_args.ml'], extractor, env);
  const sitelib = join(prefix, 'lib', 'ocaml', 'site-lib');
  const conf = join(prefix, 'etc', 'findlib.conf');
  const configure = ['-bindir', join(prefix, 'bin'), '-mandir', join(prefix, 'man'), '-sitelib', sitelib];
  // Debian's camlp4, on PATH, belongs to another compiler; a compiler's own camlp4 brings its META.
  await step(
    'configure findlib',
    './configure',
    [...configure, '-config', conf, '-no-topfind', '-no-camlp4'],
    dir,
    env,
  );
  await step('make findlib', 'make', ['all', 'opt'], dir, env);
  await step('install findlib', 'make', ['install', ...(destdir ? [`DESTDIR=${destdir}`] : [])], dir, env);
  const result = await writeResultPackage(join(destdir, sitelib));
  for (const [tool, args] of result.commands) await step(`result package: ${tool}`, tool, args, result.dir, env);
  const tools = { ocamlc: 'ocamlc.opt', ocamlopt: 'ocamlopt.opt', ocamldep: 'ocamldep.opt' };
  const stdlib = join(prefix, 'lib', 'ocaml');
  await mkdir(join(installed, 'etc'), { recursive: true });
  await writeFile(
    join(installed, 'etc', 'findlib.conf'),
    findlibConf({ bin: join(prefix, 'bin'), stdlib, sitelib, tools }),
  );
}
