/** One analysis in a fresh process, reporting phase timings and the process's peak RSS. */
import { analyzeCore } from '../src/analyze/analyze-core.js';
import { FileReader } from '../src/io/file-reader.js';

const [exePath, corePath, mode] = process.argv.slice(2);
const exe = FileReader.open(exePath!, 'executable');
const core = FileReader.open(corePath!, 'core');
const { report, timings } = analyzeCore(exe, core, { mode: mode === 'scan' ? 'scan' : 'exact' });
process.stdout.write(
  JSON.stringify({
    timings,
    frames: report.walk.totalFrames,
    verdict: report.verdict,
    cycle: report.cycle?.repetitions ?? 0,
    maxRssKiB: process.resourceUsage().maxRSS,
  }),
);
