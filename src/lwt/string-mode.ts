import { inCode } from './ocaml-text.js';

/**
 * Lwt 2.0 to 2.4.6 write into strings (`String.create`, `String.set`,
 * `String.fill` in lwt_bytes.ml, lwt_io.ml, lwt_unix.ml, …), as OCaml
 * allowed until 4.06 made strings immutable by default; 2.4.7 moved to
 * Bytes. Comments and strings do not count.
 */
export function writesIntoStrings(sources: string[]): boolean {
  return sources.some((s) => inCode(/\bString\.(?:create|set|unsafe_set|fill|unsafe_fill)\b/, s));
}

/**
 * The flags a tree's libraries are compiled with: `-unsafe-string` for a
 * tree that writes into strings, where the compiler accepts it (so that it
 * compiles as its era's compiler did). Where the compiler forces safe
 * strings (Debian's 4.13.1, any OCaml 5), none, and `hint` says why such a
 * tree's lwt.unix does not build.
 */
export function stringFlags(
  writes: boolean,
  unsafeStringAllowed: boolean,
): { flags: string[]; hint: string | undefined } {
  if (!writes) return { flags: [], hint: undefined };
  if (unsafeStringAllowed) return { flags: ['-unsafe-string'], hint: undefined };
  return {
    flags: [],
    hint:
      'this Lwt writes into strings, as Lwt did before 2.4.7, and this compiler forces safe strings: ' +
      'build it with an OCaml 4.06 to 4.14 configured with --disable-force-safe-string',
  };
}
