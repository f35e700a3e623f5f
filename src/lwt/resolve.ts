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
  const tried: string[] = [];
  const fail = (fix: string) =>
    new UserError(`Lwt ${request.spec} could not be found: ${tried.join('; ')}`, EXIT.usage, fix);

  if (request.src) return fromDir(request);

  if (request.spec === 'installed') {
    const lwt = await installedLwt(toolchain);
    if (!lwt) {
      tried.push(`no findlib package lwt for ${toolchain.description}`);
      throw fail(
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

  const forcedOpam = /^opam:(.+)$/.exec(request.spec);
  if (forcedOpam) {
    const wanted = normalizeVersion(forcedOpam[1]!);
    if (!wanted)
      throw new UserError(
        `--lwt ${request.spec}: '${forcedOpam[1]}' is not a version`,
        EXIT.usage,
        'Write opam:VERSION, e.g. opam:2.3.0',
      );
    const opam = await opamSource(forcedOpam[1]!, { root: request.opamRoot });
    if (opam.ok) return opamResult(wanted, forcedOpam[1]!, opam.dir, request);
    tried.push(await opamFailure(opam.why, request));
    throw fail('Use a version the opam repositories know, or add a repository that has it (opam repository add)');
  }

  const version = normalizeVersion(request.spec);
  if (request.git) {
    const got = await gitSource(request.git, request.spec);
    if (got.ok) return fromGit(request.git, request.spec, got.dir, got.commit, got.version);
    tried.push(`git: ${got.why}`);
    throw fail(`Check the repository and the tag or commit (git -C <repo> tag --list)`);
  }
  if (!version) {
    throw new UserError(
      `--lwt ${request.spec} is neither a version, 'installed', nor (without --lwt-git) a git ref`,
      EXIT.usage,
      'Pass a version such as 2.3.0 or installed, or name a repository with --lwt-git for a commit',
    );
  }

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
  tried.push(await opamFailure(opam.why, request));

  const upstream = await gitSource(UPSTREAM_LWT, request.spec);
  if (!upstream.ok && upstream.network) {
    tried.push(`git: ${upstream.why}`);
    throw new UserError(
      `Lwt ${request.spec} could not be found here, and fetching it failed: ${tried.join('; ')}`,
      EXIT.network,
      'Check the network, or take Lwt from what is here: a local repository (--lwt-git), ' +
        'a source tree (--lwt-src), or an opam repository that has it (--opam-root)',
    );
  }
  if (upstream.ok)
    return fromGit(UPSTREAM_LWT, request.spec, upstream.dir, upstream.commit, upstream.version ?? version);
  tried.push(`git: ${upstream.why}`);
  throw fail(
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
  const versions =
    'versions' in known && known.versions.length > 0 ? ` (it knows lwt ${known.versions.join(', ')})` : '';
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
