import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Stryker runs the tests that cover a mutant and stops at the first that fails (bail). Vitest's own order runs the
 * slowest files first, so a mutant the focused unit tests kill in milliseconds would first wait for a server test
 * of half a minute. This runs files by their last duration in this process (the dry run measures every one),
 * shortest first, so the slow ones run only for mutants nothing faster kills.
 */
export default class FastestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const duration = (spec: TestSpecification) =>
      this.ctx.cache.getFileTestResults(`${spec.project.name}:${relative(this.ctx.config.root, spec.moduleId)}`)?.duration ?? 0;
    return [...files].sort((a, b) => duration(a) - duration(b));
  }
}
