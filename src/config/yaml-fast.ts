// The fast path for a valid file. The `yaml` package's document API keeps a node with a
// source range for every value, which is what FILE:LINE:COL errors need, but it reads a
// 10,000-real-server file in 0.6 s. js-yaml's loader builds plain data directly, about
// ten times faster. Positions only matter when something is wrong, so load.ts reads a
// file this way first and, when anything is off (a syntax error, an alias, a schema or
// semantic error), reads it again with parseYaml (yaml-source.ts) to place the errors.
//
// Both follow the YAML 1.2 core schema (js-yaml's CORE_SCHEMA: null/bool/int/float as the
// spec's regular expressions, no timestamps, no merge keys), and
// test/unit/config-yaml-fast.test.ts holds the two readers to the same data.
import { CORE_SCHEMA, load } from 'js-yaml';
import { blockYamlData } from './yaml-block.js';
import { binaryOffset } from './yaml-source.js';

/**
 * The document as plain data when it is a mapping the fast reader takes without doubt;
 * null sends the caller to the positioned reader. Aliases are refused (maxAliases 0):
 * the slow reader bounds their expansion and gives positions.
 */
/** `...`, or `---` that is indented or not the first marker */
const MARKERS = /^[ ]*\.\.\.|^[ ]+---|^---[\s\S]*^---/m;

/**
 * A null key (`~:`, `null:`, an empty key) becomes "null" here and "" in the yaml
 * package: both are wrong names, but they must be reported the same way, so the
 * positioned reader takes any document with a key spelled "null".
 */
function hasNullKey(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasNullKey);
  if (v === null || typeof v !== 'object') return false;
  for (const k in v) if (k === 'null' || hasNullKey((v as Record<string, unknown>)[k])) return true;
  return false;
}

export function fastYamlData(text: string): Record<string, unknown> | null {
  // Tabs: the yaml package refuses some tab indentation js-yaml takes; rare in a config,
  // so any tab sends the file the positioned way.
  // Document markers: one `---` at the start of a line is all a config needs; js-yaml
  // takes stray `...` or indented markers the yaml package refuses.
  if (binaryOffset(text) >= 0 || text.includes('\t') || MARKERS.test(text)) return null;
  // the plain block style most files are written in, faster still (yaml-block.ts)
  const block = blockYamlData(text);
  if (block !== undefined) return block;
  try {
    const data = load(text, { schema: CORE_SCHEMA, maxAliases: 0 });
    return data !== null && typeof data === 'object' && !Array.isArray(data) && !hasNullKey(data)
      ? (data as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
