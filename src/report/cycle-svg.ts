import { thousands } from '../text/thousands.js';
import { escapeXml as x } from './escape.js';

const EDGE_STYLE = 'stroke="#57606a" stroke-width="1.5" marker-end="url(#arrow)"';

/**
 * The cycle as a loop, read as the text reads it: frames in stack order
 * (top first) around a circle, and an arrow from each frame to the next,
 * meaning "was called by"; the last frame's arrow goes back to the first, which
 * called it one repetition further down. The repetition count is in the middle.
 */

export function cycleSvg(frames: string[], repetitions: number, atLeast: boolean): string {
  const n = frames.length;
  const boxWidth = (name: string) => Math.min(280, name.length * 6.8 + 16);
  const widest = Math.max(...frames.map(boxWidth));
  // Far enough out that no box covers the repetition count in the middle.
  const radius = n === 1 ? 0 : Math.max(100, n * 26, widest / 2 + 40);
  const width = Math.max(2 * radius + widest + 24, 300);
  const height = 2 * radius + (n === 1 ? 150 : 60);
  const cx = width / 2;
  const cy = height / 2;
  const at = (i: number) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
    return { px: cx + radius * Math.cos(a), py: cy + radius * Math.sin(a) };
  };
  const nodes = frames.map((name, i) => {
    const { px, py } = n === 1 ? { px: cx, py: cy - 40 } : at(i);
    const w = boxWidth(name);
    return (
      `<g class="frame"><rect x="${(px - w / 2).toFixed(1)}" y="${(py - 14).toFixed(1)}" ` +
      `width="${w.toFixed(1)}" height="28" rx="6" fill="#ffffff" stroke="#0969da"/>` +
      `<text x="${px.toFixed(1)}" y="${(py + 4).toFixed(1)}" text-anchor="middle" font-size="11">${x(name)}</text></g>`
    );
  });
  const edges: string[] = [];
  if (n === 1) {
    edges.push(
      `<path d="M ${cx + 40} ${cy - 26} C ${cx + 120} ${cy + 40}, ${cx - 120} ${cy + 40}, ${cx - 40} ${cy - 26}" ` +
        `fill="none" ${EDGE_STYLE}/>`,
    );
  } else {
    for (let i = 0; i < n; i++) {
      // Frame i was called by frame i + 1 (the last by the first, one repetition down).
      const from = at(i);
      const to = at((i + 1) % n);
      const p = (t: number) => ({ x: from.px + (to.px - from.px) * t, y: from.py + (to.py - from.py) * t });
      const [s, e] = [p(0.22), p(0.78)];
      edges.push(
        `<line class="edge" x1="${s.x.toFixed(1)}" y1="${s.y.toFixed(1)}" ` +
          `x2="${e.x.toFixed(1)}" y2="${e.y.toFixed(1)}" ${EDGE_STYLE}/>`,
      );
    }
  }
  const centreY = n === 1 ? cy + 45 : cy;
  const count = `${atLeast ? '≥ ' : '× '}${thousands(repetitions)}`;
  const size = `width="${width.toFixed(0)}" height="${height.toFixed(0)}"`;
  const viewBox = `0 0 ${width.toFixed(0)} ${height.toFixed(0)}`;
  const label = `cycle of ${n} frames repeated ${atLeast ? 'at least ' : ''}${repetitions} times`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" ${size} viewBox="${viewBox}" role="img" aria-label="${label}">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" ' +
      'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#57606a"/></marker></defs>',
    edges.join('\n'),
    nodes.join('\n'),
    `<text x="${cx.toFixed(1)}" y="${centreY.toFixed(1)}" text-anchor="middle" font-size="22" font-weight="bold" ` +
      `fill="#b42318">${count}</text>`,
    `<text x="${cx.toFixed(1)}" y="${(centreY + 18).toFixed(1)}" text-anchor="middle" font-size="11" ` +
      'fill="#57606a">repetitions</text>',
    '</svg>',
  ].join('\n');
}
