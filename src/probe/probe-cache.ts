import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readCachedJson, writeFileAtomic } from '../cache/atomic-file.js';
import { digest } from '../cache/digest.js';
import { toolIdentity } from '../cache/tool-identity.js';
import type { Case } from '../cases/load-cases.js';
import { exists } from '../io/exists.js';
import type { LwtBuildResult } from '../lwt/lwt-build.js';
import type { LwtSource } from '../lwt/source.js';
import { cacheRoot } from '../paths.js';
import type { Toolchain } from '../toolchain/ocamlfind.js';
import { casePackages, worldFor } from '../world/world.js';
import { compilerOf, type ProbeResult, type ProbeSettings, probe, reproduceCommand } from './probe.js';

/**
 * A probe whose verdict is remembered by (Lwt build, case source, limits):
 * bisect and gate ask the same question again and again, and the answer
 * does not change. Untestable builds are remembered by the build cache itself.
 */
export async function cachedProbe(
  toolchain: Toolchain,
  source: LwtSource,
  lwt: LwtBuildResult,
  testCase: Case,
  settings: ProbeSettings,
): Promise<ProbeResult & { reused: boolean }> {
  const program = lwt.ok ? await programIdentity(testCase) : undefined;
  if (!lwt.ok || program === undefined) {
    return { ...(await probe(toolchain, source, lwt, testCase, settings)), reused: lwt.ok ? false : lwt.cached };
  }
  const manifest = JSON.stringify(testCase.manifest);
  // The libraries rebuilt against this Lwt that the case links are part of what it ran (src/world/).
  const world = await worldFor(toolchain, source, lwt.build, await casePackages([testCase]), settings);
  const key = digest([
    'probe',
    toolIdentity(),
    toolchain.ocamlVersion,
    lwt.build.key,
    world.ok ? world.paths : world.error,
    program,
    manifest,
    settings.stackKiB,
    settings.capture,
    settings.timeoutMs,
    settings.policy ?? 'expectations',
    source.version,
  ]);
  const file = join(cacheRoot(), 'probes', `${key.slice(0, 32)}.json`);
  const saved = await readCachedJson(file, isProbeResult);
  if (saved) {
    const kept = saved.artifacts && (await exists(saved.artifacts)) ? saved.artifacts : null;
    // The same verdict, but shown as this source (a git commit and a dir can share one build).
    return {
      ...saved,
      artifacts: kept,
      compiler: compilerOf(toolchain),
      lwt: { version: source.version, label: source.label, origin: source.origin, commit: source.commit ?? null },
      reproduce: reproduceCommand(toolchain, source, testCase, settings),
      reused: true,
    };
  }
  const r = await probe(toolchain, source, lwt, testCase, settings);
  if (worthRemembering(r)) {
    // A cache that cannot be written (a full or read-only disk) costs a re-run next time, not this verdict.
    await writeFileAtomic(file, JSON.stringify(r)).catch((error: NodeJS.ErrnoException) =>
      r.notes.push(`the verdict was not cached: ${error.code ?? error.message}`),
    );
  }
  return { ...r, reused: false };
}

/**
 * What the verdict depends on besides the Lwt build: the case's sources, or
 * the bytes of a command's program. A dune target has none to read before
 * dune builds it, so its verdict is not remembered (dune's own build is
 * incremental, and cheap when nothing changed).
 */
async function programIdentity(testCase: Case): Promise<string | undefined> {
  const program = testCase.manifest.program;
  if (program.kind === 'dune') return undefined;
  const files = program.kind === 'ocaml' ? testCase.sources : [resolve(testCase.dir, program.argv[0]!)];
  const parts = await Promise.all(files.map(async (f) => [f, digest((await readFile(f)).toString('base64'))]));
  return digest(parts);
}

/**
 * Only what the build decides is remembered: a pass or a fail the case itself
 * produced. A hang depends on the machine's load, a lost core or a program
 * that did not start on the environment, and those must be asked again.
 */
function worthRemembering(r: ProbeResult): boolean {
  if (r.status !== 'pass' && r.status !== 'fail') return false;
  const outcome = r.observed?.outcome;
  return outcome !== 'hang' && outcome !== 'no-evidence' && outcome !== 'not-started';
}

function isProbeResult(data: unknown): data is ProbeResult {
  const r = data as Partial<ProbeResult> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.case === 'string' &&
    typeof r.status === 'string' &&
    typeof r.reason === 'string' &&
    Array.isArray(r.notes) &&
    typeof r.timings === 'object'
  );
}
