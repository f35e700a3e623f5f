import { type Constructor, variantDefinitions } from './unix-variants.js';

/** Types OCaml predefines: they need no module path outside unix.mli. */
const PREDEFINED = new Set(['int', 'char', 'string', 'bytes', 'float', 'bool', 'unit', 'exn', 'list', 'option']);

/**
 * lwt.unix re-exports Unix's variant types with the constructors of its day
 * (`type open_flag = Unix.open_flag = O_RDONLY | …` in lwt_unix.ml and .mli,
 * 2.1 to 5.3), and a type equation must list every constructor of the type
 * it equates to, in order. OCaml has appended constructors since:
 * `O_SHARE_DELETE` and `O_CLOEXEC` (4.01; 2.3.x predates them), `O_KEEPEXEC`
 * (4.05; Lwt lists it from 2.7.1, behind cppo), `SO_REUSEPORT` (4.12; Lwt
 * lists it from 5.4.0, behind cppo). For each re-export whose constructors
 * are a strict prefix of the compiler's (`unix`, read from its unix.mli),
 * this appends the rest, on the line of the last constructor (so that the
 * compiler's line numbers stay the tree's; in 2.4's pa_optcomp-guarded
 * lists that is inside the last `#if ocaml_version >= …`, which a compiler
 * with the newer constructors satisfies). A re-export that is not a prefix
 * is left for the compiler to reject. Pure: returns the text and what it
 * appended, per Unix type.
 */
export function completeReexports(
  source: string,
  unix: Map<string, Constructor[]>,
): { text: string; changes: { type: string; added: string[] }[] } {
  const edits: { at: number; insert: string; type: string; added: string[] }[] = [];
  for (const d of variantDefinitions(source)) {
    const current = d.reexports ? unix.get(d.reexports) : undefined;
    if (!current || d.constructors.length >= current.length) continue;
    if (d.constructors.some((c, i) => c.name !== current[i]!.name)) continue;
    const missing = current.slice(d.constructors.length);
    edits.push({
      at: d.end,
      insert: missing.map((c) => ` | ${qualified(c.declaration)}`).join(''),
      type: d.reexports!,
      added: missing.map((c) => c.name),
    });
  }
  let text = source;
  for (const e of [...edits].reverse()) text = text.slice(0, e.at) + e.insert + text.slice(e.at);
  return { text, changes: edits.map(({ type, added }) => ({ type, added })) };
}

/** A constructor as unix.mli declares it, its argument types named from outside Unix (`of Unix.socket_domain`). */
function qualified(declaration: string): string {
  const of = declaration.indexOf(' of ');
  if (of < 0) return declaration;
  const args = declaration
    .slice(of + 4)
    .replace(/(?<![\w'.])([a-z_][\w']*)/g, (name) => (PREDEFINED.has(name) ? name : `Unix.${name}`));
  return `${declaration.slice(0, of)} of ${args}`;
}
