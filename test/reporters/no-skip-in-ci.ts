// A vitest reporter that fails the run in CI (CI set and not "false") when any
// test was skipped or left as todo: a skip there would be a silent green. It
// lists each skipped test with its file. Outside CI it only counts them.
import type { Reporter, TestModule } from 'vitest/node';

const inCi = (): boolean => !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

export default class NoSkipInCi implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const skipped: string[] = [];
    for (const m of testModules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'skipped') skipped.push(`${m.moduleId.replace(process.cwd() + '/', '')} > ${t.fullName}`);
      }
    }
    if (skipped.length === 0) return;
    if (inCi()) {
      process.stderr.write(`\nCI: ${skipped.length} test(s) skipped, which fails the run (a skipped test proves nothing):\n  ${skipped.join('\n  ')}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`\n${skipped.length} test(s) skipped (this fails in CI): ${skipped.slice(0, 5).join('; ')}${skipped.length > 5 ? '; ...' : ''}\n`);
    }
  }
}
