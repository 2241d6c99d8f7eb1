/**
 * JSON parsing that keeps every number as its source text. Deribit sends prices and
 * amounts as JSON numbers; JSON.parse would round them through a double, so every
 * number token is quoted before parsing and reaches the mapper as exact text.
 */

/** Parses JSON text, turning each number token into a string of its digits. Throws on invalid JSON. */
export function parseJsonKeepNumbers(text: string): unknown {
  let out = '';
  let last = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // Skip the string, honouring escapes: digits inside strings are not numbers.
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i++;
        else if (d === 34) break;
      }
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      let j = i + 1;
      while (j < n && /[0-9eE.+-]/.test(text[j]!)) j++;
      out += text.slice(last, i) + '"' + text.slice(i, j) + '"';
      last = j;
      i = j - 1;
    }
  }
  return JSON.parse(last === 0 ? text : out + text.slice(last));
}
