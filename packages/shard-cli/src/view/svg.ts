// Text for SVG and HTML: escaping, and shortening a string to a width measured in monospace characters.

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** `s` within `max` characters, cut in the middle: the end of a key (the slice) matters as much as its start. */
export function shorten(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  if (max <= 1) return '…';
  const tail = Math.floor((max - 1) / 2);
  return chars.slice(0, max - 1 - tail).join('') + '…' + chars.slice(chars.length - tail).join('');
}

/** Advance of one DejaVu Sans Mono character, as a fraction of the font size. */
export const MONO_ADVANCE = 0.602;
