import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { normalizeVersion } from './version.js';

/**
 * The version a Lwt source tree declares, where its eras wrote it: VERSION
 * (1.x to 2.1), `version:` in lwt.opam, opam/opam or opam (2.6 on), `Version:`
 * in _oasis (2.2 to 2.5), `(version …)` in dune-project (5.8.1 on), else the
 * newest release heading of CHANGES (`===== 2.1.0 (2010-04-19) =====`),
 * skipping `dev` headings. Trees get this wrong now and then (4.2.0 says
 * "dev", 2.4.3 says 2.4.2), which is why a git tag or --lwt wins over it.
 */
export async function treeVersion(root: string): Promise<string | undefined> {
  const read = (name: string) => readFile(join(root, name), 'utf8').catch(() => undefined);
  const first = (text: string | undefined, re: RegExp) => {
    const m = text === undefined ? null : re.exec(text);
    return m ? normalizeVersion(m[1]!) : undefined;
  };
  const found =
    first(await read('VERSION'), /^\s*(\S+)/) ??
    first(await read('lwt.opam'), /^version:\s*"([^"]+)"/m) ??
    first(await read('opam/opam'), /^version:\s*"([^"]+)"/m) ??
    first(await read('opam'), /^version:\s*"([^"]+)"/m) ??
    first(await read('_oasis'), /^Version:\s*(\S+)/m) ??
    first(await read('dune-project'), /\(package\s*\(name lwt\)[\s\S]*?\(version\s+([^)\s]+)\)/);
  if (found) return found;
  const changes = (await read('CHANGES')) ?? (await read('CHANGES.md'));
  for (const line of changes?.split('\n').slice(0, 60) ?? []) {
    const m = /^(?:=+|#+)\s*(?:lwt\s+)?v?(\d+\.\d+(?:\.\d+)?(?:[-~][\w.]+)?(?:\+\w+)?)\b/i.exec(line.trim());
    if (!m || /dev/.test(m[1]!)) continue;
    const v = normalizeVersion(m[1]!);
    if (v) return v;
  }
  return undefined;
}
