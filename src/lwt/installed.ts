import { execa } from 'execa';
import { type Toolchain, toolCommand } from '../toolchain/ocamlfind.js';
import { normalizeVersion } from './version.js';

export interface InstalledLwt {
  version: string;
  dir: string;
}

/** The findlib `lwt` package of the toolchain, if there is one. */
export async function installedLwt(toolchain: Toolchain): Promise<InstalledLwt | undefined> {
  const [file, args] = toolCommand(toolchain, 'ocamlfind', ['query', '-format', '%v\t%d', 'lwt']);
  const result = await execa(file, args, { reject: false });
  if (result.exitCode !== 0) return undefined;
  const [raw, dir] = result.stdout.trim().split('\t');
  const version = normalizeVersion(raw ?? '');
  return version && dir ? { version, dir } : undefined;
}
