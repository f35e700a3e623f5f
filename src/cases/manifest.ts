import semver from 'semver';
import { EXIT, UserError } from '../errors.js';

export type ExpectedOutcome = 'cycle' | 'clean';

/** OCaml 5: what becomes of the Stack_overflow the runtime raises. */
export type ExceptionHandling = 'caught-by-lwt' | 'uncaught';

export interface Expectation {
  /** Lwt versions this applies to (semver range). */
  lwt: string;
  /** Compiler versions this applies to (semver range); any when absent. */
  ocaml?: string;
  outcome: ExpectedOutcome;
  /**
   * For a `cycle` on OCaml 5: whether Lwt catches the Stack_overflow (the
   * program goes on) or lets it escape (the program dies of it).
   */
  exception?: ExceptionHandling;
  /** For `cycle`: names that must all appear in the cycle (demangled, e.g. `Lwt.resolve`). */
  frames: string[];
  why: string;
}

/**
 * What a case runs: its own OCaml sources (built by lwt-regress), a target
 * of the user's dune project (built by dune against the Lwt under test), or
 * a program already built (run as it is; its Lwt is whatever it was linked with).
 */
export type CaseProgram =
  | { kind: 'ocaml' }
  | { kind: 'dune'; root: string; target: string }
  | { kind: 'command'; argv: string[] };

/** A stack overflow a case is expected to show on some Lwt versions: what it is called, and where it was fixed. */
export interface KnownOverflow {
  title: string;
  /** The first version expected clean after the overflowing ones, or null when it was never fixed. */
  fixedIn: string | null;
}

export interface CaseManifest {
  name: string;
  /** A short name for the overflow the case reproduces, e.g. "the 2011 mutex hand-off". */
  title: string;
  /**
   * Names that identify the overflow in any Lwt era, whatever frames Lwt's
   * wakeup machinery adds around them (`Lwt_mutex`: a frame of Lwt_mutex in
   * the cycle); all must be in a cycle. Optional: used by `analyze` to name
   * the known overflow a core shows, never by the verdict of a run.
   */
  signature?: string[];
  program: CaseProgram;
  /** The program's arguments; `{size}` stands for the size. Default: the size alone. */
  args: string[];
  description: string;
  /** The Lwt API the program needs; outside it the case is not applicable. */
  needs: string;
  size: { default: number; meaning: string };
  /** findlib packages the program uses besides `lwt` (e.g. `lwt.unix`), linked with `-package`. */
  packages: string[];
  expect: Expectation[];
  /** Where the facts behind the expectations come from. */
  sources: string[];
}

function invalid(name: string, what: string): UserError {
  return new UserError(
    `case ${name}: its case.json ${what}`,
    EXIT.usage,
    `Fix ocaml-cases/${name}/case.json (see ocaml-cases/README.md for the format)`,
  );
}

/** One entry of "expect": the Lwt range, the outcome and what the cycle must show. */
function parseExpectation(name: string, e: Record<string, unknown> | null, i: number): Expectation {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) throw invalid(name, `expect[${i}] must be an object`);
  if (typeof e.lwt !== 'string' || semver.validRange(e.lwt) === null)
    throw invalid(name, `expect[${i}] needs "lwt": a semver range`);
  if (e.outcome !== 'cycle' && e.outcome !== 'clean')
    throw invalid(name, `expect[${i}] needs "outcome": "cycle" or "clean"`);
  const frames = e.frames ?? [];
  if (!Array.isArray(frames) || !frames.every((f) => typeof f === 'string'))
    throw invalid(name, `expect[${i}] "frames" must be a list of names`);
  if (e.ocaml !== undefined && (typeof e.ocaml !== 'string' || semver.validRange(e.ocaml) === null))
    throw invalid(name, `expect[${i}] "ocaml" must be a semver range of compiler versions`);
  if (e.exception !== undefined && e.exception !== 'caught-by-lwt' && e.exception !== 'uncaught')
    throw invalid(name, `expect[${i}] "exception" must be "caught-by-lwt" or "uncaught"`);
  if (e.exception !== undefined && (e.outcome !== 'cycle' || e.ocaml === undefined))
    throw invalid(name, `expect[${i}] "exception" needs "outcome": "cycle" and an "ocaml" range (OCaml 5 raises it)`);
  return {
    lwt: e.lwt,
    ...(e.ocaml !== undefined ? { ocaml: e.ocaml as string } : {}),
    outcome: e.outcome,
    ...(e.exception !== undefined ? { exception: e.exception as ExceptionHandling } : {}),
    frames: frames as string[],
    why: typeof e.why === 'string' ? e.why : '',
  };
}

/** Validates a parsed case.json: a bad manifest is the case author's error, reported as such. */
export function parseManifest(name: string, data: unknown): CaseManifest {
  const m = data as Record<string, unknown>;
  if (typeof m !== 'object' || m === null) throw invalid(name, 'is not a JSON object');
  if (typeof m.description !== 'string') throw invalid(name, 'needs a "description" string');
  if (typeof m.needs !== 'string' || semver.validRange(m.needs) === null)
    throw invalid(name, 'needs "needs": a semver range of Lwt versions');
  const size = m.size as CaseManifest['size'];
  if (typeof size !== 'object' || !Number.isSafeInteger(size?.default) || size.default <= 0)
    throw invalid(name, 'needs "size": { "default": a positive integer, "meaning": text }');
  const packages = m.packages ?? [];
  if (
    !Array.isArray(packages) ||
    !packages.every((p) => typeof p === 'string' && /^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/.test(p))
  )
    throw invalid(name, '"packages" must be a list of findlib package names, e.g. ["lwt.unix"]');
  if (!Array.isArray(m.expect) || m.expect.length === 0) throw invalid(name, 'needs a non-empty "expect" list');
  const expect = m.expect.map((e: Record<string, unknown> | null, i: number) => parseExpectation(name, e, i));
  const program = programOf(name, m);
  const args = m.args ?? ['{size}'];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))
    throw invalid(name, '"args" must be a list of strings ({size} stands for the size)');
  if (program.kind === 'command' && m.args !== undefined)
    throw invalid(name, '"args" does not go with "command": put the arguments in the command itself');
  if (program.kind === 'command' && expect.some((e) => e.lwt !== '*'))
    throw invalid(
      name,
      'runs a program already built, whose Lwt lwt-regress does not choose: its expectations need "lwt": "*"',
    );
  const sources = Array.isArray(m.sources)
    ? (m.sources as unknown[]).filter((s): s is string => typeof s === 'string')
    : [];
  if (m.title !== undefined && (typeof m.title !== 'string' || !m.title.trim()))
    throw invalid(name, '"title" must be a short name for the overflow the case reproduces');
  const signature = m.signature;
  if (
    signature !== undefined &&
    (!Array.isArray(signature) ||
      signature.length === 0 ||
      !signature.every((f) => typeof f === 'string' && /^[A-Z][\w']*(\.\S+)?$/.test(f)))
  )
    throw invalid(name, '"signature" must be a non-empty list of OCaml names, e.g. ["Lwt_mutex"] or ["Lwt.map"]');
  return {
    name,
    title: typeof m.title === 'string' ? m.title : name,
    ...(signature !== undefined ? { signature: signature as string[] } : {}),
    program,
    args: args as string[],
    description: m.description,
    needs: m.needs,
    size: { default: size.default, meaning: String(size.meaning ?? '') },
    packages: packages as string[],
    expect,
    sources,
  };
}

/**
 * What the manifest says of an overflow it expects: its title, and the
 * first version after it expected to run clean (the fix), if any, among the
 * entries for the same compilers.
 */
export function knownOverflow(manifest: CaseManifest, expectation: Expectation): KnownOverflow | null {
  if (expectation.outcome !== 'cycle') return null;
  const later = manifest.expect
    .slice(manifest.expect.indexOf(expectation) + 1)
    .filter((e) => e.ocaml === undefined || e.ocaml === expectation.ocaml);
  // Fixed only if it stays fixed: a clean range followed by another overflowing one is not a fix.
  const fix = later.findIndex((e) => e.outcome === 'clean');
  const stays = fix >= 0 && later.slice(fix).every((e) => e.outcome === 'clean');
  return { title: manifest.title, fixedIn: stays ? (semver.minVersion(later[fix]!.lwt)?.version ?? null) : null };
}

/**
 * The expectation for a Lwt version built with a compiler: the first entry
 * whose `lwt` range holds the version and whose `ocaml` range, if it has one,
 * holds the compiler's (`5.3.0+dev` counts as 5.3.0).
 */
export function expectationFor(manifest: CaseManifest, version: string, ocaml: string): Expectation | undefined {
  const compiler = semver.coerce(ocaml)?.version;
  return manifest.expect.find(
    (e) =>
      semver.satisfies(version, e.lwt, { includePrerelease: true }) &&
      (e.ocaml === undefined || (compiler !== undefined && semver.satisfies(compiler, e.ocaml))),
  );
}

function programOf(name: string, m: Record<string, unknown>): CaseProgram {
  if (m.dune !== undefined && m.command !== undefined) throw invalid(name, 'has both "dune" and "command": give one');
  if (m.dune !== undefined) {
    const d = m.dune as Record<string, unknown> | null;
    if (typeof d !== 'object' || d === null || typeof d.root !== 'string' || typeof d.target !== 'string' || !d.target)
      throw invalid(
        name,
        '"dune" needs { "root": the dune project, relative to the case, "target": e.g. "test/x.exe" }',
      );
    return { kind: 'dune', root: d.root, target: d.target };
  }
  if (m.command !== undefined) {
    const c = m.command;
    if (!Array.isArray(c) || c.length === 0 || !c.every((a) => typeof a === 'string') || !c[0])
      throw invalid(name, '"command" must be the program and its arguments, e.g. ["./selftest.exe", "{size}"]');
    return { kind: 'command', argv: c as string[] };
  }
  return { kind: 'ocaml' };
}

/** The arguments a case's program gets, `{size}` replaced. */
export function programArgs(args: string[], size: number): string[] {
  return args.map((a) => a.replaceAll('{size}', String(size)));
}
