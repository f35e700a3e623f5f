import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withLock } from '../cache/build-lock.js';
import { isComplete, sealInPlace } from '../cache/publish.js';
import { cacheRoot } from '../paths.js';
import { trackDir, untrackDir } from '../run/interrupt.js';
import { type Step, stepRunner } from './build-steps.js';
import { type DebianPackage, debianTarball } from './debian-source.js';
import { compilerEnv, installFindlib } from './findlib-install.js';
import {
  configureFlags,
  FINDLIB,
  type InstalledOcaml,
  type InstallOptions,
  installPackages,
  OCPLIB_ENDIAN,
} from './ocaml-install.js';

/**
 * The compiler of Lwt's safe-string eras: Lwt 2.0 to 2.4.6 write into
 * strings (String.create, String.set), which every OCaml from 4.06 refuses
 * unless it was configured with --disable-force-safe-string (then
 * `-unsafe-string` is accepted; OCaml 5 removed the option). Built from
 * Debian's own sources, so that it is the 4.13.1 Debian ships but for that
 * one flag, with the camlp4 of the same source release (4.13+1) that the
 * camlp4 eras (2.0 to 2.4.6) need, and react, which 2.0's core uses.
 */
export const UNSAFE_STRING_OCAML = { name: '4.13.1+unsafe-string', version: '4.13.1' } as const;

const SOURCES = {
  ocaml: { tarball: 'ocaml', sourcePackage: 'ocaml' },
  // camlp4 is built with ocamlbuild, which is built first and installed beside it.
  ocamlbuild: { tarball: 'ocamlbuild', sourcePackage: 'ocamlbuild' },
  camlp4: { tarball: 'camlp4', sourcePackage: 'camlp4' },
  react: { tarball: 'react', sourcePackage: 'react' },
} satisfies Record<string, DebianPackage>;

/** Every Debian source package the era compiler is built from, for ./setup and the fetch before the build. */
export const ERA_SOURCES: DebianPackage[] = [...Object.values(SOURCES), FINDLIB, OCPLIB_ENDIAN];

export function eraPrefix(): string {
  return join(cacheRoot(), 'ocaml', UNSAFE_STRING_OCAML.name);
}

/**
 * The era compiler under <cache>/ocaml/4.13.1+unsafe-string/, built once
 * (about 3 minutes on 2 cores), then reused. Unlike the npm compilers it is
 * built in its final place, under a lock: camlp4's build runs the bytecode
 * programs it makes, which start with `#!<prefix>/bin/ocamlrun`, so the
 * prefix must be real while it builds. Its manifest is written last: a build
 * that fails or is interrupted leaves no manifest, and the directory is removed.
 */
export async function installEraCompiler(options: InstallOptions = {}): Promise<InstalledOcaml> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const prefix = eraPrefix();
  const cached = async (): Promise<InstalledOcaml> => ({
    prefix,
    ocamlVersion: UNSAFE_STRING_OCAML.version,
    built: false,
    packagesBuilt: await installPackages(prefix, log, UNSAFE_STRING_OCAML.version),
    ms: performance.now() - started,
  });
  if (await isComplete(prefix)) return cached();
  // All fetched before the long build, so that a missing one is said at once.
  const tarballs: string[] = [];
  for (const p of ERA_SOURCES) tarballs.push(await debianTarball(p, log));
  return withLock(
    `${prefix}.lock`,
    async () => {
      if (await isComplete(prefix)) return cached();
      await buildInPlace(prefix, tarballs, options);
      log(`OCaml ${UNSAFE_STRING_OCAML.name} is in ${prefix} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
      return { ...(await cached()), built: true };
    },
    {
      onWait: (pid) => log(`waiting for lwt-regress (pid ${pid}), which is building OCaml ${UNSAFE_STRING_OCAML.name}`),
    },
  );
}

async function buildInPlace(prefix: string, tarballs: string[], options: InstallOptions): Promise<void> {
  const [ocaml, ocamlbuild, camlp4, react, findlib] = tarballs as [string, string, string, string, string];
  const step = stepRunner(UNSAFE_STRING_OCAML.name, options.log ?? (() => {}));
  const work = join(tmpdir(), `lwt-regress-ocaml-${UNSAFE_STRING_OCAML.name}-${process.pid}`);
  const jobs = `-j${options.jobs ?? 2}`;
  // Whatever an earlier, unfinished build left (it has no manifest) goes first.
  await rm(prefix, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
  trackDir(prefix);
  trackDir(work);
  try {
    await mkdir(work, { recursive: true });
    const source = await unpack(step, 'ocaml', ocaml, work);
    await step('configure', './configure', [...configureFlags(prefix, 4), '--disable-force-safe-string'], source);
    await step('make', 'make', [jobs, 'world.opt'], source);
    await step('make install', 'make', ['install'], source);
    const place = { prefix, destdir: '' };
    await installFindlib(findlib, place, work, step);
    const env = await compilerEnv(place, join(work, 'env'));
    await installOcamlbuild(step, await unpack(step, 'ocamlbuild', ocamlbuild, work), prefix, env, jobs);
    await installCamlp4(step, await unpack(step, 'camlp4', camlp4, work), prefix, env);
    await installReact(step, await unpack(step, 'react', react, work), prefix, env);
    await installPackages(prefix, options.log ?? (() => {}), UNSAFE_STRING_OCAML.version);
    await sealInPlace(prefix);
  } catch (error) {
    await rm(prefix, { recursive: true, force: true });
    throw error;
  } finally {
    untrackDir(prefix);
    await rm(work, { recursive: true, force: true });
    untrackDir(work);
  }
}

/** Unpacks a tarball into `work`; returns the directory it made. */
async function unpack(step: Step, what: string, tarball: string, work: string): Promise<string> {
  const into = join(work, what);
  await mkdir(into, { recursive: true });
  await step(`unpack ${what}`, 'tar', ['xf', tarball, '-C', into], work);
  const [top] = await readdir(into);
  return join(into, top!);
}

async function installOcamlbuild(step: Step, dir: string, prefix: string, env: Record<string, string>, jobs: string) {
  const places = [
    `OCAMLBUILD_PREFIX=${prefix}`,
    `OCAMLBUILD_BINDIR=${join(prefix, 'bin')}`,
    `OCAMLBUILD_LIBDIR=${join(prefix, 'lib', 'ocaml')}`,
  ];
  await step('configure ocamlbuild', 'make', ['configure', ...places], dir, env);
  await step('make ocamlbuild', 'make', [jobs, 'byte', 'native'], dir, env);
  await step('install ocamlbuild', 'make', ['install-bin', 'install-lib'], dir, env);
}

/**
 * camlp4's bytecode tools and library (camlp4o, camlp4of, camlp4lib.cma):
 * what lwt-regress runs to expand Lwt's camlp4 syntax and to compile the
 * tree's own extensions, which it loads as bytecode. Its META goes beside
 * the standard library (findlib's path), as Debian's does.
 */
async function installCamlp4(step: Step, dir: string, prefix: string, env: Record<string, string>) {
  const lib = join(prefix, 'lib', 'ocaml');
  const places = [`--bindir=${join(prefix, 'bin')}`, `--libdir=${lib}`, `--pkgdir=${lib}`];
  await step('configure camlp4', './configure', places, dir, env);
  await step('make camlp4', 'make', ['byte'], dir, env);
  await step('install camlp4', 'make', ['install', 'install-META'], dir, env);
}

/** react's one module, compiled as its own build would, with its upstream META (without the toplevel part). */
async function installReact(step: Step, dir: string, prefix: string, env: Record<string, string>) {
  const version = /react-([\d.]+)$/.exec(dir)?.[1] ?? 'unknown';
  const installed = join(prefix, 'lib', 'ocaml', 'site-lib', 'react');
  const src = join(dir, 'src');
  await step('react: react.mli', 'ocamlc', ['-g', '-c', 'react.mli'], src, env);
  await step('react: react.cma', 'ocamlc', ['-g', '-a', '-o', 'react.cma', 'react.ml'], src, env);
  await step('react: react.cmxa', 'ocamlopt', ['-g', '-a', '-o', 'react.cmxa', 'react.ml'], src, env);
  await mkdir(installed, { recursive: true });
  for (const f of ['react.mli', 'react.cmi', 'react.cmx', 'react.cma', 'react.cmxa', 'react.a'])
    await copyFile(join(src, f), join(installed, f));
  await writeFile(
    join(installed, 'META'),
    [
      `version = "${version}"`,
      'description = "Declarative events and signals for OCaml"',
      'requires = ""',
      'archive(byte) = "react.cma"',
      'archive(native) = "react.cmxa"',
      '',
    ].join('\n'),
  );
}
