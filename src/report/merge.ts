import { EXIT, UserError } from '../errors.js';
import { type GateOutcome, type GateRow, gateDecision } from '../gate/gate.js';
import type { ProbeResult } from '../probe/probe.js';

/** What `run --json` writes. */
export interface RunJson {
  schema: 'lwt-regress/run';
  schemaVersion: number;
  ocaml?: string;
  results: ProbeResult[];
}

/** What `gate --json` writes. */
export interface GateJson extends GateOutcome {
  schema: 'lwt-regress/gate';
  schemaVersion: number;
}

export type Merged = { kind: 'run'; run: RunJson } | { kind: 'gate'; gate: GateJson };

/**
 * The shards of one matrix (`--shard i/n` on several CI jobs) as one result:
 * all of the same kind, each probe or transition once (a probe present in
 * two parts is a mistake in the job matrix, and is refused rather than
 * counted twice), in the order versions × cases.
 */
export function mergeResults(parts: { name: string; data: unknown }[]): Merged {
  if (parts.length === 0)
    throw new UserError(
      'report --merge needs the JSON results to merge',
      EXIT.usage,
      'Give the files written by run --json or gate --json',
    );
  const kinds = parts.map((p) => schemaOf(p.name, p.data));
  if (new Set(kinds).size > 1) {
    throw new UserError(
      'report --merge got results of run and of gate',
      EXIT.usage,
      'Merge the shards of one command at a time',
    );
  }
  if (kinds[0] === 'lwt-regress/run') {
    const runs = parts.map((p) => p.data as RunJson);
    const seen = new Map<string, string>();
    for (const [i, run] of runs.entries()) {
      for (const r of run.results) {
        const key = `${r.lwt.label}\u0000${r.case}`;
        const other = seen.get(key);
        if (other) throw duplicate(`Lwt ${r.lwt.label} › ${r.case}`, other, parts[i]!.name);
        seen.set(key, parts[i]!.name);
      }
    }
    const results = runs.flatMap((r) => r.results);
    const versions = [...new Set(results.map((r) => r.lwt.label))];
    results.sort(
      (a, b) => versions.indexOf(a.lwt.label) - versions.indexOf(b.lwt.label) || a.case.localeCompare(b.case),
    );
    return { kind: 'run', run: { schema: 'lwt-regress/run', schemaVersion: 1, ocaml: runs[0]!.ocaml, results } };
  }
  const gates = parts.map((p) => p.data as GateJson);
  const first = gates[0]!;
  const other = gates.find((g) => g.baseline !== first.baseline || g.candidate !== first.candidate);
  if (other) {
    throw new UserError(
      'report --merge got gates of different upgrades ' +
        `(${first.baseline} → ${first.candidate} and ${other.baseline} → ${other.candidate})`,
      EXIT.usage,
      'Merge the shards of one gate',
    );
  }
  const rows: GateRow[] = [];
  const seen = new Map<string, string>();
  for (const [i, g] of gates.entries()) {
    for (const row of g.rows) {
      const before = seen.get(row.case);
      if (before) throw duplicate(`case ${row.case}`, before, parts[i]!.name);
      seen.set(row.case, parts[i]!.name);
      rows.push(row);
    }
  }
  rows.sort((a, b) => a.case.localeCompare(b.case));
  return { kind: 'gate', gate: { ...first, rows, verdict: gateDecision(rows) } };
}

function schemaOf(name: string, data: unknown): string {
  const schema = (data as { schema?: unknown } | null)?.schema;
  const ok =
    (schema === 'lwt-regress/run' && Array.isArray((data as RunJson).results)) ||
    (schema === 'lwt-regress/gate' && Array.isArray((data as GateJson).rows));
  if (!ok) {
    throw new UserError(
      `${name} is not the JSON of lwt-regress run or gate`,
      EXIT.usage,
      'Give the files written by run --json or gate --json',
    );
  }
  return schema as string;
}

function duplicate(what: string, a: string, b: string): UserError {
  return new UserError(`${what} is in both ${a} and ${b}`, EXIT.usage, 'Give each shard once (--shard 1/N … N/N)');
}
