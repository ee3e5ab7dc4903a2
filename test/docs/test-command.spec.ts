import { expect } from 'chai'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Every spec file under test/, walked on disk. */
function specsOnDisk (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? specsOnDisk(join(dir, e.name)) : e.name.endsWith('.spec.ts') ? [join(dir, e.name)] : [])
}

/**
 * `npm test` names its spec files by globs in an order of its own (the longest files first, so that
 * two workers end together: package.json): every spec file must be in exactly one of them, or a new
 * folder of specs would never run (or run twice).
 */
describe('npm test', () => {
  it('should run every spec file under test/ once', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { test: string } }
    const globs = [...pkg.scripts.test.matchAll(/"(test\/[^"]+)"/g)].map((m) => m[1] as string)
    expect(globs.length).to.be.greaterThan(0)
    const collect = createRequire(import.meta.url)(join(ROOT, 'node_modules/mocha/lib/cli/collect-files.cjs')) as (o: object) => { files: string[] }
    const { files } = collect({ ignore: [], extension: ['ts'], file: [], recursive: false, sort: false, spec: globs.map((g) => join(ROOT, g)) })
    const run = files.map((f) => relative(ROOT, f))
    expect(run.length, 'a spec file named by two globs').to.equal(new Set(run).size)
    expect([...run].sort()).to.deep.equal(specsOnDisk(join(ROOT, 'test')).map((f) => relative(ROOT, f)).sort())
  })
})
