/** Where a Lwt version comes from. */
/** `as-built`: a command case's program, linked with whatever Lwt it was built against. */
export type LwtOrigin = 'installed' | 'opam' | 'git' | 'dir' | 'as-built';

export interface LwtSource {
  origin: LwtOrigin;
  /** Semver version: picks the expectations. */
  version: string;
  /** How it is shown: "5.6.1", "5.6.1 (git 1a2b3c4)", "5.6.1 (dir ./fixture)". */
  label: string;
  /** installed: the findlib directory; otherwise the root of the source tree. */
  dir: string;
  /** git: the commit checked out. */
  commit?: string;
  /** The lwt-regress options that select this same source again. */
  reproduce: string[];
}

/** What the user asked for with --lwt, --lwt-git, --lwt-src and --opam-root. */
export interface LwtRequest {
  /** `installed`, a version, or (with --lwt-git) any git ref. */
  spec: string;
  git?: string;
  src?: string;
  opamRoot?: string;
}

/** The Lwt of a command case: not chosen by lwt-regress, and not known to it. */
export const AS_BUILT: LwtSource = {
  origin: 'as-built',
  version: '0.0.0',
  label: 'as built (command)',
  dir: '',
  reproduce: [],
};
