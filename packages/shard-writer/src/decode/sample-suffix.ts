// Key suffix of the i-th of `count` images in one file: zero-padded to 3 digits, or wider when the
// count needs it, so a file's keys sort (byte order, the format's rule) in image order.
export function indexSuffix(letter: string, i: number, count: number): string {
  const width = Math.max(3, String(Math.max(0, count - 1)).length);
  return `/${letter}${String(i).padStart(width, '0')}`;
}
