import { codeOnly } from './ocaml-text.js';

/**
 * What the compiler's interfaces say about the Unix and Bigarray functions
 * old lwt.unix used as newer OCaml changed them.
 */
export interface CompilerApi {
  /** `Unix.socketpair` takes an optional argument first (`?cloexec`, OCaml 4.05). */
  socketpairOptional: boolean;
  /** `Bigarray.Array1.map_file` is gone (deprecated in 4.06 for `Unix.map_file`, removed in 4.08). */
  array1MapFileRemoved: boolean;
}

export function compilerApi(unixMli: string, bigarrayMli: string | undefined): CompilerApi {
  return {
    socketpairOptional: /\bval\s+socketpair\s*:\s*\?/.test(codeOnly(unixMli)),
    array1MapFileRemoved: bigarrayMli !== undefined && !/\bval\s+map_file\b/.test(codeOnly(bigarrayMli)),
  };
}

/**
 * `Unix.socketpair` as a value, not applied (2.4.7 to 2.7.0's lwt_unix.ml:
 * `if Sys.win32 then stub_socketpair else Unix.socketpair in`): with 4.05's
 * `?cloexec` its type is no longer the stub's, and the `if` does not type.
 * Eta-expanded, it is the same function at the type the code expects.
 */
const SOCKETPAIR_VALUE = /\bUnix\.socketpair\b(?=\s*(?:\b(?:in|then|else)\b|[);]))/g;
const SOCKETPAIR_EXPANDED = '(fun d t p -> Unix.socketpair d t p)';

/**
 * `Array1.map_file fd ?pos kind layout shared size` (2.4.7 to 4.1.0's
 * lwt_bytes.ml, Bigarray opened): 4.08 removed it; `Unix.map_file` (4.06)
 * maps the same file as a one-dimensional Genarray of that size.
 */
const ARRAY1_MAP_FILE = /\b(?:Bigarray\.)?Array1\.map_file\b/g;
const ARRAY1_MAP_FILE_BY_UNIX =
  '(fun fd ?pos kind layout shared size -> ' +
  'Bigarray.array1_of_genarray (Unix.map_file fd ?pos kind layout shared [|size|]))';

/**
 * Rewrites the uses of Unix and Bigarray functions that the compiler changed
 * or removed since the tree was written, each on its own line (line numbers
 * stay the tree's). Pure: returns the text and what was rewritten.
 */
export function rewriteChangedApi(source: string, api: CompilerApi): { text: string; changes: string[] } {
  const code = codeOnly(source);
  const edits: { at: number; length: number; insert: string; change: string }[] = [];
  if (api.socketpairOptional)
    for (const m of code.matchAll(SOCKETPAIR_VALUE))
      edits.push({
        at: m.index,
        length: m[0].length,
        insert: SOCKETPAIR_EXPANDED,
        change: 'Unix.socketpair used as a value: eta-expanded (OCaml 4.05 gave it ?cloexec)',
      });
  if (api.array1MapFileRemoved)
    for (const m of code.matchAll(ARRAY1_MAP_FILE))
      edits.push({
        at: m.index,
        length: m[0].length,
        insert: ARRAY1_MAP_FILE_BY_UNIX,
        change: 'Bigarray.Array1.map_file: through Unix.map_file (OCaml 4.08 removed it)',
      });
  let text = source;
  for (const e of edits.sort((a, b) => b.at - a.at))
    text = text.slice(0, e.at) + e.insert + text.slice(e.at + e.length);
  return { text, changes: edits.map((e) => e.change) };
}
