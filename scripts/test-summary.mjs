// Sum the test counts of every suite's JSON report and print one closing line: "N passed, N failed".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
let passed = 0, failed = 0, skipped = 0;
const rows = [];
for (const file of existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : []) {
  const r = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  let p = 0, f = 0, s = 0;
  if ('numPassedTests' in r) { // jest
    p = r.numPassedTests; f = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0); s = r.numPendingTests + (r.numTodoTests ?? 0);
  } else if (r.stats) { // playwright
    p = r.stats.expected + (r.stats.flaky ?? 0); f = r.stats.unexpected; s = r.stats.skipped;
  }
  rows.push(`  ${file.replace(/\.json$/, '').padEnd(20)} ${p} passed, ${f} failed, ${s} skipped`);
  passed += p; failed += f; skipped += s;
}
console.log(rows.join('\n'));
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
