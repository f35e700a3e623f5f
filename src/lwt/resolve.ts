import { resolve as resolvePath } from 'node:path';
import { EXIT, UserError } from '../errors.js';
import { isDirectory } from '../io/exists.js';
import type { Toolchain } from '../toolchain/ocamlfind.js';
import { gitSource, UPSTREAM_LWT } from './git.js';
import { installedLwt } from './installed.js';
import { opamLwtVersions, opamSource } from './opam.js';
import type { LwtRequest, LwtSource } from './source.js';
import { treeVersion } from './tree-version.js';
import { normalizeVersion } from './version.js';

/**
 * Finds the Lwt the user asked for. A named source (--lwt-src, --lwt-git,
 * `installed`, `opam:V`) is the only one tried; otherwise a version is looked for in
 * the installed Lwt, then opam, then the upstream git repository, and a
 * failure lists every attempt and why it failed.
 */
export async function resolveLwt(request: LwtRequest, toolchain: Toolchain): Promise<LwtSource> {
  if (request.src) return fromDir(request);
  if (request.spec === 'installed') return installedSource(request, toolchain);
  const forcedOpam = /^opam:(.+)$/.exec(request.spec);
  if (forcedOpam) return forcedOpamSource(request, forcedOpam[1]!);
  if (request.git) {
    const got = await gitSource(request.git, request.spec);
    if (got.ok) return fromGit(request.git, request.spec, got.dir, got.commit, got.version);
    throw notFound(
      request,
      [`git: ${got.error}`],
      `Check the repository and the tag or commit (git -C <repo> tag --list)`,
    );
  }
  return versionSource(request, toolchain);
}

/** The one line naming every attempt and why it failed. */
function notFound(request: LwtRequest, tried: string[], fix: string): UserError {
  return new UserError(`Lwt ${request.spec} could not be found: ${tried.join('; ')}`, EXIT.usage, fix);
}

async function installedSource(request: LwtRequest, toolchain: Toolchain): Promise<LwtSource> {
  const lwt = await installedLwt(toolchain);
  if (!lwt) {
    throw notFound(
      request,
      [`no findlib package lwt for ${toolchain.description}`],
      'Install Lwt for this compiler (Debian: apt-get install liblwt-ocaml-dev; opam: opam install lwt), ' +
        'or name a version',
    );
  }
  return {
    origin: 'installed',
    version: lwt.version,
    label: lwt.version,
    dir: lwt.dir,
    reproduce: ['--lwt', 'installed'],
  };
}

/** `--lwt opam:V`: opam only. */
async function forcedOpamSource(request: LwtRequest, spec: string): Promise<LwtSource> {
  const wanted = normalizeVersion(spec);
  if (!wanted)
    throw new UserError(
      `--lwt ${request.spec}: '${spec}' is not a version`,
      EXIT.usage,
      'Write opam:VERSION, e.g. opam:2.3.0',
    );
  const opam = await opamSource(spec, { root: request.opamRoot });
  if (opam.ok) return opamResult(wanted, spec, opam.dir, request);
  throw notFound(
    request,
    [await opamFailure(opam.error, request)],
    'Use a version the opam repositories know, or add a repository that has it (opam repository add)',
  );
}

/** A version: the installed Lwt if it is that one, else opam, else the upstream repository. */
async function versionSource(request: LwtRequest, toolchain: Toolchain): Promise<LwtSource> {
  const version = normalizeVersion(request.spec);
  if (!version) {
    throw new UserError(
      `--lwt ${request.spec} is neither a version, 'installed', nor (without --lwt-git) a git ref`,
      EXIT.usage,
      'Pass a version such as 2.3.0 or installed, or name a repository with --lwt-git for a commit',
    );
  }
  const tried: string[] = [];
  const installed = await installedLwt(toolchain);
  if (installed?.version === version) {
    return { origin: 'installed', version, label: version, dir: installed.dir, reproduce: ['--lwt', version] };
  }
  tried.push(
    installed
      ? `installed: Lwt ${installed.version}, not ${version}`
      : `installed: no findlib package lwt for ${toolchain.description}`,
  );

  const opam = await opamSource(request.spec, { root: request.opamRoot });
  if (opam.ok) return opamResult(version, request.spec, opam.dir, request);
  tried.push(await opamFailure(opam.error, request));

  const upstream = await gitSource(UPSTREAM_LWT, request.spec);
  if (upstream.ok)
    return fromGit(UPSTREAM_LWT, request.spec, upstream.dir, upstream.commit, upstream.version ?? version);
  tried.push(`git: ${upstream.error}`);
  if (upstream.network) {
    throw new UserError(
      `Lwt ${request.spec} could not be found here, and fetching it failed: ${tried.join('; ')}`,
      EXIT.network,
      'Check the network, or take Lwt from what is here: a local repository (--lwt-git), ' +
        'a source tree (--lwt-src), or an opam repository that has it (--opam-root)',
    );
  }
  throw notFound(
    request,
    tried,
    'Add an opam repository that has it, or point --lwt-git at a Lwt repository or --lwt-src at a source tree',
  );
}

function opamResult(version: string, spec: string, dir: string, request: LwtRequest): LwtSource {
  return {
    origin: 'opam',
    version,
    label: `${version} (opam)`,
    dir,
    reproduce: ['--lwt', `opam:${spec}`, ...(request.opamRoot ? ['--opam-root', request.opamRoot] : [])],
  };
}

async function opamFailure(why: string, request: LwtRequest): Promise<string> {
  const known = await opamLwtVersions({ root: request.opamRoot });
  const versions = known.ok && known.versions.length > 0 ? ` (it knows lwt ${known.versions.join(', ')})` : '';
  return `opam${request.opamRoot ? ` (root ${request.opamRoot})` : ''}: ${why}${versions}`;
}

function fromGit(url: string, ref: string, dir: string, commit: string, version: string | undefined): LwtSource {
  if (!version) {
    throw new UserError(
      `cannot tell which Lwt version commit ${commit.slice(0, 12)} of ${url} is: ` +
        'no version tag, opam file or CHANGES entry',
      EXIT.usage,
      'Tag the commit, or use --lwt-src with a tree whose lwt.opam has a version',
    );
  }
  const short = commit.slice(0, 10);
  const label = normalizeVersion(ref) === version ? `${version} (git)` : `${version} (git ${short})`;
  return { origin: 'git', version, label, dir, commit, reproduce: ['--lwt-git', url, '--lwt', ref] };
}

async function fromDir(request: LwtRequest): Promise<LwtSource> {
  const dir = resolvePath(request.src!);
  if (!(await isDirectory(dir)))
    throw new UserError(
      `--lwt-src ${request.src} is not a directory`,
      EXIT.usage,
      'Point --lwt-src at the root of a Lwt source tree (the directory holding src/)',
    );
  const declared = await treeVersion(dir);
  // `source` stands for "whatever the tree says" when --lwt-src comes without --lwt.
  const asked = request.spec === 'source' ? undefined : normalizeVersion(request.spec);
  const version = asked ?? declared;
  if (!version) {
    throw new UserError(
      `cannot tell which Lwt version ${request.src} holds: no version in lwt.opam, opam, _oasis or CHANGES`,
      EXIT.usage,
      'Name it with --lwt VERSION',
    );
  }
  return {
    origin: 'dir',
    version,
    label: `${version} (dir ${request.src})`,
    dir,
    reproduce: ['--lwt-src', dir, '--lwt', version],
  };
}
