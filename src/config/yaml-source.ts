// YAML text → plain data plus a way back from a data path to a file position.
// Positions come from the yaml package's node ranges and a LineCounter (1-based).
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
} from 'yaml';
import type { ConfigPath, PathError } from './errors.js';

export interface Position {
  line: number;
  col: number;
}

export interface YamlSource {
  /** the document as plain JS (aliases resolved) */
  data: unknown;
  /** position of the value at `path`, or of its key when `atKey`; falls back to the nearest ancestor */
  positionOf(path: ConfigPath, atKey?: boolean): Position;
}

export type YamlParseResult =
  | { ok: true; source: YamlSource }
  | { ok: false; errors: { line: number; col: number; message: string; code: PathError['code'] }[] };

/** The first byte that shows the text is not a text file (NUL or other C0 controls), or -1. */
export function binaryOffset(text: string): number {
  // tab, LF and CR are text; other C0 controls and U+FFFD (a decoding failure) are not
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffd) return i;
  }
  return -1;
}

export function parseYaml(text: string): YamlParseResult {
  const lineCounter = new LineCounter();
  const bin = binaryOffset(text);
  if (bin >= 0) {
    // find the line of the offending character without trusting YAML to parse it
    const before = text.slice(0, bin);
    const line = before.split('\n').length;
    const col = bin - before.lastIndexOf('\n');
    return {
      ok: false,
      errors: [
        {
          line,
          col,
          code: 'CONFIG_NOT_TEXT',
          message: 'this is not a text file (binary data found); a configuration is YAML text',
        },
      ],
    };
  }
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const keepalived =
    /^[ \t]*(global_defs|vrrp_instance|vrrp_script|vrrp_sync_group|virtual_server)\b[^\n:]*\{/m.exec(text);
  if (keepalived && (doc.errors.length > 0 || !isMap(doc.contents))) {
    // the most likely mistake is handing over the file being migrated from
    const line = text.slice(0, keepalived.index).split('\n').length;
    return {
      ok: false,
      errors: [
        {
          line,
          col: 1,
          code: 'CONFIG_YAML_SYNTAX',
          message:
            "this looks like a keepalived.conf, not vrrpd YAML; convert it with 'vrrpd import-keepalived FILE'",
        },
      ],
    };
  }
  const pos = (offset: number): Position => {
    const lp = lineCounter.linePos(offset);
    return { line: lp.line, col: lp.col };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => ({
        ...pos(e.pos[0]),
        code: 'CONFIG_YAML_SYNTAX' as const,
        message:
          e.code === 'DUPLICATE_KEY' ? 'duplicate key in a mapping' : `YAML syntax error: ${e.message}`,
      })),
    };
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === undefined))) {
    return {
      ok: false,
      errors: [{ line: 1, col: 1, code: 'CONFIG_EMPTY', message: 'the configuration is empty' }],
    };
  }
  if (!isMap(root)) {
    const what = isSeq(root) ? 'a list' : isScalar(root) ? `a ${typeof root.value}` : 'not a mapping';
    return {
      ok: false,
      errors: [
        {
          ...pos(root.range?.[0] ?? 0),
          code: 'CONFIG_NOT_A_MAPPING',
          message: `the top level must be a YAML mapping (global:, vrrp_instances:, virtual_servers: ...), but it is ${what}`,
        },
      ],
    };
  }
  // every key of a vrrpd config is a plain word: a list or mapping as a key ('? [a, b]: x')
  // would be stringified by toJS (with a process warning on stderr), so refuse it here
  let collectionKey: Node | null = null;
  visit(doc, {
    Pair(_, pair) {
      if (isMap(pair.key) || isSeq(pair.key)) {
        collectionKey = pair.key as Node;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (collectionKey !== null) {
    return {
      ok: false,
      errors: [
        {
          ...pos((collectionKey as Node).range?.[0] ?? 0),
          code: 'CONFIG_YAML_SYNTAX',
          message: 'a mapping key must be a plain word, not a list or a mapping',
        },
      ],
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    return {
      ok: false,
      errors: [
        { line: 1, col: 1, code: 'CONFIG_YAML_SYNTAX', message: `YAML error: ${(err as Error).message}` },
      ],
    };
  }
  return {
    ok: true,
    source: { data, positionOf: (path, atKey) => pos(offsetOf(doc, path, atKey ?? false)) },
  };
}

function deref(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function offsetOf(doc: Document, path: ConfigPath, atKey: boolean): number {
  let node = deref(doc, doc.contents) as Node | undefined;
  let offset = node?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) break;
      const keyNode = pair.key as Node;
      if (last && atKey) return keyNode.range?.[0] ?? offset;
      next = deref(doc, pair.value);
      // a key with no value (`global:`) has no value node: point at the key
      if (next === null || next === undefined || (isScalar(next) && next.value === null)) {
        return keyNode.range?.[0] ?? offset;
      }
    } else if (isSeq(node)) {
      next = deref(doc, node.items[Number(seg)]);
    } else break;
    if (!next || !(next as Node).range) break;
    node = next as Node;
    offset = node.range?.[0] ?? offset;
  }
  return offset;
}
