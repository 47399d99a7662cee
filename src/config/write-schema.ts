// Writes schema/vrrpd.schema.json (for editors) from schema.ts, the one source of truth.
// Run: npx tsx src/config/write-schema.ts   — a unit test fails when the file is stale.
import { writeFileSync } from 'node:fs';
import { configSchema } from './schema.js';

export function schemaJsonText(): string {
  return `${JSON.stringify(configSchema, null, 2)}\n`;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const out = process.argv[2] ?? 'schema/vrrpd.schema.json';
  writeFileSync(out, schemaJsonText());
  process.stdout.write(`wrote ${out}\n`);
}
