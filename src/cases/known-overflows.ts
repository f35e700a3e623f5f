/**
 * Which known overflow a cycle is: the cycle found in a core (of any program,
 * not only a case's) compared with the cycles the cases' manifests record,
 * for `lwt-regress analyze`. Pure: it takes the cycle's frames and the
 * manifests already loaded, and returns data; loading is the command's job.
 */
import semver from 'semver';
import { holdsFrame } from './frame-names.js';
import type { CaseManifest, Expectation } from './manifest.js';

/** A frame of the cycle, as the analysis reports it. */
export interface CycleFrame {
  /** Demangled name, e.g. `Lwt_mutex.<fun>`. */
  name: string;
  /** The source definition OCaml recorded (4.12+), e.g. `Lwt_mutex.with_lock.(fun)`, or null. */
  definition: string | null;
}

/** A case whose known overflow the cycle matches. */
export interface KnownClassCandidate {
  case: string;
  title: string;
  /** The Lwt versions on which the case overflows, as a semver range (`>=2.0.0 <2.3.1`); null when none. */
  presentIn: string | null;
  /** The first version from which the case stays clean, or null when it was never fixed. */
  fixedIn: string | null;
  /** The case's signature, when the cycle holds all of it. */
  signature: string[] | null;
  /** The expectation whose frames the cycle holds (the most of them), when one does. */
  expectation: { lwt: string; ocaml: string | null; frames: string[] } | null;
  /** Names of the case the cycle holds (signature and expectation frames): more is more specific. */
  specificity: number;
  /** Among the candidates ranked first (several when they are equally specific). */
  best: boolean;
}

export interface KnownClass {
  /** `match`: one case ranked first; `ambiguous`: several, equally specific; `none`: no case matched. */
  status: 'match' | 'ambiguous' | 'none';
  casesCompared: number;
  /** Best first. */
  candidates: KnownClassCandidate[];
}

/** The case program's own module: its closures stand for a production program's own, which have other names. */
const CASE_MODULE = 'Case.';

/** The expectations that apply with this compiler (all but other compilers' entries), in manifest order. */
function forCompiler(manifest: CaseManifest, ocaml: string | null): Expectation[] {
  const compiler = ocaml === null ? undefined : semver.coerce(ocaml)?.version;
  return manifest.expect.filter(
    (e) => e.ocaml === undefined || (compiler !== undefined && semver.satisfies(compiler, e.ocaml)),
  );
}

const satisfies = (version: string, range: string) => semver.satisfies(version, range, { includePrerelease: true });

/** What the manifest expects of a version: its first applicable entry decides, as in a run. */
function outcomeAt(manifest: CaseManifest, expect: Expectation[], version: string): 'cycle' | 'clean' | 'none' {
  if (!satisfies(version, manifest.needs)) return 'none';
  return expect.find((e) => satisfies(version, e.lwt))?.outcome ?? 'none';
}

/** Every version a range names: between two of them, what a manifest expects cannot change. */
function boundaries(range: string): string[] {
  return new semver.Range(range, { includePrerelease: true }).set
    .flat()
    .map((c) => (c.semver instanceof semver.SemVer ? c.semver.version : null))
    .filter((v): v is string => v !== null);
}

/**
 * Where the case overflows and where it was fixed, read from its manifest for
 * this compiler. The manifests' ranges are `>=` and `<` bounds, so what they
 * expect is constant from one named version up to the next: each stretch is
 * judged at its first version. Fixed means clean after the last overflowing
 * stretch (a clean stretch followed by an overflowing one is not a fix).
 */
export function overflowVersions(
  manifest: CaseManifest,
  ocaml: string | null,
): { presentIn: string | null; fixedIn: string | null } {
  const expect = forCompiler(manifest, ocaml);
  const points = [
    ...new Set(['0.0.0', ...boundaries(manifest.needs), ...expect.flatMap((e) => boundaries(e.lwt))]),
  ].sort(semver.compare);
  const stretches: { from: string; outcome: 'cycle' | 'clean' | 'none' }[] = [];
  for (const from of points) {
    const outcome = outcomeAt(manifest, expect, from);
    if (stretches.at(-1)?.outcome !== outcome) stretches.push({ from, outcome });
  }
  const spans = stretches.flatMap((s, i) => {
    if (s.outcome !== 'cycle') return [];
    const from = s.from === '0.0.0' ? '' : `>=${s.from}`;
    const before = stretches[i + 1] ? `<${stretches[i + 1]!.from}` : '';
    return [[from, before].filter(Boolean).join(' ') || '*'];
  });
  const last = stretches.map((s) => s.outcome).lastIndexOf('cycle');
  const fix = last < 0 ? undefined : stretches.slice(last + 1).find((s) => s.outcome === 'clean');
  return { presentIn: spans.length > 0 ? spans.join(' || ') : null, fixedIn: fix?.from ?? null };
}

/**
 * The known overflows the cycle matches, best first. A case matches when the
 * cycle holds every name of its signature, or every frame of one of its
 * `cycle` expectations for this compiler (its `Case.…` frames left out: they
 * are the case program's own closures). A matched signature ranks first —
 * it names what identifies the overflow in any Lwt era — then the number of
 * the case's names the cycle holds; cases equal on both are reported together.
 * `ocaml`: the executable's compiler version (null when unknown: only the
 * expectations for any compiler apply).
 */
export function matchKnownClass(cycle: CycleFrame[], manifests: CaseManifest[], ocaml: string | null): KnownClass {
  const names = cycle.map((f) => f.name);
  const definitions = cycle.flatMap((f) => (f.definition ? [f.definition] : []));
  const holds = (name: string) => holdsFrame(name, names, definitions);
  const found: KnownClassCandidate[] = [];
  for (const manifest of manifests) {
    const signature = manifest.signature?.every(holds) ? manifest.signature : null;
    let expectation: KnownClassCandidate['expectation'] = null;
    for (const e of forCompiler(manifest, ocaml)) {
      const frames = e.frames.filter((f) => !f.startsWith(CASE_MODULE));
      if (e.outcome !== 'cycle' || frames.length === 0 || !frames.every(holds)) continue;
      if (expectation === null || frames.length > expectation.frames.length)
        expectation = { lwt: e.lwt, ocaml: e.ocaml ?? null, frames };
    }
    if (!signature && !expectation) continue;
    found.push({
      case: manifest.name,
      title: manifest.title,
      ...overflowVersions(manifest, ocaml),
      signature,
      expectation,
      specificity: (signature?.length ?? 0) + (expectation?.frames.length ?? 0),
      best: false,
    });
  }
  const rank = (c: KnownClassCandidate) => (c.signature ? 1000 : 0) + c.specificity;
  // A stable sort: equally specific cases keep the order they were given in.
  found.sort((a, b) => rank(b) - rank(a));
  const top = found[0] ? rank(found[0]) : -1;
  for (const c of found) c.best = rank(c) === top;
  const bestCount = found.filter((c) => c.best).length;
  return {
    status: bestCount === 0 ? 'none' : bestCount === 1 ? 'match' : 'ambiguous',
    casesCompared: manifests.length,
    candidates: found,
  };
}

function describe(c: KnownClassCandidate): string {
  const present = c.presentIn ? `present in Lwt ${c.presentIn}` : 'expected to overflow on no Lwt version';
  return `${c.case}: ${c.title}, ${present}, ${c.fixedIn ? `fixed in ${c.fixedIn}` : 'not fixed'}`;
}

function evidence(c: KnownClassCandidate): string {
  const parts: string[] = [];
  // Matched by its signature alone: the Lwt around it is not one the case overflows on (a regressed Lwt, say).
  const alone = c.expectation ? '' : ' alone: its Lwt frames are those of no version the case overflows on';
  if (c.signature) parts.push(`its signature ${c.signature.join(', ')}${alone}`);
  if (c.expectation) parts.push(`${c.expectation.frames.join(', ')} as on Lwt ${c.expectation.lwt}`);
  return parts.join('; ');
}

/** One line for the text report: the known overflow, or `no known class`. */
export function formatKnownClass(k: KnownClass): string {
  const cases = `${k.casesCompared} case${k.casesCompared === 1 ? '' : 's'}`;
  if (k.status === 'none') return `Known overflow: no known class (the cycle matches none of the ${cases})`;
  const best = k.candidates.filter((c) => c.best);
  const others = k.candidates.filter((c) => !c.best).map((c) => c.case);
  const also = others.length > 0 ? `; also consistent with: ${others.join(', ')}` : '';
  if (k.status === 'match') return `Known overflow: matches ${describe(best[0]!)} (by ${evidence(best[0]!)})${also}`;
  return `Known overflow: matches one of ${best.length} equally specific cases: ${best
    .map((c) => `${describe(c)} (by ${evidence(c)})`)
    .join('; ')}${also}`;
}
