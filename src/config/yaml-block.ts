// The fastest path for a valid file: a reader for the plain block style a vrrpd.yaml is
// written in (mappings and sequences by indentation, one-line scalars, one-line flow
// sequences of plain words, comments), and nothing else. js-yaml (yaml-fast.ts) reads a
// 10,000-real-server file in about 0.1 s warm but 0.3 s in a fresh process on this
// kind of machine, and over 1.5 s in the IPVS test guest, where a daemon's start is
// measured (bench/ipvs-scale.ts): most of that is its general machinery running cold.
// This reader is one pass over the lines with a few regular expressions.
//
// It declines (returns undefined, and the caller reads the file with js-yaml) anything it
// is not sure of: anchors, aliases, tags, block scalars, flow mappings, multi-line or
// escaped scalars, keys other than plain identifiers, duplicate keys, uneven indentation,
// and every plain scalar that some YAML schema could read as a number or a date other
// than a plain decimal integer or fraction. test/unit/config-yaml-block.test.ts holds it
// to the positioned reader's data (the yaml package) on the same corpus and random
// documents as yaml-fast.ts.

type Value = null | boolean | number | string | Value[] | { [k: string]: Value };

/** A line with content: its indentation and its text without it (trailing spaces gone). */
interface Line {
  indent: number;
  text: string;
}

/** Thrown to decline; caught once at the top. */
class Decline extends Error {}
const decline = (): never => {
  throw new Decline();
};

const KEY = /^([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?$/;
/** keys that some reader resolves to something other than their text */
const ODD_KEYS = new Set([
  'null',
  'Null',
  'NULL',
  'true',
  'True',
  'TRUE',
  'false',
  'False',
  'FALSE',
  '__proto__',
]);
const NULLS = new Set(['~', 'null', 'Null', 'NULL']);
const BOOLS = new Map([
  ['true', true],
  ['True', true],
  ['TRUE', true],
  ['false', false],
  ['False', false],
  ['FALSE', false],
]);
/** a plain scalar may not start with one of these (YAML indicators), nor with '- ' */
const INDICATOR = /^[-?:,[\]{}#&*!|>'"%@`<=]/;
const INT = /^(?:0|-?[1-9][0-9]{0,14})$/;
const FRACTION = /^-?(?:0|[1-9][0-9]{0,14})\.[0-9]{1,15}$/;
/** could be a number, a date or a special float in some schema */
/** hex digits and colons with a '::' or a letter, maybe a prefix length */
const IPV6ISH = /^(?=.*(?:::|[a-fA-F]))[0-9a-fA-F]*:[0-9a-fA-F:]*(?:\/[0-9]{1,3})?$/;
const NUMERIC_LOOKING = /^[-+]?\.?[0-9]|^[-+]?\.[a-zA-Z]/;

/** The document's data, or undefined when this reader is not sure of it. */
export function blockYamlData(text: string): Record<string, unknown> | undefined {
  if (text.includes('\r')) return undefined;
  const lines: Line[] = [];
  let first = true;
  for (const raw of text.split('\n')) {
    const body = raw.trimEnd();
    let i = 0;
    while (body.charCodeAt(i) === 32) i++;
    if (i === body.length || body.charCodeAt(i) === 35 /* # */) continue;
    const t = body.slice(i);
    if (first && i === 0 && t === '---') {
      first = false;
      continue;
    }
    first = false;
    if (t.startsWith('---') || t.startsWith('...')) return undefined;
    lines.push({ indent: i, text: t });
  }
  if (lines.length === 0 || lines[0]!.indent !== 0) return undefined;
  try {
    const r = new Reader(lines);
    const data = r.mapping(0, null);
    if (r.pos !== lines.length) return undefined;
    return data as Record<string, unknown>;
  } catch (e) {
    if (e instanceof Decline) return undefined;
    throw e;
  }
}

class Reader {
  pos = 0;
  constructor(private readonly lines: Line[]) {}

  /**
   * A block mapping whose keys stand at column `indent`. `firstText` is the first pair's
   * text when it follows a sequence's dash on the same line.
   */
  mapping(indent: number, firstText: string | null): Record<string, Value> {
    const out: Record<string, Value> = {};
    let text = firstText;
    for (;;) {
      if (text === null) {
        const l = this.lines[this.pos];
        if (l === undefined || l.indent < indent) break;
        if (l.indent > indent) decline();
        if (l.text === '-' || l.text.startsWith('- ')) {
          // a sequence at the keys' column can only belong to a key (handled there)
          if (indent === 0) decline();
          break;
        }
        text = l.text;
      }
      this.pos++;
      const m = KEY.exec(text);
      if (!m) decline();
      const key = m![1]!;
      if (ODD_KEYS.has(key) || Object.hasOwn(out, key)) decline();
      const rest = m![2];
      out[key] = rest === undefined || rest.startsWith('#') ? this.nested(indent, true) : this.inline(rest);
      text = null;
    }
    return out;
  }

  /** A block sequence whose dashes stand at column `indent`. */
  sequence(indent: number): Value[] {
    const out: Value[] = [];
    for (;;) {
      const l = this.lines[this.pos];
      if (l === undefined || l.indent < indent) break;
      if (l.indent > indent) decline();
      if (l.text === '-') {
        this.pos++;
        out.push(this.nested(indent, false));
        continue;
      }
      if (!l.text.startsWith('- ')) break;
      let i = 2;
      while (l.text.charCodeAt(i) === 32) i++;
      const rest = l.text.slice(i);
      if (rest.startsWith('#')) {
        this.pos++;
        out.push(this.nested(indent, false));
      } else if (KEY.test(rest)) {
        // a mapping that starts on the dash's line: its keys stand where this one does
        out.push(this.mapping(indent + i, rest));
      } else {
        this.pos++;
        out.push(this.inline(rest));
      }
    }
    return out;
  }

  /**
   * The value of a key or dash with nothing after it on its line: a block on the lines
   * below (deeper, or for a key a sequence at the key's own column), else null.
   */
  private nested(indent: number, ofKey: boolean): Value {
    const l = this.lines[this.pos];
    if (l === undefined) return null;
    const isSeq = l.text === '-' || l.text.startsWith('- ');
    if (l.indent > indent) return isSeq ? this.sequence(l.indent) : this.mapping(l.indent, null);
    if (ofKey && l.indent === indent && isSeq) return this.sequence(indent);
    return null;
  }

  /** A value on the same line as its key or dash: a quoted or plain scalar, or a flow sequence. */
  private inline(rest: string): Value {
    const c = rest.charCodeAt(0);
    if (c === 39 /* ' */) return quotedSingle(rest);
    if (c === 34 /* " */) return quotedDouble(rest);
    if (c === 91 /* [ */ || c === 123 /* { */) return flowValue(rest);
    return plain(withoutComment(rest));
  }
}

/** The text before a ` #` comment. */
function withoutComment(s: string): string {
  const i = s.indexOf(' #');
  return i < 0 ? s : s.slice(0, i).trimEnd();
}

/** What follows a closing quote or bracket: nothing, or a comment. */
function endOfValue(after: string): void {
  if (after.length > 0 && !/^ +(?:#.*)?$/.test(after)) decline();
}

function quotedSingle(s: string): string {
  let out = '';
  let i = 1;
  for (;;) {
    const j = s.indexOf("'", i);
    if (j < 0) decline();
    out += s.slice(i, j);
    if (s.charCodeAt(j + 1) === 39) {
      out += "'";
      i = j + 2;
      continue;
    }
    endOfValue(s.slice(j + 1));
    return out;
  }
}

function quotedDouble(s: string): string {
  const j = s.indexOf('"', 1);
  if (j < 0) decline();
  const body = s.slice(1, j);
  if (body.includes('\\')) decline();
  endOfValue(s.slice(j + 1));
  return body;
}

/** A flow collection on one line (`[a, b]`, `{k: v, l: [x]}`, nested), then nothing or a comment. */
function flowValue(s: string): Value {
  const f = new Flow(s);
  const v = f.collection();
  endOfValue(s.slice(f.i));
  return v;
}

class Flow {
  i = 0;
  constructor(private readonly s: string) {}

  private spaces(): void {
    while (this.s.charCodeAt(this.i) === 32) this.i++;
  }

  /** at `[` or `{` */
  collection(): Value {
    const open = this.s[this.i];
    const close = open === '[' ? ']' : '}';
    this.i++;
    this.spaces();
    const list: Value[] = [];
    const map: Record<string, Value> = {};
    if (this.s[this.i] === close) {
      this.i++;
      return open === '[' ? list : map;
    }
    for (;;) {
      if (open === '[') list.push(this.value());
      else {
        const m = /^([A-Za-z_][A-Za-z0-9_-]*): +/.exec(this.s.slice(this.i));
        if (!m) decline();
        const key = m![1]!;
        if (ODD_KEYS.has(key) || Object.hasOwn(map, key)) decline();
        this.i += m![0].length;
        map[key] = this.value();
      }
      this.spaces();
      const c = this.s[this.i];
      this.i++;
      if (c === close) return open === '[' ? list : map;
      if (c !== ',') decline();
      this.spaces();
    }
  }

  /** an item or a pair's value: a nested collection, a quoted scalar, or a plain scalar up to , ] } */
  private value(): Value {
    const c = this.s[this.i];
    if (c === '[' || c === '{') return this.collection();
    if (c === "'" || c === '"') {
      const j = this.s.indexOf(c, this.i + 1);
      if (j < 0) decline();
      const body = this.s.slice(this.i + 1, j);
      if (body.includes('\\') || this.s[j + 1] === c) decline();
      this.i = j + 1;
      return body;
    }
    let j = this.i;
    while (j < this.s.length && !',]}'.includes(this.s[j]!)) j++;
    const item = this.s.slice(this.i, j).trim();
    // empty items, and ':' (whose meaning in a flow differs between readers) other than
    // in an IPv6 address, are not for this reader
    if (item === '' || (item.includes(':') && !IPV6ISH.test(item))) decline();
    this.i = j;
    return plain(item);
  }
}

/** A plain scalar, resolved as the YAML 1.2 core schema does, where that is beyond doubt. */
function plain(s: string): Value {
  if (s === '') return null;
  if (INDICATOR.test(s) && !/^-[^ ]/.test(s)) decline();
  // a mapping indicator, a comment, flow indicators, or a second line's worth of meaning
  if (s.includes(': ') || s.endsWith(':') || s.includes('\t') || /[[\]{}#,]/.test(s)) decline();
  if (NULLS.has(s)) return null;
  const b = BOOLS.get(s);
  if (b !== undefined) return b;
  if (NUMERIC_LOOKING.test(s)) {
    if (INT.test(s) || FRACTION.test(s)) return Number(s);
    // no number, date or time of any schema has two dots, or a slash: addresses
    // (192.0.2.1, 127.0.0.1:9650, 192.0.2.0/24, 2001:db8::/32, 203.0.113.10-14)
    if (/\..*\./.test(s) || s.includes('/')) return s;
    // an IPv6 address: hex digits and colons with a letter or '::' (never base 60)
    if (/^[0-9a-fA-F:]+$/.test(s) && /[a-fA-F]|::/.test(s) && s.includes(':')) return s;
    // a duration such as 10ms or 1.5s
    if (/^[0-9]+(?:\.[0-9]+)?(?:ms|us|s|m|h|d)$/.test(s)) return s;
    decline();
  }
  return s;
}
