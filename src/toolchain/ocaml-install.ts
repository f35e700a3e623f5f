import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { isComplete, publishDir, stagingFor } from '../cache/publish.js';
import { EXIT, UserError } from '../errors.js';
import { cacheRoot, projectRoot } from '../paths.js';
import { findlibConf } from './findlib-conf.js';
import { installOcplibEndian, type Step } from './ocplib-endian.js';
import { writeResultPackage } from './result-package.js';
import { applySourceFixes } from './source-fixes.js';

/**
 * esy publishes some OCaml releases on npm under its own numbers: OCaml 4.14.1
 * is `ocaml@4.14.1000`. (And `ocaml@5.1.4` holds OCaml 5.1.0: its VERSION file says so.)
 */
const NPM_VERSIONS: Record<string, string> = { '4.14.1': '4.14.1000' };

export interface InstalledOcaml {
  /** The compiler prefix: bin/ocamlopt, bin/ocamlfind, etc/findlib.conf, lib/ocaml. */
  prefix: string;
  /** The version the compiler reports (`ocamlopt -version`). */
  ocamlVersion: string;
  /** False when the cache already had it. */
  built: boolean;
  /** Findlib packages installed into it by this call (those its compilers gain after being built). */
  packagesBuilt: string[];
  ms: number;
}

export interface InstallOptions {
  /** Progress lines (each step and its time). */
  log?: (line: string) => void;
  /** Parallel make jobs (default 2). */
  jobs?: number;
}

/** `4.14.1000` and `4.14.1` name the same compiler, cached under the OCaml version. */
export function cacheName(version: string): string {
  return Object.entries(NPM_VERSIONS).find(([, npm]) => npm === version)?.[0] ?? version;
}

export function ocamlPrefix(version: string): string {
  return join(cacheRoot(), 'ocaml', cacheName(version));
}

/**
 * The compiler from the npm registry's `ocaml` source package, with findlib,
 * under <cache>/ocaml/<version>/: built once, then reused. A compiler's
 * library path is fixed when it is configured, so it is configured for its
 * final place, installed with DESTDIR into a staging directory, and published
 * with one rename.
 */
export async function installOcaml(version: string, options: InstallOptions = {}): Promise<InstalledOcaml> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const prefix = ocamlPrefix(version);
  const ms = () => performance.now() - started;
  const step = stepRunner(version, log);
  if (await isComplete(prefix)) {
    const packagesBuilt = await installPackages(prefix, version, log);
    return { prefix, ocamlVersion: await reportedVersion(prefix), built: false, packagesBuilt, ms: ms() };
  }
  const findlibTarball = await debianSource('findlib', 'ocaml-findlib');
  // Checked before the compiler's long build, though built after it.
  await debianSource('ocplib-endian', 'ocplib-endian');
  const staging = stagingFor(prefix);
  const installed = join(staging, prefix);
  const work = join(tmpdir(), `lwt-regress-ocaml-${cacheName(version)}-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    const npmVersion = NPM_VERSIONS[version] ?? version;
    const packed = await step(
      'npm pack',
      'npm',
      ['pack', '--json', `ocaml@${npmVersion}`, '--pack-destination', work],
      work,
    );
    const tarball = join(work, (JSON.parse(packed) as { filename: string }[])[0]!.filename);
    await step('unpack', 'tar', ['xzf', tarball, '-C', work], work);
    const source = join(work, 'package');
    const sourceVersion = (await readFile(join(source, 'VERSION'), 'utf8')).split('\n')[0]!.trim();
    const major = Number(sourceVersion.split('.')[0]);
    for (const fixed of await applySourceFixes(source)) log(`  fixed ${fixed}`);
    await step('configure', './configure', configureFlags(prefix, major), source);
    const jobs = `-j${options.jobs ?? 2}`;
    // 4.x: world.opt builds the native compilers too; 5.x's default target does.
    await step('make', 'make', major >= 5 ? [jobs] : [jobs, 'world.opt'], source);
    await step('make install', 'make', ['install', `DESTDIR=${staging}`], source);
    await installFindlib(findlibTarball, staging, prefix, work, step);
    await publishDir(installed, prefix);
    const packagesBuilt = await installPackages(prefix, version, log);
    log(`OCaml ${sourceVersion} is in ${prefix} (${(ms() / 1000).toFixed(0)} s)`);
    return { prefix, ocamlVersion: await reportedVersion(prefix), built: true, packagesBuilt, ms: ms() };
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Only what lwt-regress uses: no documentation generator, test driver,
 * debugger, debug or instrumented runtimes, or manual pages. Options a
 * version does not know are ignored by its configure script with a warning.
 */
function configureFlags(prefix: string, major: number): string[] {
  return [
    `--prefix=${prefix}`,
    '--disable-ocamldoc',
    '--disable-ocamltest',
    '--disable-debug-runtime',
    '--disable-instrumented-runtime',
    '--disable-stdlib-manpages',
    '--disable-dependency-generation',
    major >= 5 ? '--disable-ocamldebug' : '--disable-debugger',
  ];
}

/** A Debian source tarball that ./setup downloads (`apt-get source <sourcePackage>`). */
async function debianSource(tarball: string, sourcePackage: string): Promise<string> {
  const dir = join(projectRoot(), 'test', 'fixtures', 'debian');
  const name = (await readdir(dir).catch(() => [] as string[])).find(
    (f) => f.startsWith(`${tarball}_`) && f.endsWith('.orig.tar.gz'),
  );
  if (!name)
    throw new UserError(
      `Debian's ${sourcePackage} source (test/fixtures/debian/${tarball}_*.orig.tar.gz) is missing`,
      EXIT.unreadable,
      `Run ./setup, which downloads it with apt-get source ${sourcePackage}`,
    );
  return join(dir, name);
}

/**
 * The findlib packages lwt.unix needs that are built per compiler, each
 * installed once with its own marker: also run for a compiler already in the
 * cache, so that compilers built before a package was added here gain it.
 */
async function installPackages(prefix: string, version: string, log: (line: string) => void): Promise<string[]> {
  const started = performance.now();
  // A dozen sub-second steps: one line for the package, not one per step.
  const step = stepRunner(version, () => {});
  const built = await installOcplibEndian(
    prefix,
    await reportedVersion(prefix),
    () => debianSource('ocplib-endian', 'ocplib-endian'),
    step,
  );
  if (!built) return [];
  log(`  ocplib-endian installed: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return ['ocplib-endian'];
}

/** Runs one build step, logs its time, and turns a failure into one line that names the step and the log. */
function stepRunner(version: string, log: (line: string) => void): Step {
  return async (what, file, args, cwd, env) => {
    const started = performance.now();
    const r = await execa(file, args, { cwd, env, reject: false, all: true, stdin: 'ignore' });
    const output = r.all ?? '';
    if (r.exitCode !== 0) {
      const saved = join(cacheRoot(), 'ocaml', `failed-${what.replace(/\W+/g, '-')}-${process.pid}.log`);
      await mkdir(join(cacheRoot(), 'ocaml'), { recursive: true });
      await writeFile(saved, output);
      const last = output.trim().split('\n').filter(Boolean).pop() ?? r.shortMessage;
      throw new UserError(
        `building OCaml ${version} failed at ${what}: ${last}`,
        EXIT.toolchain,
        `The full output is in ${saved}`,
      );
    }
    log(`  ${what}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return r.stdout as string;
  };
}

/**
 * findlib from Debian's source, built with the staged compiler and installed
 * beside it, and the `result` package old Lwt versions need. The staged
 * compiler does not run from where it was configured for, so the build finds
 * it through PATH and OCAMLLIB (native `.opt` tools under their plain names:
 * the bytecode ones start with `#!<prefix>/bin/ocamlrun`).
 * Its findlib.conf is then written with the final paths, the compiler's tools
 * named absolutely so that `<prefix>/bin/ocamlfind` uses this compiler whatever PATH holds.
 */
async function installFindlib(tarball: string, staging: string, prefix: string, work: string, step: Step) {
  const installed = join(staging, prefix);
  const shims = join(work, 'tools');
  await mkdir(shims);
  for (const name of await readdir(join(installed, 'bin')))
    if (name.endsWith('.opt')) await symlink(join(installed, 'bin', name), join(shims, name.slice(0, -4)));
  const env = {
    PATH: `${shims}:${join(installed, 'bin')}:${process.env.PATH ?? ''}`,
    OCAMLLIB: join(installed, 'lib', 'ocaml'),
  };
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
  await step(
    'configure findlib',
    './configure',
    [
      '-bindir',
      join(prefix, 'bin'),
      '-mandir',
      join(prefix, 'man'),
      '-sitelib',
      sitelib,
      '-config',
      conf,
      '-no-topfind',
      // Debian's camlp4, on PATH, belongs to another compiler.
      '-no-camlp4',
    ],
    dir,
    env,
  );
  await step('make findlib', 'make', ['all', 'opt'], dir, env);
  await step('install findlib', 'make', ['install', `DESTDIR=${staging}`], dir, env);
  const result = await writeResultPackage(join(staging, sitelib));
  for (const [tool, args] of result.commands) await step(`result package: ${tool}`, tool, args, result.dir, env);
  const tools = { ocamlc: 'ocamlc.opt', ocamlopt: 'ocamlopt.opt', ocamldep: 'ocamldep.opt' };
  const stdlib = join(prefix, 'lib', 'ocaml');
  await writeFile(
    join(installed, 'etc', 'findlib.conf'),
    findlibConf({ bin: join(prefix, 'bin'), stdlib, sitelib, tools }),
  );
}

async function reportedVersion(prefix: string): Promise<string> {
  const r = await execa(join(prefix, 'bin', 'ocamlopt'), ['-version'], { reject: false });
  return String(r.stdout).trim();
}
