// keepalived.conf syntax → a tree of statements: whitespace-separated words, `{ }`
// blocks, comments from `!` or `#` to the end of the line, double-quoted strings.
// Only the syntax: what the words mean is keepalived-import.ts's business.

export interface KaStatement {
  /** the words of the statement; quoted strings arrive unquoted as one word */
  words: string[];
  /** 1-based line of the first word */
  line: number;
  block?: KaStatement[];
}

interface Token {
  text: string;
  line: number;
  /** true for `{`/`}` written as punctuation (not inside quotes) */
  punct: boolean;
  /** first token of its line */
  lineStart: boolean;
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((src, i) => {
    let pos = 0;
    let first = true;
    while (pos < src.length) {
      const c = src[pos]!;
      if (c === ' ' || c === '\t') {
        pos++;
      } else if (c === '!' || c === '#') {
        break;
      } else if (c === '{' || c === '}') {
        out.push({ text: c, line: i + 1, punct: true, lineStart: first });
        first = false;
        pos++;
      } else if (c === '"') {
        const end = src.indexOf('"', pos + 1);
        const stop = end < 0 ? src.length : end;
        out.push({ text: src.slice(pos + 1, stop), line: i + 1, punct: false, lineStart: first });
        first = false;
        pos = stop + 1;
      } else {
        let end = pos;
        while (end < src.length && !' \t{}'.includes(src[end]!)) end++;
        out.push({ text: src.slice(pos, end), line: i + 1, punct: false, lineStart: first });
        first = false;
        pos = end;
      }
    }
  });
  return out;
}

/** Parses the whole file. An unbalanced `}` or `{` is tolerated: keepalived warns and goes on too. */
export function parseKeepalivedConf(text: string): KaStatement[] {
  const tokens = tokenize(text);
  let i = 0;
  const parseBlock = (): KaStatement[] => {
    const out: KaStatement[] = [];
    let cur: KaStatement | undefined;
    while (i < tokens.length) {
      const t = tokens[i]!;
      if (t.punct && t.text === '}') {
        i++;
        return out;
      }
      if (t.punct && t.text === '{') {
        i++;
        const block = parseBlock();
        if (cur && !cur.block) cur.block = block;
        else out.push({ words: [], line: t.line, block });
        cur = undefined;
        continue;
      }
      // a statement ends at the end of its line (keepalived is line-oriented)
      if (!cur || t.lineStart || cur.block) {
        cur = { words: [], line: t.line };
        out.push(cur);
      }
      cur.words.push(t.text);
      i++;
    }
    return out;
  };
  return parseBlock();
}

/** Splits a keepalived script string into argv as keepalived does (quotes group words, no shell). */
export function splitCommand(cmd: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m = re.exec(cmd); m !== null; m = re.exec(cmd)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}
