// SVG charts the server renders for the summary page: label prevalence bars and a co-occurrence heat map.
import { escapeXml, MONO_ADVANCE } from './svg.js';

const FONT = 12;
const STYLE = `<style>text{font-family:'DejaVu Sans',sans-serif;font-size:${FONT}px;fill:#ddd}.v{fill:#111}.m{fill:#999}</style>`;

function textWidth(s: string): number {
  return [...s].length * FONT * MONO_ADVANCE + 4;
}

/** One horizontal bar per label: positives / samples, with count and percentage. */
export function prevalenceSvg(names: readonly string[], positives: Record<string, number>, samples: number): string {
  const left = Math.ceil(Math.max(60, ...names.map(textWidth))) + 8;
  const barW = 320;
  const row = 22;
  const width = left + barW + 130;
  const height = Math.max(1, names.length) * row + 8;
  const parts = names.map((n, k) => {
    const p = positives[n] ?? 0;
    const frac = samples ? p / samples : 0;
    const y = 4 + k * row;
    return `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${escapeXml(n)}</text>` +
      `<rect x="${left}" y="${y + 3}" width="${barW}" height="${row - 6}" fill="#2a2a2a"/>` +
      `<rect x="${left}" y="${y + 3}" width="${(barW * frac).toFixed(1)}" height="${row - 6}" fill="#f0a030"><title>${escapeXml(n)}: ${p} of ${samples}</title></rect>` +
      `<text x="${left + barW + 8}" y="${y + 15}">${p} (${(100 * frac).toFixed(1)}%)</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="label prevalence">${STYLE}${parts.join('')}</svg>`;
}

/** L x L cells: samples positive for both labels, shaded by count relative to the larger of the two labels' positives. */
export function cooccurrenceSvg(names: readonly string[], m: Readonly<Record<string, Readonly<Record<string, number>>>>): string {
  const cell = 46;
  const left = Math.ceil(Math.max(60, ...names.map(textWidth))) + 8;
  const top = left; // column names are written rotated, as long as the row names
  const L = names.length;
  const width = left + L * cell + 8;
  const height = top + L * cell + 8;
  const parts: string[] = [];
  names.forEach((n, k) => {
    parts.push(`<text x="${left - 6}" y="${top + k * cell + cell / 2 + 4}" text-anchor="end">${escapeXml(n)}</text>`);
    const cx = left + k * cell + cell / 2 + 4;
    parts.push(`<text x="${cx}" y="${top - 6}" transform="rotate(-60 ${cx} ${top - 6})">${escapeXml(n)}</text>`);
  });
  for (let a = 0; a < L; a++) {
    for (let b = 0; b < L; b++) {
      const v = m[names[a]][names[b]];
      const scale = Math.max(m[names[a]][names[a]], m[names[b]][names[b]], 1);
      const t = v / scale;
      const shade = Math.round(40 + t * 200);
      const x = left + b * cell;
      const y = top + a * cell;
      parts.push(`<rect x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" fill="rgb(${shade},${Math.round(shade * 0.62)},${Math.round(shade * 0.2)})"><title>${escapeXml(names[a])} &amp; ${escapeXml(names[b])}: ${v}</title></rect>`);
      parts.push(`<text x="${x + (cell - 2) / 2}" y="${y + cell / 2 + 3}" text-anchor="middle" class="${t > 0.55 ? 'v' : ''}">${v}</text>`);
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="label co-occurrence">${STYLE}${parts.join('')}</svg>`;
}
