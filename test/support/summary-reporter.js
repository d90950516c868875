/**
 * Prints one plain "N passed, N failed" line at the end of a run, the closing line CI tools read in any
 * language (jest's own summary says "Tests: N passed, N total").
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    process.stdout.write(`jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed\n`);
  }
}
module.exports = SummaryReporter;
