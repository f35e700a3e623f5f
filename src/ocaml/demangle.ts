/**
 * OCaml native symbol names to source names.
 *   4.x / 5.0:  camlStdlib__List__iter_123    -> Stdlib.List.iter
 *   5.1+:       camlStdlib__List.iter_123     -> Stdlib.List.iter
 *   some 5.x:   camlStdlib$List$iter_123      -> Stdlib.List.iter
 * `fun_NNN` / `anon_fn[...]` are anonymous functions (`<fun>`), `$xx` escapes a
 * character that is not allowed in a symbol (`$3e$3e$3d` is `>>=`), and the
 * trailing `_NNN` is a compiler stamp, not part of the name.
 * Written here because no maintained npm package covers OCaml's schemes.
 */
export interface Demangled {
  /** Dotted source name, e.g. `Lwt.run_waiters_rec`; the raw symbol when it is not an OCaml name. */
  name: string;
  /** The module path, e.g. `Lwt` or `Stdlib.List`; empty for C symbols. */
  module: string;
  /** True for OCaml-compiled code, false for the runtime's and other C symbols. */
  ocaml: boolean;
}

const decodeEscapes = (s: string) =>
  s.replace(/\$([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

function cleanFunctionName(raw: string): string {
  const name = decodeEscapes(raw);
  const anon = /^anon_fn\[(.*)\](?:_\d+)?$/.exec(name);
  if (anon) return `<fun:${anon[1]}>`;
  if (/^fun_\d+$/.test(name)) return '<fun>';
  const stamped = /^(.*[^_\d].*?)_\d+$/.exec(name);
  return stamped ? stamped[1]! : name;
}

function splitDollarForm(body: string): string[] {
  // `$` is both the separator and the escape prefix here: a `$` followed by two
  // hex digits is an escape unless an upper-case module name follows it.
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    const isEscape = c === '$' && /^[0-9a-fA-F]{2}/.test(body.slice(i + 1, i + 3)) && !/^[A-Z]/.test(body[i + 1]!);
    if (c === '$' && !isEscape) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

export function demangle(symbol: string): Demangled {
  const m = /^caml([A-Z].*)$/.exec(symbol);
  if (!m) return { name: symbol, module: '', ocaml: false };
  const body = m[1]!;
  let modules: string[];
  let fn: string | undefined;
  const dot = body.indexOf('.');
  if (dot >= 0) {
    modules = body.slice(0, dot).split('__');
    fn = body.slice(dot + 1);
  } else if (body.includes('__')) {
    const parts = body.split('__');
    const firstValue = parts.findIndex((p, i) => i > 0 && !/^[A-Z]/.test(p));
    const cut = firstValue < 0 ? parts.length - 1 : firstValue;
    modules = parts.slice(0, cut);
    fn = parts.slice(cut).join('__');
  } else if (/\$[A-Za-z_]/.test(body) || /\$[0-9a-f]{2}/i.test(body)) {
    const parts = splitDollarForm(body);
    modules = parts.slice(0, -1);
    fn = parts[parts.length - 1];
  } else {
    // A module's own symbols without a value part: camlFoo (its data block).
    return { name: body, module: body, ocaml: true };
  }
  // A module named after a file such as null-write.ml carries escapes too (camlNull$2dwrite).
  const module = modules.map(decodeEscapes).join('.');
  if (fn === undefined || fn === '') return { name: module, module, ocaml: true };
  return { name: module ? `${module}.${cleanFunctionName(fn)}` : cleanFunctionName(fn), module, ocaml: true };
}
