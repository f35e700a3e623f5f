import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { exists } from '../io/exists.js';
import { BuildFailed, runStep } from '../lwt/build-step.js';
import type { Failure, Result } from '../result.js';
import { type Toolchain, toolCommand } from '../toolchain/ocamlfind.js';
import { userOcamlpath } from '../toolchain/user-ocamlpath.js';
import type { DependentProblem } from './dependents.js';

/**
 * A package rebuilt into `staging`, laid out as `dune install --prefix` lays
 * it out (`lib/<pkg>/`); or why not, with the package's problem when it was
 * the package's doing, not the machine's.
 */
export type PackageBuild = Result<{ staging: string }> | (Failure & Pick<DependentProblem, 'problem'>);

/**
 * The package built as its own release build does, against the findlib
 * directories of `ocamlpath` (the Lwt under test first): dune for a dune
 * project, topkg (`pkg/pkg.ml`) for the packages of that family (logs).
 */
export async function buildPackage(
  toolchain: Toolchain,
  pkg: string,
  dir: string,
  ocamlpath: string[],
  staging: string,
): Promise<PackageBuild> {
  const env = { OCAMLPATH: [...ocamlpath, ...userOcamlpath()].join(':'), DUNE_CACHE: 'disabled' };
  try {
    if (await exists(join(dir, 'dune-project'))) {
      await runStep(toolchain, 'dune', ['build', '-p', pkg, '@install'], { cwd: dir, env, what: pkg });
      await runStep(toolchain, 'dune', ['install', '--prefix', staging, pkg], { cwd: dir, env, what: pkg });
      return { ok: true, staging };
    }
    if (await exists(join(dir, 'pkg', 'pkg.ml'))) {
      await topkgBuild(toolchain, pkg, dir, env, staging);
      return { ok: true, staging };
    }
    return {
      ok: false,
      error: `${pkg}'s source (${dir}) is built with neither dune nor topkg, the builds run here`,
      problem: 'no-source',
    };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (error instanceof BuildFailed && error.transient)
      return { ok: false, error: `${pkg} could not be rebuilt (a failure of the machine): ${error.error}` };
    if (error instanceof BuildFailed)
      return {
        ok: false,
        error: `${pkg} does not build against this Lwt: ${error.error}`,
        log: error.log,
        problem: 'does-not-build',
      };
    throw error;
  }
}

/** opam's pseudo-packages topkg asks about, which are parts of the compiler, not findlib packages. */
const PART_OF_OCAML: Record<string, string> = { 'base-threads': 'threads', 'base-unix': 'unix' };

/**
 * `ocaml pkg/pkg.ml build`, as opam runs it: each optional package of
 * pkg.ml (`Conf.with_pkg "lwt"`) on when findlib finds it (the Lwt under test
 * for `lwt`), then the files its `<pkg>.install` puts under `lib:` copied.
 */
async function topkgBuild(
  toolchain: Toolchain,
  pkg: string,
  dir: string,
  env: Record<string, string>,
  staging: string,
): Promise<void> {
  const script = await readFile(join(dir, 'pkg', 'pkg.ml'), 'utf8');
  const optional = [...script.matchAll(/Conf\.with_pkg\s+"([^"]+)"/g)].map((m) => m[1]!);
  const flags: string[] = [];
  for (const name of optional) {
    const [file, args] = toolCommand(toolchain, 'ocamlfind', ['query', PART_OF_OCAML[name] ?? name]);
    const found = (await execa(file, args, { reject: false, env })).exitCode === 0;
    flags.push(`--with-${name}`, String(found));
  }
  await runStep(toolchain, 'ocaml', ['pkg/pkg.ml', 'build', '--dev-pkg', 'false', '--tests', 'false', ...flags], {
    cwd: dir,
    env,
    what: pkg,
  });
  const install = await readFile(join(dir, `${pkg}.install`), 'utf8');
  const lib = /^lib:\s*\[([\s\S]*?)\]/m.exec(install)?.[1] ?? '';
  const into = join(staging, 'lib', pkg);
  await mkdir(into, { recursive: true });
  for (const m of lib.matchAll(/"(\??)([^"]+)"\s*(?:\{\s*"([^"]+)"\s*\})?/g)) {
    const [, optionalFile, from, to] = m;
    const source = join(dir, from!);
    if (optionalFile && !(await exists(source))) continue;
    await copyFile(source, join(into, to ?? basename(from!)));
  }
}
