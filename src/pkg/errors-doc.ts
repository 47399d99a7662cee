// docs/errors.md from the registry (src/errors.ts): `npm run docs:errors` writes it;
// test/unit/errors.test.ts fails while the file and the registry differ.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, RENAMED_CODES } from '../errors.js';

/** The text of docs/errors.md. Pure. */
export function errorsDoc(): string {
  const out = [
    '# Error codes',
    '',
    "Every error vrrpd reports itself has a stable `code` (in log lines, in the control socket's JSON,",
    'and in the `vrrpd status`/`vrrpd reload` output), one scheme: `AREA_WHAT` in capitals. The list is',
    '`src/errors.ts`; this table is generated from it (`npm run docs:errors`). A code that is not here',
    "(`EEXIST`, `ENODEV`, `EACCES`, ...) is the operating system's errno, passed on from a failed system",
    "call or kernel answer, often with vrrpd's words for what it means for the request.",
    '',
    '| Code | Meaning |',
    '|---|---|',
    ...Object.entries(ERROR_CODES).map(([k, v]) => `| \`${k}\` | ${v.replace(/\|/g, '\\|')} |`),
    '',
    '## Renamed codes',
    '',
    'Before this list, some codes were named like errnos (or `ERR_*`). Scripts written against the old',
    'names map them as follows (the control socket only sends the new ones):',
    '',
    '| Old | New |',
    '|---|---|',
    ...Object.entries(RENAMED_CODES).map(([k, v]) => `| \`${k}\` | \`${v}\` |`),
    '',
  ];
  return out.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(new URL('../../../docs/errors.md', import.meta.url), errorsDoc());
}
