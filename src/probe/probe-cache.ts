import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digest } from '../cache/digest.js';
import type { Case } from '../cases/load-cases.js';
import { exists } from '../io/exists.js';
import type { LwtBuildResult } from '../lwt/lwt-build.js';
import type { LwtSource } from '../lwt/source.js';
import { cacheRoot } from '../paths.js';
import type { Toolchain } from '../toolchain/ocamlfind.js';
import { type ProbeResult, type ProbeSettings, probe } from './probe.js';

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
  if (!lwt.ok) return { ...(await probe(toolchain, source, lwt, testCase, settings)), reused: lwt.cached };
  const program = await readFile(testCase.program, 'utf8');
  const manifest = JSON.stringify(testCase.manifest);
  const key = digest([
    'probe',
    toolchain.ocamlVersion,
    lwt.build.key,
    program,
    manifest,
    settings.stackKiB,
    settings.capture,
    settings.timeoutMs,
    source.version,
  ]);
  const file = join(cacheRoot(), 'probes', `${key.slice(0, 32)}.json`);
  const saved = await readFile(file, 'utf8').catch(() => undefined);
  if (saved) {
    const r = JSON.parse(saved) as ProbeResult;
    const kept = r.artifacts && (await exists(r.artifacts)) ? r.artifacts : null;
    // The same verdict, but shown as this source (a git commit and a dir can share one build).
    return {
      ...r,
      artifacts: kept,
      lwt: { version: source.version, label: source.label, origin: source.origin, commit: source.commit ?? null },
      reused: true,
    };
  }
  const r = await probe(toolchain, source, lwt, testCase, settings);
  // A hang depends on the machine's load; everything else is a property of the build.
  if (r.observed?.outcome !== 'hang') {
    await mkdir(join(cacheRoot(), 'probes'), { recursive: true });
    await writeFile(file, JSON.stringify(r));
  }
  return { ...r, reused: false };
}
