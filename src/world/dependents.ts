/**
 * Which findlib packages must be rebuilt against the Lwt under test: pure,
 * from the installed packages' requirements. A package is rebuilt as a whole
 * (its top-level name: `logs` for `logs.lwt`), when any of its packages the
 * case reaches requires Lwt, directly or through others; Lwt's own packages
 * (`lwt`, `lwt.unix`, `lwt.log`) come from the Lwt build itself.
 */

/**
 * The package built on Lwt that kept a world from being built, when it was
 * the package's doing (not the machine's): it does not build against the Lwt
 * under test, or no source of it that lwt-regress can build was found.
 */
export interface DependentProblem {
  package: string;
  problem: 'does-not-build' | 'no-source';
}

/** Each findlib package the case reaches, with the packages it requires (`ocamlfind query -r`). */
export type RequiresGraph = ReadonlyMap<string, readonly string[]>;

export const rootOf = (pkg: string) => pkg.split('.')[0]!;

const isLwt = (pkg: string) => rootOf(pkg) === 'lwt';

/**
 * The top-level packages to rebuild, each after the ones it requires (so
 * that it builds against their rebuilt copies), in a stable order.
 */
export function lwtDependents(graph: RequiresGraph, wanted: readonly string[]): string[] {
  // A plain search from each package: the graphs are a few dozen packages, and cycles need no care.
  const reaches = (pkg: string): boolean => {
    const seen = new Set([pkg]);
    const queue = [pkg];
    for (let next = queue.pop(); next !== undefined; next = queue.pop())
      for (const r of graph.get(next) ?? []) {
        if (isLwt(r)) return true;
        if (seen.has(r)) continue;
        seen.add(r);
        queue.push(r);
      }
    return false;
  };
  const order: string[] = [];
  const visit = (pkg: string, path: Set<string>) => {
    if (path.has(pkg)) return;
    path.add(pkg);
    for (const r of graph.get(pkg) ?? []) visit(r, path);
    path.delete(pkg);
    const root = rootOf(pkg);
    if (!isLwt(pkg) && reaches(pkg) && !order.includes(root)) order.push(root);
  };
  for (const pkg of [...wanted].sort()) visit(pkg, new Set());
  return order;
}
