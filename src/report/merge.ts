import { EXIT, UserError } from '../errors.js';
import { type GateOutcome, type GateRow, gateDecision } from '../gate/gate.js';
import type { ProbeResult } from '../probe/probe.js';
import type { ShardRecord } from '../probe/shard.js';

/** What `run --json` writes. */
export interface RunJson {
  schema: 'lwt-regress/run';
  schemaVersion: number;
  ocaml?: string;
  shard?: ShardRecord;
  interrupted?: true;
  results: ProbeResult[];
}

/** What `gate --json` writes. */
export interface GateJson extends GateOutcome {
  schema: 'lwt-regress/gate';
  schemaVersion: number;
  interrupted?: true;
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
  const shard = wholeMatrix(parts as { name: string; data: RunJson | GateJson }[]);
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
    const run = { schema: 'lwt-regress/run' as const, schemaVersion: 1, ocaml: runs[0]!.ocaml, shard, results };
    return { kind: 'run', run };
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
  return { kind: 'gate', gate: { ...first, rows, verdict: gateDecision(rows), shard } };
}

/**
 * The shards given are the whole of one matrix: none interrupted (its part
 * is cut short), each recording its part of the same matrix, every part
 * 1…N there; else nothing is merged, since what is missing tested nothing.
 */
function wholeMatrix(parts: { name: string; data: RunJson | GateJson }[]): ShardRecord {
  const interrupted = parts.find((p) => p.data.interrupted);
  if (interrupted)
    throw new UserError(
      `${interrupted.name} is the JSON of an interrupted run: its part of the matrix is incomplete`,
      EXIT.untestable,
      'Run that shard again to its end, then merge',
    );
  const unmarked = parts.find((p) => !isShardRecord(p.data.shard));
  if (unmarked)
    throw new UserError(
      `${unmarked.name} records no shard of a matrix (it was written by an older lwt-regress)`,
      EXIT.usage,
      'Write every shard again with this lwt-regress',
    );
  const records = parts.map((p) => p.data.shard as ShardRecord);
  const [first] = records;
  const count = Number(first!.part.split('/')[1]);
  const other = records.findIndex((r) => r.matrix !== first!.matrix || Number(r.part.split('/')[1]) !== count);
  if (other >= 0)
    throw new UserError(
      `${parts[0]!.name} and ${parts[other]!.name} are shards of different matrices (other versions, cases or counts)`,
      EXIT.usage,
      'Merge the shards of one command, each written with the same options but --shard',
    );
  const present = new Set(records.map((r) => Number(r.part.split('/')[0])));
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !present.has(i));
  if (missing.length > 0)
    throw new UserError(
      `shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} of ${count} missing`,
      EXIT.untestable,
      'Merge every shard of the matrix: the one that is missing tested nothing (did its job fail or get cancelled?)',
    );
  return { ...first!, part: '1/1' };
}

function isShardRecord(data: unknown): data is ShardRecord {
  const r = data as Partial<ShardRecord> | null | undefined;
  return (
    typeof r?.part === 'string' &&
    /^[1-9]\d*\/[1-9]\d*$/.test(r.part) &&
    typeof r.matrix === 'string' &&
    typeof r.probes === 'number'
  );
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
