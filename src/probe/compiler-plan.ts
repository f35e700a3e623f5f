import { tmpdir } from 'node:os';
import { execa } from 'execa';
import semver from 'semver';
import type { Case } from '../cases/load-cases.js';
import { EXIT, type ExitCode, pathError, UserError } from '../errors.js';
import { compilerConfig } from '../lwt/compiler-config.js';
import type { LwtSource } from '../lwt/source.js';
import { treeNeeds } from '../lwt/tree-needs.js';
import { progress } from '../progress.js';
import { type BuiltCompiler, builtToolchain, CHOSEN_COMPILERS } from '../toolchain/built-compilers.js';
import { type CompilerChoice, type CompilerTraits, chooseCompiler } from '../toolchain/compiler-choice.js';
import { type Toolchain, type ToolchainRequest, toolCommand } from '../toolchain/ocamlfind.js';

/** The compiler a Lwt source is built with, or why it could not be had (exit 8: a tool; 10: the disk). */
export type CompilerFor =
  | { ok: true; toolchain: Toolchain }
  | { ok: false; error: string; exitCode: ExitCode; compiler: string };

/** Whether a case links more of Lwt than its core (lwt.unix, lwt.log…): a dune target may link anything. */
const beyondCore = (c: Case) =>
  c.manifest.program.kind === 'dune' || c.manifest.packages.some((p) => p === 'lwt.unix' || p.startsWith('lwt.'));

/**
 * Chooses, per Lwt source, the compiler that builds it (src/toolchain/compiler-choice.ts)
 * and builds that compiler on first use. The compiler the user named (--ocaml,
 * --switch) is used for everything; so is the default for the installed Lwt.
 */
export class CompilerPlan {
  private readonly choices = new Map<LwtSource, CompilerChoice<BuiltCompiler>>();
  private readonly built = new Map<string, Promise<CompilerFor>>();
  private readonly traits = new Map<boolean, Promise<CompilerTraits>>();

  constructor(
    readonly base: Toolchain,
    private readonly cases: Case[],
  ) {}

  /** Decides the compiler of each source (reading the trees; nothing is built yet). */
  async decide(sources: LwtSource[]): Promise<void> {
    for (const source of sources) this.choices.set(source, await this.choiceFor(source));
  }

  /**
   * One compiler for a comparison (gate, bisect): the one the oldest source
   * needs, so that every probe is built alike.
   */
  async decideTogether(sources: LwtSource[], oldest: LwtSource = oldestOf(sources)): Promise<void> {
    const choice = await this.choiceFor(oldest);
    for (const source of sources) this.choices.set(source, choice);
  }

  /** What was decided for a source, for the header: undefined when it is the default. */
  chosen(source: LwtSource): { name: string; version: string; why: string } | undefined {
    const choice = this.choices.get(source);
    if (choice?.kind !== 'other') return undefined;
    return { name: choice.compiler.name, version: choice.compiler.ocamlVersion, why: choice.why };
  }

  /**
   * The header's lines for the compilers chosen besides the default, one per
   * compiler: which Lwt sources it builds, and why (the first source's reason).
   */
  header(sources: LwtSource[]): string[] {
    const by = new Map<string, { labels: string[]; why: string }>();
    for (const source of sources) {
      const c = this.chosen(source);
      if (!c) continue;
      const entry = by.get(c.name) ?? { labels: [], why: c.why };
      entry.labels.push(source.label);
      by.set(c.name, entry);
    }
    return [...by].map(
      ([name, { labels, why }]) => `Lwt ${labels.join(', ')}: OCaml ${name}, chosen by lwt-regress: ${why}`,
    );
  }

  /** The toolchain for a source: the base, or the chosen compiler (built now if the cache lacks it). */
  async toolchainFor(source: LwtSource): Promise<CompilerFor> {
    const choice = this.choices.get(source) ?? (await this.choiceFor(source));
    if (choice.kind !== 'other') return { ok: true, toolchain: this.base };
    const { compiler, why } = choice;
    let got = this.built.get(compiler.name);
    if (!got) {
      got = this.build(compiler, why);
      this.built.set(compiler.name, got);
    }
    const r = await got;
    return r.ok ? { ok: true, toolchain: { ...r.toolchain, chosenBy: 'lwt-regress', why } } : r;
  }

  private async choiceFor(source: LwtSource): Promise<CompilerChoice<BuiltCompiler>> {
    if (this.base.chosenBy === 'user' || source.origin === 'installed' || source.origin === 'as-built')
      return { kind: 'default' };
    const needs = await treeNeeds(source.dir, this.cases.some(beyondCore));
    if (needs.length === 0) return { kind: 'default' };
    // Starting camlp4 to ask its version is done only for a tree that needs it.
    const camlp4 = needs.some((n) => n.kind === 'camlp4');
    if (!this.traits.has(camlp4)) this.traits.set(camlp4, traitsOf(this.base, camlp4));
    return chooseCompiler(needs, await this.traits.get(camlp4)!, CHOSEN_COMPILERS);
  }

  private async build(compiler: BuiltCompiler, why: string): Promise<CompilerFor> {
    let told = false;
    // Said only when the cache lacks it (the installer logs only then): what is built, and why.
    const log = (line: string) => {
      if (!told) progress(`OCaml ${compiler.name} is needed (${why}): building it once into the cache`);
      told = true;
      progress(line);
    };
    try {
      return { ok: true, toolchain: await builtToolchain(compiler, log) };
    } catch (error) {
      const known = error instanceof UserError ? error : pathError(error);
      if (!known) throw error;
      return {
        ok: false,
        compiler: compiler.name,
        error: `OCaml ${compiler.name}, which this Lwt needs (${why}), could not be built: ${known.describe()}`,
        exitCode: known.exitCode === EXIT.environment ? EXIT.environment : EXIT.toolchain,
      };
    }
  }
}

/** The oldest of the sources by version (the installed Lwt counts by its version). */
export function oldestOf(sources: LwtSource[]): LwtSource {
  const valid = (s: LwtSource) => semver.valid(semver.coerce(s.version, { includePrerelease: true }));
  return [...sources].sort((a, b) => semver.compare(valid(a) ?? '0.0.0', valid(b) ?? '0.0.0'))[0]!;
}

/**
 * What the default compiler can do: accept -unsafe-string, and (asked only
 * when `askCamlp4`, else taken as yes) run a camlp4 of its own version.
 */
async function traitsOf(toolchain: Toolchain, askCamlp4: boolean): Promise<CompilerTraits> {
  const config = await compilerConfig(toolchain, tmpdir());
  const [file, args] = toolCommand(toolchain, 'camlp4of', ['-version']);
  const camlp4 = askCamlp4 ? await execa(file, args, { reject: false, cwd: tmpdir() }) : undefined;
  return {
    name: toolchain.name,
    ocamlVersion: toolchain.ocamlVersion,
    unsafeStrings: config.unsafeStringAllowed,
    camlp4: !camlp4 || (camlp4.exitCode === 0 && String(camlp4.stdout).trim() === toolchain.ocamlVersion),
  };
}

/**
 * The one compiler of a comparison whose ends are known before its probes
 * (a bisect): the one the oldest end needs. A compiler that cannot be built
 * stops the comparison: every probe would be untestable.
 */
export async function comparisonToolchain(base: Toolchain, oldest: LwtSource, cases: Case[]): Promise<Toolchain> {
  const plan = new CompilerPlan(base, cases);
  await plan.decideTogether([oldest]);
  const got = await plan.toolchainFor(oldest);
  if (!got.ok) throw new UserError(got.error, got.exitCode, 'Every probe would be untestable without it');
  return got.toolchain;
}

/** How a probe in another process (git bisect run's) selects the same compiler again. */
export function toolchainRequest(toolchain: Toolchain, given: ToolchainRequest): ToolchainRequest {
  if (toolchain.chosenBy !== 'lwt-regress' || !toolchain.why) return given;
  return { ocaml: toolchain.name, chosenBecause: toolchain.why };
}
