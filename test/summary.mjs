// Reads vitest's JSON report, prints one closing line "tests: N passed, N failed, N skipped"
// and sets the exit code. With CI=true a skipped test is a failure: in CI every
// dependency is installed by .ci/run, so a skip means something is missing.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.test-results.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`summary: no test report at ${file} (${err.message}): the test runner did not finish`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// a file that failed outside any test (import error, hook failure) counts as one failure;
// numFailedTestSuites counts describe blocks, so it is not used
const brokenFiles = (report.testResults ?? []).filter(
  (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
).length;
const failed = (report.numFailedTests ?? 0) + brokenFiles;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const ci = process.env.CI === 'true' || process.env.CI === '1';
if (skipped > 0) {
  for (const suite of report.testResults ?? []) {
    for (const t of suite.assertionResults ?? []) {
      if (t.status === 'pending' || t.status === 'skipped' || t.status === 'todo') {
        console.error(`skipped: ${suite.name} > ${t.fullName}`);
      }
    }
  }
  if (ci) console.error('summary: CI=true and some tests were skipped: that is a failure here');
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
const ok = report.success !== false && failed === 0 && passed > 0 && !(ci && skipped > 0);
process.exit(ok ? 0 : 1);
