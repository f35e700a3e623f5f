import { codeOnly } from './ocaml-text.js';

/** One constructor of a variant type: its name and its declaration as code (`ADDR_INET of inet_addr * int`). */
export interface Constructor {
  name: string;
  declaration: string;
}

/** Where a definition's right-hand side ends: the next top-level item, `and`, `;;`, an item attribute. */
const ITEM_END = /\b(?:type|and|val|external|exception|module|open|include|let|class|end|in|sig|struct)\b|;;|\[@@/;

/** A type definition's name and, at `bodyStart`, what follows its `=`; with `Unix.x =` before it for a re-export. */
const TYPE_DEFINITION =
  /\b(?:type|and)\s+(?:(?:'\w+|\([^)]*\))\s+)?([a-z_][\w']*)\s*=\s*(?:Unix\.([a-z_][\w']*)\s*=\s*)?/g;

/**
 * A definition found in code-only text: its type, the Unix type it
 * re-exports, its constructors, and where its body ends.
 */
export interface VariantDefinition {
  type: string;
  reexports: string | undefined;
  constructors: Constructor[];
  /** The offset just past the last constructor's text. */
  end: number;
}

/**
 * Every variant type definition of an OCaml source (`type t = A | B of int`,
 * `type t = Unix.t = | A | B`); records, abstract types, aliases and
 * private types are left out. Comments, strings and attributes do not count.
 */
export function variantDefinitions(source: string): VariantDefinition[] {
  const code = codeOnly(source);
  const found: VariantDefinition[] = [];
  for (const m of code.matchAll(TYPE_DEFINITION)) {
    const bodyStart = m.index + m[0].length;
    const rest = code.slice(bodyStart);
    if (!/^(?:\||[A-Z][\w']*(?![\w']|\s*\.))/.test(rest)) continue;
    const stop = ITEM_END.exec(rest);
    const body = rest.slice(0, stop ? stop.index : rest.length);
    const constructors = splitTopLevel(body)
      .map((piece) =>
        piece
          .replace(/\[@[^\]]*\]/g, '')
          .replace(/\s+/g, ' ')
          .trim(),
      )
      .filter(Boolean)
      .map((declaration) => ({ name: /^[A-Z][\w']*/.exec(declaration)?.[0] ?? '', declaration }));
    if (constructors.some((c) => !c.name)) continue;
    found.push({ type: m[1]!, reexports: m[2], constructors, end: bodyStart + body.trimEnd().length });
  }
  return found;
}

/** A variant body's pieces between `|`s that are outside brackets (attributes and argument types keep theirs). */
function splitTopLevel(body: string): string[] {
  const pieces: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === '|' && depth === 0) {
      pieces.push(body.slice(start, i));
      start = i + 1;
    }
  }
  pieces.push(body.slice(start));
  return pieces;
}

/** The variant types of the compiler's own `unix.mli`, by name: the constructor lists a re-export must repeat. */
export function unixVariants(unixMli: string): Map<string, Constructor[]> {
  const types = new Map<string, Constructor[]>();
  for (const d of variantDefinitions(unixMli)) if (!types.has(d.type)) types.set(d.type, d.constructors);
  return types;
}
