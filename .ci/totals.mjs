// Sums vitest JSON reports into the plain line CI reads: "N passed, N failed[, N skipped]".
// A missing report counts as a failure: that suite did not run. Exit 1 on any failure.
import { readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    console.error(`${file}: no test report (the suite did not run to completion)`);
    failed += 1;
    continue;
  }
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  // A test file that fails to load fails its suite without failing a test.
  if (report.numFailedTestSuites > 0 && report.numFailedTests === 0) failed += report.numFailedTestSuites;
  if (report.numTotalTests === 0) {
    console.error(`${file}: the suite ran no test`);
    failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || (process.env.CI === 'true' && skipped > 0) ? 1 : 0);
