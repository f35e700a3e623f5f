import { appendFile, readFile, writeFile } from 'node:fs/promises';
import type { ProbeSettings } from '../probe/probe.js';
import type { Reproduction } from '../probe/reproduction.js';
import type { Observation } from '../probe/verdict.js';
import type { Answer } from '../search/first-bad.js';
import type { ToolchainRequest } from '../toolchain/ocamlfind.js';

/**
 * The two ends of a commit bisect, in one place: the driver (bisect-commits.ts)
 * writes this request once, `git bisect run` starts `lwt-regress bisect-probe
 * --request FILE` on every commit it picks, and each probe appends one log
 * line that the driver reads back. Both sides use these types and functions,
 * so that neither can drift from the other.
 */
export interface CommitProbeRequest {
  caseName: string;
  caseDirs?: string[];
  /** The work tree `git bisect` checks commits out into: the Lwt source of each probe. */
  tree: string;
  /** Where every probe appends its ProbeLogLine. */
  log: string;
  /** The version to assume when a commit's tree does not say which it is. */
  versionHint?: string;
  findFix: boolean;
  toolchain: ToolchainRequest;
  settings: ProbeSettings;
}

/** One line per probe, for the driver to read back. */
export interface ProbeLogLine {
  commit: string;
  version: string;
  reproduction: Reproduction;
  summary: string;
  observed: Observation | null;
  reused: boolean;
  freshBuild: boolean;
}

/**
 * What `git bisect run` reads from the probe's exit status: good (old),
 * bad (new), 125 to skip an untestable commit.
 */
export const PROBE_EXIT: Record<Answer, number> = { good: 0, bad: 1, untestable: 125 };

/** The probe's command line, after the command that starts lwt-regress. */
export function probeArguments(requestFile: string): string[] {
  return ['bisect-probe', '--request', requestFile];
}

export async function writeProbeRequest(file: string, request: CommitProbeRequest): Promise<void> {
  await writeFile(file, JSON.stringify(request));
}

export async function readProbeRequest(file: string): Promise<CommitProbeRequest> {
  const data = JSON.parse(await readFile(file, 'utf8')) as Partial<CommitProbeRequest>;
  if (
    typeof data.caseName !== 'string' ||
    typeof data.tree !== 'string' ||
    typeof data.log !== 'string' ||
    typeof data.findFix !== 'boolean' ||
    typeof data.settings !== 'object' ||
    typeof data.toolchain !== 'object'
  ) {
    throw new Error(`${file} is not a bisect probe request`);
  }
  return data as CommitProbeRequest;
}

export async function appendProbeLog(file: string, line: ProbeLogLine): Promise<void> {
  await appendFile(file, `${JSON.stringify(line)}\n`);
}

/** The log's complete lines (a line being written is not read until it ends). */
export async function readProbeLog(file: string): Promise<ProbeLogLine[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .slice(0, -1)
    .map((l) => JSON.parse(l) as ProbeLogLine);
}
