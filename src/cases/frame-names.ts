/**
 * How a name in a case manifest (`frames`, `signature`) is found among the
 * frames of a cycle: shared by the verdict of a run and by the known-class
 * match of `analyze`, so that both read a manifest the same way. Pure.
 */

/**
 * `Lwt.resolve` names the same function as `Lwt.Resolution_loop.resolve`
 * (OCaml 4.12+ backtraces give the nested module path, symbols do not).
 */
export function sameFunction(expected: string, observed: string): boolean {
  if (expected === observed) return true;
  const e = expected.split('.');
  const o = observed.split('.');
  return e.length === 2 && o.length > 2 && e[0] === o[0] && e[1] === o[o.length - 1];
}

/**
 * Whether the frames hold a manifest name: a frame's demangled name, the same
 * function under a nested module, or the source definition OCaml recorded
 * (`Lwt.bind` holds `Lwt.bind.(fun)`); a module name alone (`Lwt_mutex`) holds
 * any frame of that module, anonymous closures (`Lwt_mutex.<fun>`) included.
 */
export function holdsFrame(expected: string, names: readonly string[], definitions: readonly string[]): boolean {
  if (names.some((o) => sameFunction(expected, o))) return true;
  if (definitions.some((d) => d === expected || d.startsWith(`${expected}.`))) return true;
  // A capitalised name without a dot is an OCaml module (C functions are lower case).
  return /^[A-Z][\w']*$/.test(expected) && names.some((n) => n.startsWith(`${expected}.`));
}
