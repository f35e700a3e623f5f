import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { execa } from 'execa';
import { digest } from '../cache/digest.js';
import type { Case } from '../cases/load-cases.js';
import { EXIT, UserError } from '../errors.js';
import { buildTimeoutMs } from '../lwt/build-step.js';
import { firstError } from '../lwt/compiler-error.js';
import type { LwtBuild } from '../lwt/lwt-build.js';
import { cacheRoot } from '../paths.js';
import { progress, secondsSince } from '../progress.js';
import type { Result } from '../result.js';
import { type Toolchain, toolCommand } from '../toolchain/ocamlfind.js';
import { findlibEnv } from './case-binary.js';

export type DuneBinary = Result<{ executable: string }>;

/** Directories of a workspace that dune does not build from, or that are not the project's. */
const NOT_THE_WORKSPACE = /^(?:_build|_opam|node_modules|\..*)$/;

async function opamFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory() && !NOT_THE_WORKSPACE.test(entry.name))
      found.push(...(await opamFiles(join(dir, entry.name))));
    else if (entry.isFile() && entry.name.endsWith('.opam')) found.push(join(dir, entry.name));
  }
  return found;
}

/**
 * A workspace that vendors Lwt itself (an opam-monorepo `duniverse/lwt`)
 * would have dune build that Lwt and never look at OCAMLPATH: dune is told
 * to build only the workspace's other packages (`--only-packages`), so that
 * its `lwt` is the one under test and the vendored libraries on it are built
 * against that one. Stanzas of no package (the case's executable) stay.
 */
async function withoutVendoredLwt(root: string): Promise<Result<{ flags: string[] }>> {
  const opams = await opamFiles(root);
  const vendored = opams.find((f) => basename(f) === 'lwt.opam');
  if (!vendored) return { ok: true, flags: [] };
  const others = [...new Set(opams.map((f) => basename(f, '.opam')))].filter((p) => p !== 'lwt').sort();
  if (others.length === 0)
    return {
      ok: false,
      error:
        `the dune workspace ${root} vendors Lwt (${vendored}) and no other package, so dune cannot be kept from ` +
        "building it instead of the Lwt under test: give the project an opam file of its own (dune's --only-packages)",
    };
  progress(`${root} vendors Lwt (${vendored}): dune builds without it, the Lwt under test first on OCAMLPATH`);
  return { ok: true, flags: ['--only-packages', others.join(',')] };
}

/**
 * A target of the user's dune project, built by dune against the Lwt under
 * test: that build's findlib tree first on OCAMLPATH (dune looks libraries
 * up there before the compiler's own directory), and a build directory of
 * lwt-regress's own per (compiler, Lwt build, project), so the user's
 * `_build` is never touched and dune's incremental build is kept between runs.
 */
export async function duneBinary(testCase: Case, lwt: LwtBuild, toolchain: Toolchain): Promise<DuneBinary> {
  const program = testCase.manifest.program;
  if (program.kind !== 'dune') throw new Error('duneBinary: not a dune case');
  const root = resolve(testCase.dir, program.root);
  if (!(await stat(join(root, 'dune-project')).catch(() => undefined))?.isFile()) {
    return {
      ok: false,
      error: `"dune.root" ${program.root} is not a dune project (no dune-project in ${root})`,
      log: '',
    };
  }
  const buildDir = join(
    cacheRoot(),
    'dune',
    digest([toolchain.ocamlVersion, toolchain.prefix, lwt.key, root]).slice(0, 20),
  );
  await mkdir(buildDir, { recursive: true });
  const without = await withoutVendoredLwt(root);
  if (!without.ok) return without;
  const [file, args] = toolCommand(toolchain, 'dune', [
    'build',
    ...without.flags,
    '--root',
    root,
    '--build-dir',
    buildDir,
    '--display',
    'quiet',
    '--no-print-directory',
    program.target,
  ]);
  const started = performance.now();
  progress(`dune build ${program.target} in ${root}`);
  const r = await duneWithin(file, args, { ...findlibEnv(lwt), DUNE_CACHE: 'disabled' });
  progress(`dune build ${program.target}: ${r.exitCode === 0 ? 'done' : 'failed'} (${secondsSince(started)})`);
  if (r.timedOut)
    return { ok: false, error: `dune build ${program.target} did not finish within ${buildTimeoutMs() / 1000} s` };
  if ((r as { code?: string }).code === 'ENOENT') {
    throw new UserError(
      `dune is not installed, and case ${testCase.manifest.name} is built with it`,
      EXIT.toolchain,
      'Install it (Debian/Ubuntu: apt-get install ocaml-dune, or run ./setup; opam: opam install dune)',
    );
  }
  if (r.exitCode !== 0)
    return { ok: false, error: `dune build ${program.target}: ${firstError(r.all ?? '')}`, log: r.all ?? '' };
  return { ok: true, executable: join(buildDir, 'default', program.target) };
}

/** dune, within the build time limit, in a group of its own: the rules it runs end with it. */
async function duneWithin(file: string, args: string[], env: Record<string, string>) {
  const child = execa(file, args, { reject: false, all: true, env, timeout: buildTimeoutMs(), detached: true });
  const r = await child;
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Nothing of it left.
  }
  return r;
}
