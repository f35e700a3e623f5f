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
