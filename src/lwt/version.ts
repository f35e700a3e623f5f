import semver from 'semver';

/**
 * Lwt versions as semver: opam writes pre-releases with `~` (6.0.0~alpha01),
 * tags sometimes carry a `v` or `lwt-` prefix, and very old releases have
 * two components (2.1). Returns undefined for anything else (a commit, a branch).
 */
export function normalizeVersion(text: string): string | undefined {
  const cleaned = text
    .trim()
    .replace(/^(?:lwt[-_.]?|v)/i, '')
    .replace('~', '-');
  if (/^\d+\.\d+$/.test(cleaned)) return `${cleaned}.0`;
  return semver.valid(cleaned) ?? undefined;
}

/** Whether a version lies in a manifest's range; pre-releases count as their release line. */
export function inRange(version: string, range: string): boolean {
  return semver.satisfies(version, range, { includePrerelease: true });
}
