/**
 * A mocha root-hook plugin that appends one line per spec file (start and end in ms since the epoch,
 * the worker's pid, the file) to PLEXI_FILE_TIMING: where the suite's time goes, file by file.
 * Not in .mocharc: `PLEXI_FILE_TIMING=/tmp/t.log npx mocha --parallel --jobs 2 --require
 * test/helpers/file-timing.ts "test/**\/*.spec.ts"` (in parallel mode root hooks run once per file).
 */
import { appendFileSync } from 'node:fs'
import type { Context } from 'mocha'

let started = 0

export const mochaHooks = {
  beforeAll (): void { started = Date.now() },
  afterAll (this: Context): void {
    const out = process.env.PLEXI_FILE_TIMING
    if (out === undefined || out === '') return
    const file = this.test?.parent?.suites[0]?.file ?? this.test?.parent?.file ?? '?'
    appendFileSync(out, `${started} ${Date.now()} ${process.pid} ${file}\n`)
  }
}
