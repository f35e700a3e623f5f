import { execa } from 'execa';
import { EXIT, UserError } from '../errors.js';
import { type Mirror, resolveRef } from '../lwt/git.js';
import { normalizeVersion } from '../lwt/version.js';

export interface CommitEnds {
  /** The end git bisect calls old: --good, or with --find-fix the crashing --bad. */
  older: string;
  newer: string;
  /** A version to assume for commits whose tree does not say which it is. */
  hint: string | undefined;
}

/**
 * --good and --bad as commits of the repository as it is now, checked the
 * way git bisect needs them: two different commits, the older one an
 * ancestor of the newer. Each wrong end is one line naming the fix.
 */
export async function commitEnds(
  m: Mirror,
  git: string,
  refs: { good: string; bad: string; findFix: boolean },
): Promise<CommitEnds> {
  const good = await resolveRef(m, refs.good);
  const bad = await resolveRef(m, refs.bad);
  for (const [flag, ref, sha] of [
    ['--good', refs.good, good],
    ['--bad', refs.bad, bad],
  ] as const) {
    if (!sha) {
      throw new UserError(
        `${flag} ${ref}: ${git} has no tag or commit '${ref}'`,
        EXIT.usage,
        `List its tags with git -C ${git} tag --list`,
      );
    }
  }
  if (good === bad) {
    throw new UserError(
      `--good ${refs.good} and --bad ${refs.bad} are the same commit`,
      EXIT.usage,
      'Give a commit where the case runs clean and one where it crashes',
    );
  }
  const [older, newer] = refs.findFix ? [bad!, good!] : [good!, bad!];
  const ancestor = await execa('git', ['--git-dir', m.dir, 'merge-base', '--is-ancestor', older, newer], {
    reject: false,
  });
  if (ancestor.exitCode !== 0) {
    throw new UserError(
      refs.findFix
        ? `with --find-fix, --bad ${refs.bad} must be an ancestor of --good ${refs.good}`
        : `--good ${refs.good} is not an ancestor of --bad ${refs.bad}`,
      EXIT.usage,
      refs.findFix
        ? 'Swap them, or drop --find-fix'
        : 'Swap them, or add --find-fix to look for the commit that fixed a crash',
    );
  }
  const [olderRef, newerRef] = refs.findFix ? [refs.bad, refs.good] : [refs.good, refs.bad];
  return { older, newer, hint: normalizeVersion(olderRef) ?? normalizeVersion(newerRef) };
}
