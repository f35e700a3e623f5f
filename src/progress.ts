/**
 * Lines for a person watching a long run (a fetch, a build, a bisect step,
 * a warning): the core only announces them; the command decides where they
 * go (stderr), and whether at all (--quiet, --json).
 */
type Listener = (line: string) => void;

let listener: Listener | undefined;

export function onProgress(l: Listener | undefined): void {
  listener = l;
}

export function progress(line: string): void {
  listener?.(line);
}

/** "1.2 s" since a `performance.now()` mark, for the line that ends a step. */
export function secondsSince(started: number): string {
  return `${((performance.now() - started) / 1000).toFixed(1)} s`;
}
