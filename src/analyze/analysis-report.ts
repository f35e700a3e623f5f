/**
 * The analysis as data: what `--json` prints and what the rest of lwt-regress
 * asserts on. Documented in docs/analysis-schema.md; bump ANALYSIS_SCHEMA_VERSION
 * on any incompatible change.
 */
export const ANALYSIS_SCHEMA = 'lwt-regress/analysis';
export const ANALYSIS_SCHEMA_VERSION = 1;

/**
 * What the analysis concludes about the crash. Not to be confused with a
 * probe's verdict (pass, fail, untestable: src/probe/verdict.ts), which judges
 * a whole run against a case's expectation; the JSON field keeps its
 * schema-1 name, `verdict`.
 */
export type Diagnosis = 'stack-overflow-with-cycle' | 'stack-overflow-without-cycle' | 'not-stack-overflow';

export interface FrameInfo {
  /** Position from the top of the stack (0 is the faulting instruction). */
  index: number;
  pc: string;
  /** Demangled name (`Lwt.run_waiters_rec`), or `??` when no symbol covers the pc. */
  name: string;
  /** The raw symbol (`camlLwt__run_waiters_rec_207`), or null. */
  symbol: string | null;
  /** Offset of the pc from the symbol's start. */
  offset: number | null;
  file: string | null;
  line: number | null;
  /** The source definition the frame is in, from OCaml's debug info (4.12+), e.g. `Lwt.Resolution_loop.resolve`. */
  definition: string | null;
  method: 'register' | 'exact' | 'context' | 'scanned';
  /** Stack address the return address was read from (null for the faulting pc). */
  slot: string | null;
}

export interface CycleReport {
  /** Frames per repetition. */
  period: number;
  /** Whole repetitions. */
  repetitions: number;
  /** Frames of an incomplete repetition at the top. */
  partialFrames: number;
  /** Index of the topmost frame of the repeating region. */
  firstFrame: number;
  /** Index of the bottommost frame of the repeating region. */
  lastFrame: number;
  /** Stack bytes one repetition takes, or null when it cannot be measured. */
  bytesPerRepetition: number | null;
  /** The repeating unit as it was first entered (the bottommost repetition), top to bottom. */
  frames: FrameInfo[];
  /** Stack words inside the region dropped as noise (scan mode only). */
  noiseFrames: number;
}

export interface AnalysisReport {
  schema: typeof ANALYSIS_SCHEMA;
  schemaVersion: typeof ANALYSIS_SCHEMA_VERSION;
  /** The diagnosis (named `verdict` in the JSON since schema 1). */
  verdict: Diagnosis;
  /**
   * What showed the overflow: a fault in the guard gap below the stack (OCaml 4.x,
   * C code), or the core taken where OCaml 5's runtime raises Stack_overflow
   * (at `caml_raise_exn` or `caml_raise_stack_overflow`); null when it is not an overflow.
   */
  trigger: { kind: 'guard-fault' } | { kind: 'stack-overflow-raise'; at: string } | null;
  /**
   * The compiler, as the executable records it (`Stdlib.Sys.ocaml_version`),
   * and whether it runs OCaml on fiber stacks.
   */
  ocaml: { version: string | null; fibers: boolean };
  executable: {
    path: string;
    buildId: string | null;
    pie: boolean;
    loadBias: string;
    symbols: 'symtab' | 'dynsym' | 'none';
    frameTableModules: number;
    frameDescriptors: number;
  };
  core: { path: string; pid: number; matchedBy: 'build-id' | 'mappings' };
  signal: { number: number; name: string; code: number | null; faultAddress: string | null };
  registers: { rip: string; rsp: string; rbp: string };
  stack: {
    /** Lowest and one-past-highest address of the stack mapping in the core. */
    low: string;
    high: string;
    /** Bytes from rsp to the bottom of the stack. */
    usedBytes: number;
    rspPageOffset: number;
    /** rsp sits on a 4 KiB page boundary or below the mapping: the classic overflow picture. */
    rspAtPageBoundary: boolean;
    rspBelowMapping: boolean;
    faultBelowStack: boolean;
  };
  walk: {
    mode: 'exact' | 'scan';
    totalFrames: number;
    exactFrames: number;
    scannedFrames: number;
    ended: string;
    maxFrames: number | null;
  };
  /** Frames above the cycle (or the first frames when there is none): at most 20 above a cycle, else 50. */
  top: FrameInfo[];
  cycle: CycleReport | null;
  /** Frames below the cycle, where the recursion was entered: at most 20. */
  entry: FrameInfo[];
  /** Frames not listed in top, cycle or entry. */
  omittedFrames: number;
  notes: string[];
}
