import { digest } from '../cache/digest.js';

/**
 * One of n deterministic parts of a suite, for spreading a large version ×
 * case matrix over CI jobs: probe k (in the order versions × cases) belongs
 * to shard (k mod n) + 1, so every shard gets a share of every version.
 */
export interface Shard {
  /** 1-based, as `--shard 2/3` writes it. */
  index: number;
  count: number;
}

export function parseShard(text: string): Shard | undefined {
  const m = /^([1-9]\d*)\/([1-9]\d*)$/.exec(text.trim());
  if (!m) return undefined;
  const shard = { index: Number(m[1]), count: Number(m[2]) };
  return shard.index <= shard.count ? shard : undefined;
}

export function inShard(position: number, shard: Shard | undefined): boolean {
  return shard === undefined || position % shard.count === shard.index - 1;
}

/**
 * What a shard's JSON records of the matrix it is part of, for the merge to
 * see a shard that is missing: its part (`2/4`, `1/1` unsharded), the
 * matrix's identity (a digest of every probe of the whole, in order) and how
 * many probes the whole has.
 */
export interface ShardRecord {
  part: string;
  matrix: string;
  probes: number;
}

export function shardRecord(shard: Shard | undefined, wholeMatrix: string[]): ShardRecord {
  return {
    part: shard ? `${shard.index}/${shard.count}` : '1/1',
    matrix: digest(wholeMatrix),
    probes: wholeMatrix.length,
  };
}
