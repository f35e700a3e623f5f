import { thousands } from '../text/thousands.js';
import type { AnalysisReport, FrameInfo } from './analysis-report.js';

const VERDICT_TEXT: Record<AnalysisReport['verdict'], string> = {
  'stack-overflow-with-cycle': 'Stack overflow with a recurring call cycle',
  'stack-overflow-without-cycle': 'Stack overflow, no recurring call cycle found',
  'not-stack-overflow': 'Not a stack overflow',
};

function frameLine(f: FrameInfo, withIndex: boolean): string {
  const where = f.file ? `  ${f.file}:${f.line}` : '';
  const raw = f.symbol ? `  ${f.symbol}+0x${(f.offset ?? 0).toString(16)}` : '';
  const how = f.method === 'exact' ? '' : `  [${f.method}]`;
  const index = withIndex ? `#${f.index}`.padEnd(9) : '  ';
  return `    ${index}${f.name.padEnd(40)} ${f.pc}${raw}${where}${how}`;
}

/** The short human summary: the cycle folded into one block, never every frame. */
export function formatAnalysis(r: AnalysisReport): string {
  const lines: string[] = [];
  const fault = r.signal.faultAddress ? ` at ${r.signal.faultAddress}` : '';
  const ocaml = r.ocaml.version ? `OCaml ${r.ocaml.version}` : r.ocaml.fibers ? 'OCaml 5' : 'OCaml';
  const rspWhere =
    (r.stack.rspAtPageBoundary ? ' (on a page boundary)' : '') +
    (r.stack.rspBelowMapping ? ' (below the stack mapping)' : '');
  lines.push(
    r.trigger?.kind === 'stack-overflow-raise'
      ? `${VERDICT_TEXT[r.verdict]}: ${ocaml} raising Stack_overflow at ${r.trigger.at} ` +
          `(a fiber stack reached its limit; the core was taken there, ${r.signal.name}), rsp ${r.registers.rsp}`
      : `${VERDICT_TEXT[r.verdict]}: ${r.signal.name}${fault}, rsp ${r.registers.rsp}${rspWhere}`,
  );
  const pie = r.executable.pie ? `, PIE loaded at bias ${r.executable.loadBias}` : '';
  lines.push(
    `  executable ${r.executable.path} (${ocaml}${r.ocaml.fibers ? ', fiber stacks' : ''})${pie}; ` +
      `core ${r.core.path} (pid ${r.core.pid}, matched by ${r.core.matchedBy})`,
  );
  const w = r.walk;
  lines.push(
    `  ${w.mode} walk: ${thousands(w.totalFrames)} frames ` +
      `(${thousands(w.exactFrames)} exact, ${thousands(w.scannedFrames)} scanned), ` +
      `${thousands(r.stack.usedBytes)} stack bytes, ended: ${w.ended}`,
  );
  for (const note of r.notes) lines.push(`  note: ${note}`);
  lines.push('');
  if (r.top.length > 0) {
    lines.push(
      r.cycle
        ? `  Top of the stack (${r.top.length} frame${r.top.length === 1 ? '' : 's'} above the cycle):`
        : `  Frames (first ${r.top.length}):`,
    );
    for (const f of r.top) lines.push(frameLine(f, true));
  }
  if (r.cycle) {
    const c = r.cycle;
    const bytes = c.bytesPerRepetition !== null ? `, ${thousands(c.bytesPerRepetition)} stack bytes each` : '';
    const partial =
      c.partialFrames > 0 ? ` + ${c.partialFrames} frame${c.partialFrames === 1 ? '' : 's'} of a partial one` : '';
    const noise = c.noiseFrames > 0 ? `, ${thousands(c.noiseFrames)} noise words ignored` : '';
    const frames = `frame${c.period === 1 ? '' : 's'}`;
    lines.push(
      `  Recurring cycle of ${c.period} ${frames} × ${thousands(c.repetitions)} repetitions${partial} ` +
        `(frames #${c.firstFrame}–#${c.lastFrame}${bytes}${noise}):`,
    );
    for (const f of c.frames) lines.push(frameLine(f, false));
    lines.push(`  Entered from (${r.entry.length} frame${r.entry.length === 1 ? '' : 's'} below the cycle):`);
    for (const f of r.entry) lines.push(frameLine(f, true));
  }
  if (r.omittedFrames > 0)
    lines.push(`  (${thousands(r.omittedFrames)} more frames not listed; --json gives the same summary as data)`);
  return lines.join('\n');
}
