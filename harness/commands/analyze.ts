import { formatAnalysis } from '../../src/analyze/analysis-text.js';
import { analyzeCore } from '../../src/analyze/analyze-core.js';
import { EXIT } from '../../src/errors.js';
import { FileReader } from '../../src/io/file-reader.js';
import { parse, positiveInteger, usageError } from '../args.js';

export function analyzeCommand(args: string[]): number {
  const { values, positionals } = parse({
    args,
    allowPositionals: true,
    strict: true,
    options: { json: { type: 'boolean' }, mode: { type: 'string' }, 'max-frames': { type: 'string' } },
  });
  if (positionals.length !== 2)
    throw usageError(
      `analyze takes an executable and a core, got ${positionals.length} ` +
        `argument${positionals.length === 1 ? '' : 's'}`,
    );
  const mode = values.mode;
  if (mode !== undefined && mode !== 'exact' && mode !== 'scan')
    throw usageError(`--mode must be exact or scan, not '${mode}'`);
  const maxFrames = positiveInteger('--max-frames', values['max-frames']);
  const exe = FileReader.open(positionals[0]!, 'executable');
  const core = FileReader.open(positionals[1]!, 'core');
  try {
    const { report } = analyzeCore(exe, core, { mode, maxFrames });
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatAnalysis(report)}\n`);
    return EXIT.ok;
  } finally {
    exe.close();
    core.close();
  }
}
