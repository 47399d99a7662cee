// Small helpers for writing man pages (groff man macros) from text that may contain
// anything: backslashes, leading dots, hyphens.

/** Escapes text for use inside a roff line (not at its start: see line()). */
export function esc(text: string): string {
  return text.replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/'/g, '\\(aq').replace(/`/g, '\\(ga');
}

/** A text line: escaped, and guarded so a leading '.' or "'" is not read as a request. */
export function line(text: string): string {
  const e = esc(text.trim());
  return /^[.']/.test(e) ? `\\&${e}` : e;
}

/** A paragraph of running text; blank lines inside would end it, so they are dropped. */
export function para(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map(line);
}

/** A macro call with quoted arguments, e.g. req('TH', 'VRRPD', '8'). */
export function req(name: string, ...args: string[]): string {
  return `.${name}${args.map((a) => ` "${esc(a).replace(/"/g, '""')}"`).join('')}`;
}

/** Verbatim lines (an example file), kept as they are in a no-fill block. */
export function verbatim(text: string): string[] {
  const body = text
    .replace(/\n+$/, '')
    .split('\n')
    .map((l) => (l === '' ? '' : `\\&${esc(l)}`));
  return ['.PP', '.RS 4', '.nf', ...body.map((l) => (l === '' ? '.sp' : l)), '.fi', '.RE'];
}
