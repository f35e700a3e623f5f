import { mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withLock } from '../cache/build-lock.js';
import { isComplete, publishDir, stagingFor } from '../cache/publish.js';
import { cacheRoot } from '../paths.js';
import { reportedVersion, stepRunner } from './build-steps.js';
import { type DebianPackage, debianTarball } from './debian-source.js';
import { installFindlib } from './findlib-install.js';
import { installOcplibEndian } from './ocplib-endian.js';
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
  const cached = async () => {
    const ocamlVersion = await reportedVersion(prefix);
    const packagesBuilt = await installPackages(prefix, log, ocamlVersion);
    return { prefix, ocamlVersion, built: false, packagesBuilt, ms: ms() };
  };
  if (await isComplete(prefix)) return cached();
  const findlibTarball = await debianTarball(FINDLIB, log);
  // Fetched before the compiler's long build, though built after it.
  await debianTarball(OCPLIB_ENDIAN, log);
  // Two runs that need it at once: the second waits for the first's build, then finds it done.
  return withLock(
    `${prefix}.lock`,
    async () =>
      (await isComplete(prefix)) ? cached() : buildFromNpm(version, prefix, findlibTarball, options, started),
    {
      onWait: (pid) => log(`waiting for lwt-regress (pid ${pid}), which is building OCaml ${version}`),
    },
  );
}

/** The build proper, under the lock: configured for `prefix`, installed into a staging copy, published whole. */
async function buildFromNpm(
  version: string,
  prefix: string,
  findlibTarball: string,
  options: InstallOptions,
  started: number,
): Promise<InstalledOcaml> {
  const log = options.log ?? (() => {});
  const step = stepRunner(version, log);
  const ms = () => performance.now() - started;
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
    await installFindlib(findlibTarball, { prefix, destdir: staging }, work, step);
    await publishDir(installed, prefix);
    const packagesBuilt = await installPackages(prefix, log);
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
export function configureFlags(prefix: string, major: number): string[] {
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

/** findlib, which every compiler lwt-regress builds gets, from Debian's source. */
export const FINDLIB: DebianPackage = { tarball: 'findlib', sourcePackage: 'ocaml-findlib' };
export const OCPLIB_ENDIAN: DebianPackage = { tarball: 'ocplib-endian', sourcePackage: 'ocplib-endian' };

/**
 * The findlib packages lwt.unix needs that are built per compiler, each
 * installed once with its own marker: also run for a compiler already in the
 * cache, so that compilers built before a package was added here gain it.
 * `known`: the compiler's version, when the caller knows it (one compiler start saved).
 */
export async function installPackages(prefix: string, log: (line: string) => void, known?: string): Promise<string[]> {
  const started = performance.now();
  const version = known ?? (await reportedVersion(prefix));
  // A dozen sub-second steps: one line for the package, not one per step.
  const step = stepRunner(version, () => {});
  const built = await installOcplibEndian(prefix, version, () => debianTarball(OCPLIB_ENDIAN, log), step);
  if (!built) return [];
  log(`  ocplib-endian installed: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return ['ocplib-endian'];
}
