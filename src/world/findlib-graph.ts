import { execa } from 'execa';
import { type Toolchain, toolCommand } from '../toolchain/ocamlfind.js';
import { installedFindlibEnv } from '../toolchain/user-ocamlpath.js';
import type { RequiresGraph } from './dependents.js';

/**
 * The installed packages a case reaches, each with what it requires, as the
 * compiler's findlib and the user's OCAMLPATH know them (`ocamlfind query -r`,
 * without any Lwt build of lwt-regress's): packages that are not installed are left out, for
 * the case's own check to name.
 */
export function requiresGraph(toolchain: Toolchain, wanted: string[]): Promise<RequiresGraph> {
  // Asked once per compiler and packages: every probe of a run asks the same.
  const key = [...toolchain.prefix, '\0', ...wanted].join('\0');
  let found = asked.get(key);
  if (!found) {
    found = query(toolchain, wanted);
    asked.set(key, found);
  }
  return found;
}

const asked = new Map<string, Promise<RequiresGraph>>();

async function query(toolchain: Toolchain, wanted: string[]): Promise<RequiresGraph> {
  const graph = new Map<string, string[]>();
  const ask = async (packages: string[]) => {
    const format = ['query', '-r', '-format', '%p|%(requires)', ...packages];
    const [file, args] = toolCommand(toolchain, 'ocamlfind', format);
    const r = await execa(file, args, { reject: false, env: installedFindlibEnv() });
    if (r.exitCode !== 0) return false;
    for (const line of String(r.stdout).split('\n')) {
      const [name, requires] = line.split('|');
      if (name) graph.set(name.trim(), (requires ?? '').split(/[\s,]+/).filter(Boolean));
    }
    return true;
  };
  // All at once (one start of ocamlfind), or one by one when some are not installed (a project's own libraries).
  if (wanted.length === 0 || (await ask(wanted))) return graph;
  for (const pkg of wanted) await ask([pkg]);
  return graph;
}
