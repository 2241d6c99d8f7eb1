/** Text for a man page (roff): backslashes escaped, a leading dot or quote made literal, hyphens as minus signs. */
export function roff(s: string): string {
  return s
    .replace(/\\/g, '\\e')
    .replace(/^([.'])/gm, '\\&$1')
    .replace(/-/g, '\\-');
}
