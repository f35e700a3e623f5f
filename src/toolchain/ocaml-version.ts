/**
 * Whether this OCaml runs OCaml code on fiber stacks (5.x) rather than the
 * system stack (4.x): OCaml 5's runtime/fiber.c allocates every OCaml stack,
 * the main one included, on the heap.
 */
export function hasFiberStacks(version: string): boolean {
  return Number(version.split('.')[0]) >= 5;
}
