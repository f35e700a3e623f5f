/**
 * Which compiler builds a Lwt tree: pure, from what the tree needs and what
 * each compiler can do. The default compiler (the one on PATH, or the one the
 * user named) wins whenever it can; otherwise the first compiler lwt-regress
 * can build that meets every need.
 */

/** Something a tree needs of the compiler, with the evidence, for the messages. */
export type Need =
  /** It writes into strings (Lwt 2.0 to 2.4.6): a compiler that accepts -unsafe-string. */
  | { kind: 'unsafe-strings'; why: string }
  /** It is written in Lwt's camlp4 syntax (2.0 to 2.4.6): a compiler with a camlp4 of its own. */
  | { kind: 'camlp4'; why: string }
  /** It uses OCaml 5's library (Domain: the 6.0.0 alpha01/alpha02/beta00 pre-releases). */
  | { kind: 'ocaml-5'; why: string }
  /** It uses what OCaml 5 removed (Pervasives: 3.1 to 4.1). */
  | { kind: 'ocaml-4'; why: string };

export interface CompilerTraits {
  /** As reports show it: `4.13.1`, `4.13.1+unsafe-string`, `5.3.0`. */
  name: string;
  /** `ocamlopt -version`. */
  ocamlVersion: string;
  /** Configured with --disable-force-safe-string: `-unsafe-string` is accepted. */
  unsafeStrings: boolean;
  /** Has a camlp4 of its own version. */
  camlp4: boolean;
}

const major = (t: CompilerTraits) => Number(t.ocamlVersion.split('.')[0]);

/** The needs a compiler does not meet. */
export function unmetNeeds(traits: CompilerTraits, needs: Need[]): Need[] {
  return needs.filter((n) => {
    if (n.kind === 'unsafe-strings') return !traits.unsafeStrings;
    if (n.kind === 'camlp4') return !traits.camlp4;
    if (n.kind === 'ocaml-5') return major(traits) < 5;
    return major(traits) >= 5;
  });
}

/** What a compiler lacks, said of it: "forces safe strings", "has no camlp4", … */
function lack(need: Need): string {
  if (need.kind === 'unsafe-strings') return 'forces safe strings';
  if (need.kind === 'camlp4') return 'has no camlp4 of its own';
  if (need.kind === 'ocaml-5') return 'is not OCaml 5';
  return 'is OCaml 5';
}

export type CompilerChoice<T extends CompilerTraits> =
  | { kind: 'default' }
  /** `why`: what the tree needs that the default lacks, in one clause. */
  | { kind: 'other'; compiler: T; why: string }
  /** No compiler meets every need: the default builds what it can, and the build says what failed. */
  | { kind: 'none'; why: string };

/**
 * The default when it meets every need; otherwise the first of `others`
 * that does, with why the default would not do.
 */
export function chooseCompiler<T extends CompilerTraits>(
  needs: Need[],
  fallback: CompilerTraits,
  others: T[],
): CompilerChoice<T> {
  const unmet = unmetNeeds(fallback, needs);
  if (unmet.length === 0) return { kind: 'default' };
  const why = unmet.map((n) => `${n.why}, and OCaml ${fallback.name} ${lack(n)}`).join('; ');
  const other = others.find((o) => unmetNeeds(o, needs).length === 0);
  if (!other) return { kind: 'none', why: `${why}; no compiler lwt-regress builds meets all of it` };
  return { kind: 'other', compiler: other, why };
}
