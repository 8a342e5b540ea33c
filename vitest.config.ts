import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest, longest first (seconds of one worker each, measured on the 2-core CI machine).
 * They start first, so the last minute of a run is not one long file on one worker while the other is idle:
 * on a fresh clone vitest has no timings yet and would start the largest files first, which put the five
 * in-process fuzzing files (a dozen lines each, about 30 s each) and the property suite at the very end.
 */
const LONGEST_FIRST = [
  'test/property/invariants-on-preorder.test.ts',
  'test/property/invariants-mixed-catalogue.test.ts',
  'test/contract/snapshot-stream.test.ts',
  'test/fuzz/ready-to-fulfil.test.ts',
  'test/fuzz/stores-and-snapshots.test.ts',
  'test/fuzz/http.test.ts',
  'test/fuzz/mixed-catalogue.test.ts',
  'test/fuzz/on-preorder.test.ts',
  'test/fuzz/partially-exported.test.ts',
  'test/replica/kill.test.ts',
  'test/cli/cli.test.ts',
  'test/contract/every-operation.test.ts',
  'test/cli/verify.test.ts',
  'test/engine/stores.test.ts',
  'test/browser/dashboard.test.ts',
  'test/cli/webhook-restart.test.ts',
  'test/cli/state-file.test.ts',
  'test/replica/shared-state.test.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification): number => {
      const i = LONGEST_FIRST.findIndex((path) => spec.moduleId.endsWith(path));
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    // Array.prototype.sort is stable: the rest keep the base order (timings of the last run, else size).
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI tests run the compiled bin: rebuild dist/ first when a source changed since the last build.
    globalSetup: ['test/setup/build-dist.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: run files in parallel, but keep it to two workers so servers and Prism do not starve.
    maxWorkers: 2,
    // A worker runs file after file in one module graph: the specs are parsed, and the route table's and the
    // contract judge's Ajv validators compiled, once per worker instead of once per file (about 5 s of CPU a
    // file, three quarters of test/domain's time). Files share no state through modules: every test builds
    // its own engine, simulator or server, and the few that fake timers or spy on console restore them.
    isolate: false,
    sequence: { sequencer: LongestFirst },
  },
});
