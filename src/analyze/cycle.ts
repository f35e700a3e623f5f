/**
 * The recurring call cycle of a stack: the shortest unit of return addresses
 * that repeats, read from the top of the stack down, after which the stack
 * changes (the frames that entered the recursion).
 */
export interface CycleMatch {
  /** Index of the topmost frame of the repeating region. */
  start: number;
  /** One past the bottommost frame of the region: the first entry frame. */
  end: number;
  /** Frames per repetition. */
  period: number;
  /** Whole repetitions in the region; the remaining `(end - start) % period` frames are a partial one at the top. */
  repetitions: number;
}

export interface CycleOptions {
  /** Fewer repetitions than this is not a cycle. */
  minRepetitions: number;
  /** Longest unit considered. */
  maxPeriod: number;
  /** How many frames at the top may precede the region (the fault's own frames). */
  maxSkip: number;
}

/**
 * Margins, not measurements: an overflow's cycle repeats thousands of times,
 * so 4 repetitions only keeps a short run that happens by chance from
 * counting; the cases' cycles have a handful of frames, and 512 leaves room
 * for long units while bounding the work per start; 64 frames at the top
 * cover what runs above the cycle when the stack runs out (the fault's own
 * frames, an allocation, the runtime's handler).
 */
export const DEFAULT_CYCLE_OPTIONS: CycleOptions = { minRepetitions: 4, maxPeriod: 512, maxSkip: 64 };

/**
 * Exact search: the region [start, end) where keys[i] === keys[i + period]
 * holds throughout, choosing the region that covers the most frames (then the
 * smallest period). Multiples of a period already found at the same start are
 * skipped, and so are starts deep inside a region already found, so a deep
 * stack costs one pass per distinct candidate rather than one per multiple.
 * Only keys before `to` are considered.
 */
export function findCycle(
  keys: ArrayLike<number>,
  from: number,
  options: CycleOptions = DEFAULT_CYCLE_OPTIONS,
  to = keys.length,
): CycleMatch | undefined {
  const n = Math.min(to, keys.length);
  let best: CycleMatch | undefined;
  for (let t = from; t < Math.min(n, from + options.maxSkip + 1); t++) {
    if (best && t > best.start && t < best.end - 2 * options.maxPeriod) continue;
    // Periods found at this start and where their runs ended: a multiple of one
    // is periodic at least that far, so its check starts there.
    const found: { period: number; end: number }[] = [];
    for (let p = 1; p <= options.maxPeriod && t + p < n; p++) {
      // Most periods fail at once: skip them before looking at the periods found.
      if (keys[t] !== keys[t + p]) continue;
      let i = t;
      for (const q of found) if (p % q.period === 0) i = Math.max(i, q.end - p);
      while (i + p < n && keys[i] === keys[i + p]) i++;
      const end = i + p;
      const covered = end - t;
      if (covered < options.minRepetitions * p) continue;
      found.push({ period: p, end });
      if (!best || covered > best.end - best.start || (covered === best.end - best.start && p < best.period)) {
        best = { start: t, end, period: p, repetitions: Math.floor(covered / p) };
      }
    }
  }
  return best;
}

/**
 * Scan mode sees stale words as well as return addresses. Real frames of a
 * cycle recur at a fixed stack distance (OCaml frames have fixed sizes), so:
 * find the most common distance between repeats of the same word near the
 * top, keep the words that recur at that distance, and search the kept
 * sequence exactly. Returns the cycle in original indices and the indices
 * dropped as noise inside it.
 * `slots` must ascend from `from` on, as a walk up the stack gives them, so
 * that time and memory stay linear in the number of frames.
 */
export function findCycleTolerant(
  keys: ArrayLike<number>,
  slots: ArrayLike<number>,
  from: number,
  options: CycleOptions = DEFAULT_CYCLE_OPTIONS,
): { cycle: CycleMatch; noise: Uint32Array } | undefined {
  const stride = commonStride(keys, slots, from);
  if (stride === undefined) {
    const cycle = findCycle(keys, from, options);
    return cycle && { cycle, noise: new Uint32Array(0) };
  }
  const n = keys.length;
  const recurs = new Uint8Array(n);
  const count = markRecurring(keys, slots, from, stride, recurs);
  let first = from;
  while (first < n && !recurs[first]) first++;
  let last = n - 1;
  while (last >= first && !recurs[last]) last--;
  if (count === last - first + 1) {
    // No stale word among the kept ones: search them in place.
    const cycle = findCycle(keys, first, options, last + 1);
    return cycle && { cycle, noise: new Uint32Array(0) };
  }
  const keptKeys = new Float64Array(count);
  for (let i = first, j = 0; i <= last; i++) if (recurs[i]) keptKeys[j++] = keys[i]!;
  const inner = findCycle(keptKeys, 0, options);
  if (!inner) return undefined;
  // Back to original indices: the kept frames at positions inner.start and inner.end - 1.
  let start = -1;
  let end = -1;
  for (let i = first, j = 0; end < 0; i++) {
    if (!recurs[i]) continue;
    if (j === inner.start) start = i;
    // The region ends after its bottommost kept frame; what follows is the entry.
    if (j === inner.end - 1) end = i + 1;
    j++;
  }
  const noise = new Uint32Array(end - start - (inner.end - inner.start));
  for (let i = start, dropped = 0; i < end; i++) if (!recurs[i]) noise[dropped++] = i;
  return { cycle: { ...inner, start, end }, noise };
}

/**
 * Sets recurs[i] for each frame from `from` on whose word recurs `stride`
 * away, above or below; returns how many do. Slots ascend, so two cursors
 * moving with i find the frames a stride away.
 */
function markRecurring(
  keys: ArrayLike<number>,
  slots: ArrayLike<number>,
  from: number,
  stride: number,
  recurs: Uint8Array,
): number {
  const n = keys.length;
  let count = 0;
  let below = from;
  let above = from;
  for (let i = from; i < n; i++) {
    const slot = slots[i]!;
    const key = keys[i]!;
    while (slots[below]! < slot - stride) below++;
    while (above < n && slots[above]! < slot + stride) above++;
    if (
      (slots[below] === slot - stride && keys[below] === key) ||
      (above < n && slots[above] === slot + stride && keys[above] === key)
    ) {
      recurs[i] = 1;
      count++;
    }
  }
  return count;
}

/**
 * The words near the top the stride is learned from: a unit of up to
 * maxPeriod (512) words shows at least 8 times in them, and reading further
 * down a stack of millions of words would only cost time.
 */
const STRIDE_WINDOW = 4096;
/**
 * Distances are counted against a word's first 16 occurrences only: a word of
 * the cycle recurs hundreds of times in the window, pairing all of them would
 * be quadratic, and the first 16 already give the stride many times over.
 */
const OCCURRENCES_PAIRED = 16;
/**
 * The most frequent distances checked against every word: the true stride is
 * among the most frequent (each repetition adds one count per word of the
 * unit), and each check is a pass over the window.
 */
const STRIDE_CANDIDATES = 32;
/** Fewer words recurring at a distance than this is chance, not a stride. */
const MIN_STRIDE_MATCHES = 3;

/**
 * The stack distance at which most words near the top recur with the same
 * value. Candidates are the distances between any two occurrences of a word
 * (not only consecutive ones: a unit like a b b a repeats at 4 words, which no
 * consecutive pair shows); the winner is the one most words agree with.
 */
function commonStride(keys: ArrayLike<number>, slots: ArrayLike<number>, from: number): number | undefined {
  const window = Math.min(keys.length, from + STRIDE_WINDOW);
  const occurrences = new Map<number, number[]>();
  const at = new Map<number, number>();
  const distances = new Map<number, number>();
  for (let i = from; i < window; i++) {
    const seen = occurrences.get(keys[i]!) ?? [];
    for (const prev of seen) {
      const d = slots[i]! - prev;
      distances.set(d, (distances.get(d) ?? 0) + 1);
    }
    if (seen.length < OCCURRENCES_PAIRED) seen.push(slots[i]!);
    occurrences.set(keys[i]!, seen);
    at.set(slots[i]!, keys[i]!);
  }
  const candidates = [...distances]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, STRIDE_CANDIDATES)
    .map(([d]) => d);
  let best: number | undefined;
  let bestMatches = MIN_STRIDE_MATCHES - 1;
  for (const d of candidates) {
    let matches = 0;
    for (let i = from; i < window; i++) if (at.get(slots[i]! + d) === keys[i]) matches++;
    if (matches > bestMatches || (matches === bestMatches && best !== undefined && d < best)) {
      best = d;
      bestMatches = matches;
    }
  }
  return best;
}
