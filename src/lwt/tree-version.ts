import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { normalizeVersion } from './version.js';

/**
 * The version a Lwt source tree declares, in the places its eras wrote it:
 * `version:` in lwt.opam or opam, `Version:` in _oasis, or the newest
 * heading of CHANGES (`===== 5.6.1 =====`, `5.6.1 (2022-…)`, `* 2.3.0`).
 */
export async function treeVersion(root: string): Promise<string | undefined> {
  const read = (name: string) => readFile(join(root, name), 'utf8').catch(() => undefined);
  for (const name of ['lwt.opam', 'opam']) {
    const text = await read(name);
    const m = text && /^version:\s*"([^"]+)"/m.exec(text);
    const v = m && normalizeVersion(m[1]!);
    if (v) return v;
  }
  const oasis = await read('_oasis');
  const o = oasis && /^Version:\s*(\S+)/m.exec(oasis);
  const ov = o && normalizeVersion(o[1]!);
  if (ov) return ov;
  const changes = (await read('CHANGES')) ?? (await read('CHANGES.md'));
  if (changes) {
    for (const line of changes.split('\n').slice(0, 40)) {
      const m = /^(?:=+|#+|\*)?\s*(?:lwt\s+)?v?(\d+\.\d+(?:\.\d+)?(?:[-~][\w.]+)?)\b/i.exec(line.trim());
      const v = m && normalizeVersion(m[1]!);
      if (v) return v;
    }
  }
  return undefined;
}
