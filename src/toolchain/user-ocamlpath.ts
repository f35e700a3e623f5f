import { sep } from 'node:path';
import { cacheRoot } from '../paths.js';

/**
 * The findlib directories the user put on OCAMLPATH, where a case may find
 * packages installed by hand, without lwt-regress's own cache: a shell that
 * evaluated `lwt-regress env` holds a world there, which is no installed package.
 */
export function userOcamlpath(): string[] {
  const cache = cacheRoot();
  return (process.env.OCAMLPATH ?? '').split(':').filter((dir) => dir && dir !== cache && !dir.startsWith(cache + sep));
}

/** The environment for a findlib query of installed packages: the user's OCAMLPATH alone (none when empty). */
export function installedFindlibEnv(): { OCAMLPATH: string | undefined } {
  const paths = userOcamlpath();
  return { OCAMLPATH: paths.length ? paths.join(':') : undefined };
}
