import type { ProbeCompiler } from '../probe/probe.js';

/** Who chose a compiler, as every report says it. */
export function chosenBy(c: ProbeCompiler): string {
  if (c.chosenBy === 'user') return `chosen by you (${c.description})`;
  return c.why ? `chosen by lwt-regress: ${c.why}` : `chosen by lwt-regress (the default: ${c.description})`;
}

/**
 * One line per compiler the probes used: its name, who chose it and why
 * (the first probe's reason; each probe's is in the JSON), and the Lwt
 * versions it built; what every report says under its table.
 */
export function compilerLines(probes: { compiler: ProbeCompiler; lwt: { label: string } }[]): string[] {
  const by = new Map<string, { compiler: ProbeCompiler; labels: Set<string> }>();
  for (const p of probes) {
    const key = `${p.compiler.name}\0${p.compiler.chosenBy}`;
    const entry = by.get(key) ?? { compiler: p.compiler, labels: new Set<string>() };
    entry.labels.add(p.lwt.label);
    by.set(key, entry);
  }
  return [...by.values()].map(
    ({ compiler, labels }) => `OCaml ${compiler.name} for Lwt ${[...labels].join(', ')}: ${chosenBy(compiler)}`,
  );
}
