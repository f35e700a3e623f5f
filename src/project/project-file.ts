import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { EXIT, UserError } from '../errors.js';

export const PROJECT_FILE = 'lwt-regress.json';

/** A project's defaults (documented in docs/project-file.md); flags given on the command line win. */
export interface ProjectFile {
  /** Where it was found. */
  path: string;
  /** Case directories, absolute (the file holds them relative to itself). */
  cases: string[];
  /** Whether the built-in cases run too (default: only when the project names no cases). */
  builtin: boolean | undefined;
  lwt: string[] | undefined;
  stack: number | undefined;
  timeout: number | undefined;
  baseline: string | undefined;
  candidate: string | undefined;
  policy: 'expectations' | 'no-overflow' | undefined;
  /** Directories holding the sources of packages built on Lwt, by findlib name, absolute. */
  sources: Record<string, string> | undefined;
}

const KEYS = ['$schema', 'cases', 'builtin', 'lwt', 'stack', 'timeout', 'baseline', 'candidate', 'policy', 'sources'];

/** The nearest lwt-regress.json from `dir` upward, as a project file, or undefined when there is none. */
export async function findProjectFile(dir: string): Promise<ProjectFile | undefined> {
  let at = resolve(dir);
  for (;;) {
    const candidate = join(at, PROJECT_FILE);
    if ((await stat(candidate).catch(() => undefined))?.isFile()) return readProjectFile(candidate);
    const up = dirname(at);
    if (up === at) return undefined;
    at = up;
  }
}

export async function readProjectFile(path: string): Promise<ProjectFile> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UserError(`${path} is not valid JSON: ${(error as Error).message}`, EXIT.usage, 'Fix the file');
  }
  return parseProjectFile(path, data);
}

/** Validates a parsed lwt-regress.json: one clear error naming the key, as for case.json. */
export function parseProjectFile(path: string, data: unknown): ProjectFile {
  const bad = (key: string, what: string) =>
    new UserError(`${path}: "${key}" ${what}`, EXIT.usage, 'Fix the file (see docs/project-file.md)');
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UserError(`${path} is not a JSON object`, EXIT.usage, 'Fix the file (see docs/project-file.md)');
  }
  const m = data as Record<string, unknown>;
  const unknown = Object.keys(m).find((k) => !KEYS.includes(k));
  if (unknown) throw bad(unknown, `is not a setting of lwt-regress.json (known: ${KEYS.slice(1).join(', ')})`);
  const strings = (key: string): string[] | undefined => {
    const v = m[key];
    if (v === undefined) return undefined;
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string' && s.trim())) {
      throw bad(key, 'must be a string or a non-empty list of strings');
    }
    return list as string[];
  };
  const positive = (key: string, unit: string): number | undefined => {
    const v = m[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
      throw bad(key, `must be a positive integer (${unit})`);
    return v;
  };
  const text = (key: string): string | undefined => {
    const v = m[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !v.trim()) throw bad(key, 'must be a non-empty string');
    return v;
  };
  if (m.builtin !== undefined && typeof m.builtin !== 'boolean') throw bad('builtin', 'must be true or false');
  if (m.policy !== undefined && m.policy !== 'expectations' && m.policy !== 'no-overflow') {
    throw bad('policy', 'must be "expectations" or "no-overflow"');
  }
  const base = dirname(path);
  if (m.sources !== undefined && !isDirectoryMap(m.sources))
    throw bad('sources', 'must be an object of findlib package names to directories, e.g. { "lwt_log": "../lwt_log" }');
  return {
    path,
    cases: (strings('cases') ?? []).map((d) => resolve(base, d)),
    builtin: m.builtin as boolean | undefined,
    lwt: strings('lwt')
      ?.flatMap((v) => v.split(',').map((s) => s.trim()))
      .filter(Boolean),
    stack: positive('stack', 'KiB'),
    timeout: positive('timeout', 'seconds'),
    baseline: text('baseline'),
    candidate: text('candidate'),
    policy: m.policy as ProjectFile['policy'],
    sources:
      m.sources === undefined
        ? undefined
        : Object.fromEntries(
            Object.entries(m.sources as Record<string, string>).map(([k, d]) => [k, resolve(base, d)]),
          ),
  };
}

function isDirectoryMap(v: unknown): v is Record<string, string> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((d) => typeof d === 'string' && d.trim() !== '')
  );
}
