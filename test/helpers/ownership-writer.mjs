// The writer of the crash test (test/unit/ownership-file-crash.test.ts): rewrites the
// IPVS ownership record in a loop with the daemon's own module (dist/, `npm run build`),
// as fast as it can, until it is killed. Generation G is the key fwmark:4:G; the number
// of services changes with G so that a torn file could not pass for a whole one. After
// each completed write it prints G on stdout (a pipe: synchronous on Linux, so the
// parent has every line printed before the kill).
//   node ownership-writer.mjs FILE FIRST_GENERATION
import { writeOwnershipRecord } from '../../dist/src/effects/ownership-file.js';

const [file, first] = process.argv.slice(2);
export function recordKeys(gen) {
  const keys = [`fwmark:4:${gen}`];
  const n = 100 + (gen % 7) * 150;
  for (let i = 0; i < n; i++) keys.push(`tcp:192.0.2.${i % 250}:${1000 + i}`);
  return keys;
}
process.stdout.write('ready\n');
for (let gen = Number(first); ; gen++) {
  await writeOwnershipRecord(file, recordKeys(gen));
  process.stdout.write(`${gen}\n`);
}
