// keepalived.conf syntax → a tree of statements. Only the syntax (what keepalived's
// reader does before any keyword has a meaning); keepalived-import.ts gives the words
// their meaning. Handled as keepalived 2.2 reads a file (keepalived.conf(5)):
//  - comments from `#` or `!` to the end of the line, anywhere outside quotes;
//  - `"` and `'` quote: the quotes go, the whitespace between them stays in the word,
//    and escapes (\n \t \xHH \NNN \cC, \C = C) are decoded inside quotes;
//  - `{` and `}` outside quotes are block punctuation; a statement ends with its line;
//  - `include FILE` (and includer/includem/includew/includeb/includea) with globs and
//    brace lists, relative to the directory of the including file;
//  - `@ID` / `@^ID` line prefixes compared with the config id (keepalived -i);
//  - `$NAME=value` (multi-line with trailing `\`), then `${NAME}` anywhere and `$NAME`
//    before whitespace, recursively; ${_PWD} ${_INSTANCE} ${_HASH} ${_BANG} predefined;
//  - `~SEQ(var, start, step, end)`, `~SEQx(...)` and `~LST(...)` line repeaters.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

export interface KaStatement {
  /** the words of the statement; quoted strings arrive unquoted as one word */
  words: string[];
  /** 1-based line of the first word */
  line: number;
  /** the file it comes from when not the main file (an include) */
  file?: string;
  block?: KaStatement[];
}

/** something the reader did that the import should say (an include that matched nothing...) */
export interface KaReadNote {
  line: number;
  file?: string;
  text: string;
  /** true: something of the file was not read as keepalived would read it */
  dropped: boolean;
}

export interface KaReadOptions {
  /** path of the main file: includes and ${_PWD} are relative to its directory */
  file?: string;
  /** keepalived's -i/--config-id; keepalived's default is the host name up to its first dot */
  configId?: string;
  /** reads an included file (tests replace it); default: the file system */
  readFile?: (path: string) => string;
  /** lists a directory for globs (tests replace it); default: the file system */
  readDir?: (path: string) => string[];
}

interface Token {
  text: string;
  line: number;
  file?: string;
  /** `{` or `}` written as punctuation (not inside quotes) */
  punct: boolean;
  /** first token of its line */
  lineStart: boolean;
}

const ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  E: '\x1b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** one line → words; `{`/`}` outside quotes are their own tokens */
export function tokenizeLine(src: string): { text: string; punct: boolean }[] {
  const out: { text: string; punct: boolean }[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  const end = (): void => {
    if (inWord) out.push({ text: word, punct: false });
    word = '';
    inWord = false;
  };
  for (let pos = 0; pos < src.length; pos++) {
    const c = src[pos]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && pos + 1 < src.length) {
        const n = src[++pos]!;
        if (ESCAPES[n] !== undefined) word += ESCAPES[n];
        else if (n === 'x' && /[0-9a-fA-F]/.test(src[pos + 1] ?? '')) {
          let hex = '';
          while (/[0-9a-fA-F]/.test(src[pos + 1] ?? '')) hex += src[++pos];
          word += String.fromCharCode(Number.parseInt(hex, 16) & 0xff);
        } else if (/[0-7]/.test(n)) {
          let oct = n;
          while (oct.length < 3 && /[0-7]/.test(src[pos + 1] ?? '')) oct += src[++pos];
          word += String.fromCharCode(Number.parseInt(oct, 8) & 0xff);
        } else if (n === 'c' && pos + 1 < src.length) {
          word += String.fromCharCode(src[++pos]!.toUpperCase().charCodeAt(0) ^ 0x40);
        } else word += n;
      } else word += c;
    } else if (c === ' ' || c === '\t' || c === '\r') end();
    else if (c === '#' || c === '!') break;
    else if (c === '{' || c === '}') {
      end();
      out.push({ text: c, punct: true });
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  end();
  return out;
}

/** csh-style brace lists: a{b,c}d → abd acd */
export function expandBraces(p: string): string[] {
  const open = p.indexOf('{');
  if (open < 0) return [p];
  let depth = 0;
  const parts: string[] = [];
  let start = open + 1;
  for (let i = open; i < p.length; i++) {
    if (p[i] === '{') depth++;
    else if (p[i] === '}' && --depth === 0) {
      parts.push(p.slice(start, i));
      return parts.flatMap((alt) => expandBraces(p.slice(0, open) + alt + p.slice(i + 1)));
    } else if (p[i] === ',' && depth === 1) {
      parts.push(p.slice(start, i));
      start = i + 1;
    }
  }
  return [p];
}

function globRegExp(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        const body = seg.slice(i + 1, close);
        re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** glob(3) for one pattern: sorted matches; hidden files only when the pattern names a dot */
function glob(pattern: string, readDir: (p: string) => string[]): string[] {
  const segs = pattern.split('/');
  let paths = [pattern.startsWith('/') ? '/' : '.'];
  for (const seg of segs) {
    if (seg === '') continue;
    if (!/[*?[]/.test(seg)) {
      paths = paths.map((p) => join(p, seg));
      continue;
    }
    const re = globRegExp(seg);
    paths = paths.flatMap((p) => {
      let names: string[];
      try {
        names = readDir(p);
      } catch {
        return [];
      }
      return names
        .filter((n) => re.test(n) && (!n.startsWith('.') || seg.startsWith('.')))
        .sort()
        .map((n) => join(p, n));
    });
  }
  return paths;
}

const PARAM_DEF = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;
/** Bounds on parameter expansion, for parameters that name themselves (found by fuzzing). */
const MAX_EXPANSION_DEPTH = 20;
const MAX_EXPANDED_CHARS = 1 << 20;
/** Bound on the files read through includes, in all (found by fuzzing: a glob that matches its own file). */
const MAX_INCLUDED_FILES = 1000;

/** A keepalived.conf reader: lines → tokens, with the preprocessing keepalived does. */
class Reader {
  readonly tokens: Token[] = [];
  readonly notes: KaReadNote[] = [];
  private readonly params = new Map<string, string>();
  private readonly opts: Required<Pick<KaReadOptions, 'readFile' | 'readDir'>> & KaReadOptions;
  private depth = 0;
  private expansionDepth = 0;
  /** the files being read, outermost first: an include of one of them is a loop */
  private readonly reading = new Set<string>();
  /** files read through includes so far (bounded: a glob that includes itself multiplies) */
  private includesRead = 0;

  constructor(opts: KaReadOptions) {
    this.opts = {
      readFile: (p) => readFileSync(p, 'utf8'),
      readDir: (p) => readdirSync(p),
      ...opts,
    };
    if (opts.configId !== undefined) this.params.set('_INSTANCE', opts.configId);
  }

  readText(text: string, file: string | undefined, shownAs: string | undefined): void {
    const me = file ? resolve(file) : undefined;
    if (me) this.reading.add(me);
    try {
      this.readLines(text, file, shownAs);
    } finally {
      if (me) this.reading.delete(me);
    }
  }

  private readLines(text: string, file: string | undefined, shownAs: string | undefined): void {
    const lines = text.split(/\n/);
    const dir = file ? dirname(resolve(file)) : process.cwd();
    for (let i = 0; i < lines.length; i++) {
      let src = lines[i]!;
      const line = i + 1;
      // a multi-line parameter definition: lines ending in '\' continue it
      if (PARAM_DEF.test(src) && /\\\s*$/.test(src)) {
        const parts = [src.replace(/\\\s*$/, '')];
        while (i + 1 < lines.length && /\\\s*$/.test(lines[i]!)) {
          parts.push(lines[++i]!.replace(/\\\s*$/, ''));
        }
        src = parts[0]!;
        const m = PARAM_DEF.exec(src)!;
        const body = [m[2]!, ...parts.slice(1)].filter((x, j) => j > 0 || x.trim() !== '');
        this.params.set(m[1]!, body.join('\n'));
        continue;
      }
      this.readLine(src, line, dir, file, shownAs);
    }
  }

  private readLine(src: string, line: number, dir: string, file?: string, shownAs?: string): void {
    const note = (text: string, dropped = true): void => {
      this.notes.push({ line, ...(shownAs ? { file: shownAs } : {}), text, dropped });
    };
    // include is recognised before conditions and parameters, as keepalived does
    const inc = /^\s*(include[rmwba]?)\s+(.+?)\s*$/.exec(src);
    if (inc) {
      this.include(inc[2]!.replace(/^["']|["']$/g, ''), inc[1]!, dir, note);
      return;
    }
    let s = src;
    const cond = /^\s*@(\^?)(\S*)\s*(.*)$/.exec(s);
    if (cond) {
      const [, neg, id, rest] = cond;
      const matches = this.opts.configId !== undefined && id === this.opts.configId;
      if (this.opts.configId === undefined) {
        note(
          `'@${neg}${id}' line ${neg ? 'read' : 'skipped'} because no --config-id was given (keepalived compares it with its -i, by default the host name)`,
        );
      }
      if (matches === (neg === '^')) return;
      s = rest!;
    }
    const def = PARAM_DEF.exec(s);
    if (def) {
      this.params.set(def[1]!, def[2]!);
      return;
    }
    const seq = /^\s*~(SEQx?|LST)\(/.exec(s);
    if (seq) {
      this.repeat(s, line, dir, file, shownAs, note);
      return;
    }
    const subst = this.substitute(s, dir, note);
    if (subst.includes('\n')) {
      // a multi-line parameter: its lines are read as lines of this file (and may hold
      // parameters in turn: bounded, for one that names itself)
      if (this.expansionDepth >= MAX_EXPANSION_DEPTH) {
        note(
          `multi-line parameters nested more than ${MAX_EXPANSION_DEPTH} deep (a parameter that refers to itself?): line left out`,
        );
        return;
      }
      this.expansionDepth++;
      try {
        for (const l of subst.split('\n')) this.readLine(l, line, dir, file, shownAs);
      } finally {
        this.expansionDepth--;
      }
      return;
    }
    if (subst !== s && /^\s*include[rmwba]?\s/.test(subst)) {
      note('an include written with a parameter is not read (keepalived does not either)');
    }
    let first = true;
    for (const t of tokenizeLine(subst)) {
      this.tokens.push({ ...t, line, ...(shownAs ? { file: shownAs } : {}), lineStart: first });
      first = false;
    }
  }

  private substitute(s: string, dir: string, note: (t: string, d?: boolean) => void): string {
    const value = (name: string): string | undefined => {
      if (name === '_PWD') return dir;
      if (name === '_HASH') return '#';
      if (name === '_BANG') return '!';
      if (name.startsWith('_RANDOM')) {
        note(`'\${${name}}' is a random number in keepalived: left as it is`);
        return undefined;
      }
      return this.params.get(name);
    };
    let out = s;
    for (let round = 0; round < 100; round++) {
      const next = out
        .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*(?: [^}]*)?)\}/g, (m, n: string) => value(n) ?? m)
        .replace(/\$([A-Za-z_][A-Za-z0-9_]*)(?=\s|$)/g, (m, n: string) => value(n) ?? m);
      if (next === out) return out;
      if (next.length > MAX_EXPANDED_CHARS) {
        note(
          `parameter substitution grew the line past ${MAX_EXPANDED_CHARS} characters (a parameter that refers to itself?): line left as written`,
        );
        return s;
      }
      out = next;
    }
    note('parameter substitution did not end after 100 rounds (a parameter that refers to itself?)');
    return out;
  }

  private repeat(
    s: string,
    line: number,
    dir: string,
    file: string | undefined,
    shownAs: string | undefined,
    note: (t: string) => void,
  ): void {
    const m = /^\s*~(SEQx?|LST)\(([^)]*(?:\([^)]*\)[^)]*)*)\)\s*(.*)$/.exec(s);
    if (!m) {
      note(`'${s.trim()}': a ~SEQ/~LST line that does not parse is left out`);
      return;
    }
    const [, kind, args, rest] = m;
    const sets: [string, string][][] = [];
    if (kind === 'LST') {
      const a = args!.trim();
      if (a.startsWith('{')) {
        const groups = [...a.matchAll(/\{([^}]*)\}/g)].map((g) => g[1]!.split(',').map((x) => x.trim()));
        const [names, ...vals] = groups;
        for (const v of vals) sets.push(names!.map((n, j) => [n, v[j] ?? '']));
      } else {
        const [name, ...vals] = a.split(',').map((x) => x.trim());
        for (const v of vals) sets.push([[name!, v]]);
      }
    } else {
      const parts = args!.split(',').map((x) => x.trim());
      const name = parts[0]!;
      const nums = parts.slice(1).map((x) => Number(x));
      if (nums.some((n) => !Number.isInteger(n)) || nums.length < 1 || nums.length > 3) {
        note(`'${s.trim()}': ~${kind} needs whole numbers: line left out`);
        return;
      }
      let start: number;
      let step: number;
      let stop: number;
      if (nums.length === 1) {
        stop = nums[0]!;
        start = stop >= 0 ? 1 : -1;
        step = stop >= start ? 1 : -1;
      } else if (nums.length === 2) {
        [start, stop] = nums as [number, number];
        step = stop >= start ? 1 : -1;
      } else [start, step, stop] = nums as [number, number, number];
      if (step === 0) {
        note(`'${s.trim()}': ~${kind} step 0: line left out`);
        return;
      }
      for (let v = start; step > 0 ? v <= stop : v >= stop; v += step) {
        sets.push([[name, kind === 'SEQx' ? v.toString(16) : String(v)]]);
        if (sets.length >= 100_000 && (step > 0 ? v + step <= stop : v + step >= stop)) {
          note(`'${s.trim()}': ~${kind} repeats its line at most 100000 times; the rest is left out`);
          break;
        }
      }
    }
    for (const set of sets) {
      for (const [n, v] of set) this.params.set(n, v);
      this.readLine(rest!, line, dir, file, shownAs);
    }
  }

  private include(pattern: string, kind: string, dir: string, note: (t: string) => void): void {
    if (this.depth > 20) {
      note(`include ${pattern}: includes nested more than 20 deep (a loop?) not read`);
      return;
    }
    const pats = expandBraces(pattern).map((p) => (isAbsolute(p) ? p : join(dir, p)));
    const files = pats.flatMap((p) => (/[*?[]/.test(p) ? glob(p, this.opts.readDir) : [p]));
    const readable = files;
    if (readable.length === 0) {
      // keepalived's plain include skips a pattern that matches nothing without an error
      note(`${kind} ${pattern}: no file matched, nothing included`);
      return;
    }
    for (const f of readable) {
      if (this.reading.has(resolve(f))) {
        note(`${kind} ${f}: the file is already being read (an include loop): not read again`);
        continue;
      }
      if (this.includesRead >= MAX_INCLUDED_FILES) {
        note(`${kind} ${f}: more than ${MAX_INCLUDED_FILES} files included in all: not read`);
        continue;
      }
      this.includesRead++;
      let text: string;
      try {
        text = this.opts.readFile(f);
      } catch (e) {
        note(
          `${kind} ${f}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}): not included`,
        );
        continue;
      }
      this.depth++;
      const saved = this.params.get('_PWD');
      this.readText(text, f, f);
      if (saved !== undefined) this.params.set('_PWD', saved);
      this.depth--;
    }
  }
}

/** Blocks nested deeper than this are left out (keepalived's own go 4 deep). */
const MAX_BLOCK_DEPTH = 32;

function buildTree(tokens: Token[], notes: KaReadNote[]): KaStatement[] {
  let i = 0;
  let depth = 0;
  const parseBlock = (top: boolean, opener?: Token): KaStatement[] => {
    const out: KaStatement[] = [];
    let cur: KaStatement | undefined;
    while (i < tokens.length) {
      const t = tokens[i]!;
      if (t.punct && t.text === '}' && top) {
        // a `}` that closes no block: keepalived reports it and reads on, so does this
        notes.push({
          line: t.line,
          ...(t.file ? { file: t.file } : {}),
          text: "a '}' that closes no block: ignored, as keepalived ignores it",
          dropped: false,
        });
        i++;
        cur = undefined;
        continue;
      }
      if (t.punct && t.text === '}') {
        i++;
        return out;
      }
      if (t.punct && t.text === '{' && depth >= MAX_BLOCK_DEPTH) {
        // deeper than any keepalived.conf means: skipped whole, not recursed into (a few
        // thousand levels overflowed the stack: found by fuzzing)
        let open = 0;
        for (; i < tokens.length; i++) {
          const u = tokens[i]!;
          if (u.punct && u.text === '{') open++;
          else if (u.punct && u.text === '}' && --open === 0) break;
        }
        i++;
        notes.push({
          line: t.line,
          ...(t.file ? { file: t.file } : {}),
          text: `a block nested more than ${MAX_BLOCK_DEPTH} deep: left out with all it holds`,
          dropped: true,
        });
        cur = undefined;
        continue;
      }
      if (t.punct && t.text === '{') {
        i++;
        depth++;
        const block = parseBlock(false, t);
        depth--;
        if (cur && !cur.block) cur.block = block;
        else out.push({ words: [], line: t.line, ...(t.file ? { file: t.file } : {}), block });
        cur = undefined;
        continue;
      }
      // a statement ends at the end of its line (keepalived is line-oriented)
      if (!cur || t.lineStart || cur.block) {
        cur = { words: [], line: t.line, ...(t.file ? { file: t.file } : {}) };
        out.push(cur);
      }
      cur.words.push(t.text);
      i++;
    }
    if (!top && opener) {
      notes.push({
        line: opener.line,
        ...(opener.file ? { file: opener.file } : {}),
        text: "a '{' that is never closed: the block runs to the end of the file",
        dropped: true,
      });
    }
    return out;
  };
  return parseBlock(true);
}

/** Reads a keepalived.conf and what the reader had to say about it. */
export function readKeepalivedConf(
  text: string,
  opts: KaReadOptions = {},
): { statements: KaStatement[]; notes: KaReadNote[] } {
  const r = new Reader(opts);
  r.readText(text, opts.file, undefined);
  const statements = buildTree(r.tokens, r.notes);
  return { statements, notes: r.notes };
}

/** Parses the whole file. An unbalanced `}` or `{` is tolerated: keepalived warns and goes on too. */
export function parseKeepalivedConf(text: string, opts: KaReadOptions = {}): KaStatement[] {
  return readKeepalivedConf(text, opts).statements;
}

/** Splits a keepalived script string into argv as keepalived does (quotes group words, no shell). */
export function splitCommand(cmd: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m = re.exec(cmd); m !== null; m = re.exec(cmd)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}
