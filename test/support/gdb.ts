import { execa } from 'execa';

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
  const { stdout } = await execa('gdb', ['-batch', '-nx', '-ex', `bt ${count}`, executable, core], { reject: false });
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
