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

export interface CaseManifest {
  name: string;
  description: string;
  /** The Lwt API the program needs; outside it the case is not applicable. */
  needs: string;
  size: { default: number; meaning: string };
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
  if (!Array.isArray(m.expect) || m.expect.length === 0) throw invalid(name, 'needs a non-empty "expect" list');
  const expect = m.expect.map((e: Record<string, unknown>, i: number): Expectation => {
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
  });
  const sources = Array.isArray(m.sources)
    ? (m.sources as unknown[]).filter((s): s is string => typeof s === 'string')
    : [];
  return {
    name,
    description: m.description,
    needs: m.needs,
    size: { default: size.default, meaning: String(size.meaning ?? '') },
    expect,
    sources,
  };
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
