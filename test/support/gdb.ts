import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { execa } from 'execa';

/**
 * gdb's output for these commands on this executable and core, kept beside the
 * core: a core does not change once dumped, and gdb takes about a second per
 * call, which the mutation tests would otherwise pay for every mutant.
 */
export async function gdbBatch(executable: string, core: string, commands: string[]): Promise<string> {
  const key = createHash('sha256')
    .update(`${executable}\0${commands.join('\0')}`)
    .digest('hex')
    .slice(0, 16);
  const kept = `${core}.gdb-${key}.txt`;
  try {
    return await readFile(kept, 'utf8');
  } catch {
    const args = ['-batch', '-nx', ...commands.flatMap((c) => ['-ex', c]), executable, core];
    const { stdout } = await execa('gdb', args, { reject: false });
    await writeFile(kept, stdout);
    return stdout;
  }
}

export interface GdbFrame {
  index: number;
  /** null for frame 0, which gdb prints without an address. */
  pc: number | null;
  symbol: string;
  /** Source file and line from the DWARF line table (`at tri.ml:3`), where gdb prints them. */
  file: string | null;
  line: number | null;
}

/**
 * gdb's own backtrace of the same files: the independent oracle for the walk
 * (a negative count: the outermost frames).
 */
export async function gdbBacktrace(executable: string, core: string, count: number): Promise<GdbFrame[]> {
  const stdout = await gdbBatch(executable, core, [`bt ${count}`]);
  const frames: GdbFrame[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^#(\d+)\s+(?:(0x[0-9a-f]+) in )?(\S+) \(.*\)(?: at (\S+):(\d+))?/.exec(line);
    if (m)
      frames.push({
        index: Number(m[1]),
        pc: m[2] ? parseInt(m[2], 16) : null,
        symbol: m[3]!,
        file: m[4] ?? null,
        line: m[5] ? Number(m[5]) : null,
      });
  }
  return frames;
}
