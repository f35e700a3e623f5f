import semver from 'semver';
import { EXIT, UserError } from '../errors.js';
import { gitVersionTags, UPSTREAM_LWT } from '../lwt/git.js';
import { opamLwtVersions } from '../lwt/opam.js';
import { normalizeVersion } from '../lwt/version.js';

export interface VersionEntry {
  /** What to pass as --lwt to get this version (a tag, or the opam version as written). */
  spec: string;
  version: string;
}

/** The Lwt versions to bisect over, oldest first: given, from the git repository's tags, or from opam. */
export async function versionList(options: {
  versions?: string[];
  git?: string;
  opamRoot?: string;
}): Promise<{ entries: VersionEntry[]; from: string }> {
  let raw: { spec: string; version: string | undefined }[];
  let from: string;
  if (options.versions && options.versions.length > 0) {
    raw = options.versions.map((spec) => ({ spec, version: normalizeVersion(spec) }));
    const bad = raw.find((r) => !r.version);
    if (bad)
      throw new UserError(
        `--versions: '${bad.spec}' is not a version`,
        EXIT.usage,
        'List versions such as 2.3.0,2.3.1',
      );
    from = '--versions';
  } else if (options.git) {
    raw = (await gitVersionTags(options.git)).map((t) => ({ spec: t.tag, version: t.version }));
    from = `the tags of ${options.git}`;
  } else {
    const opam = await opamLwtVersions({ root: options.opamRoot });
    if (opam.ok && opam.versions.length > 0) {
      raw = opam.versions.map((v) => ({ spec: `opam:${v}`, version: normalizeVersion(v) }));
      from = `opam${options.opamRoot ? ` (root ${options.opamRoot})` : ''}`;
    } else {
      raw = (await gitVersionTags(UPSTREAM_LWT)).map((t) => ({ spec: t.tag, version: t.version }));
      from = `the tags of ${UPSTREAM_LWT}`;
      if (raw.length === 0) {
        const why = opam.ok ? 'opam knows no lwt versions' : opam.error;
        throw new UserError(
          `no list of Lwt versions to bisect: ${why}, and ${UPSTREAM_LWT} cannot be reached`,
          EXIT.usage,
          'Give them with --versions a,b,c, or name a repository with --lwt-git or an opam root with --opam-root',
        );
      }
    }
  }
  const seen = new Map<string, VersionEntry>();
  for (const r of raw) if (r.version && !seen.has(r.version)) seen.set(r.version, { spec: r.spec, version: r.version });
  return { entries: [...seen.values()].sort((a, b) => semver.compare(a.version, b.version)), from };
}

/**
 * The slice of the list from the known-good (or, finding a fix, known-bad)
 * version to the other end, checking that both are in it and in order.
 */
export function bisectRange(
  entries: VersionEntry[],
  from: string,
  good: string,
  bad: string,
  findFix: boolean,
): VersionEntry[] {
  const find = (flag: string, v: string) => {
    const version = normalizeVersion(v);
    const i = version ? entries.findIndex((e) => e.version === version) : -1;
    if (i < 0) {
      const near = entries
        .map((e) => e.version)
        .slice(0, 40)
        .join(', ');
      throw new UserError(
        `${flag} ${v} is not among the Lwt versions of ${from}`,
        EXIT.usage,
        `Pick one of: ${near}${entries.length > 40 ? ', …' : ''}`,
      );
    }
    return i;
  };
  const g = find('--good', good);
  const b = find('--bad', bad);
  if (g === b)
    throw new UserError(
      `--good and --bad are the same version (${entries[g]!.version})`,
      EXIT.usage,
      'Give a version where the case runs clean and one where it crashes',
    );
  if (!findFix && g > b)
    throw new UserError(
      `--good ${good} is newer than --bad ${bad}`,
      EXIT.usage,
      'To find the version that fixed a crash, add --find-fix; otherwise swap them',
    );
  if (findFix && b > g)
    throw new UserError(
      `with --find-fix, --bad ${bad} (still crashing) must be older than --good ${good} (fixed)`,
      EXIT.usage,
      'Swap them, or drop --find-fix to look for a regression',
    );
  return findFix ? entries.slice(b, g + 1) : entries.slice(g, b + 1);
}
