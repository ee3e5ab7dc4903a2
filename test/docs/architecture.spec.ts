import { expect } from 'chai'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NODE_PARTS } from '../../node/root/index.ts'
import { SOURCE_ROOTS, fileCycles, folderCycles, folderOf, importClosure, mirroredSpecs, readSourceTree, sideDoorImports } from '../helpers/source-tree.ts'
import { FILE_LINES_EXCEPTIONS, FILE_LINES_MAX, FUNCTION_LINES_EXCEPTIONS, FUNCTION_LINES_MAX, MIRRORED_SPECS_MIN } from './house-rules.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8')

/** The text of the section headed `heading` (## level), to the next ## heading. */
function section (heading: string): string {
  const start = doc.indexOf(`\n## ${heading}\n`)
  expect(start, `docs/architecture.md has no section "## ${heading}"`).to.be.greaterThan(-1)
  const end = doc.indexOf('\n## ', start + 4)
  return doc.slice(start, end === -1 ? undefined : end)
}

/** Folders holding sources, to the depth the folder table names them (folderOf). */
function sourceFolders (): string[] {
  const out = new Set<string>()
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.ts')) out.add(folderOf(path))
    }
  }
  for (const top of SOURCE_ROOTS) if (existsSync(join(root, top))) walk(top)
  return [...out].sort()
}

describe('docs/architecture.md', () => {
  const files = readSourceTree(root)

  it('should list the parts a node starts, in the order the code starts them', () => {
    const block = section("A node's lifecycle").match(/<!-- parts[^>]*-->([\s\S]*?)<!-- \/parts -->/)
    expect(block, 'the lifecycle section marks its list with <!-- parts --> … <!-- /parts -->').to.not.equal(null)
    const listed = [...(block?.[1] ?? '').matchAll(/\d+\. `([a-z0-9-]+)`/g)].map((m) => m[1])
    expect(listed).to.deep.equal(NODE_PARTS.map((p) => p.id))
  })

  it('should name in its folder table exactly the folders that hold sources', () => {
    const table = section('Folders').match(/```\n([\s\S]*?)```/)?.[1] ?? ''
    const named: string[] = []
    let top = ''
    for (const line of table.split('\n')) {
      const m = line.match(/^( {0,2})([a-z0-9-]+)\/\s/)
      if (m === null) continue
      if ((m[1] as string).length === 0) top = m[2] as string
      if (!(SOURCE_ROOTS as readonly string[]).includes(top)) continue
      named.push((m[1] as string).length === 0 ? top : `${top}/${m[2] as string}`)
    }
    expect(named.sort()).to.deep.equal(sourceFolders())
  })

  it('should hold to its word that no import makes a cycle, between files or between folders', () => {
    expect(fileCycles(files), 'file cycles').to.deep.equal([])
    expect(folderCycles(files), 'folder cycles').to.deep.equal([])
  })

  it('should hold to its word that another folder is imported through its index.ts or its light.ts', () => {
    expect(sideDoorImports(files)).to.deep.equal([])
  })

  it('should keep each light.ts light: what it loads stays in its folder and imports no package, and the chunk worker loads no other folder\'s index.ts', () => {
    const lights = files.filter((f) => f.path.endsWith('/light.ts')).map((f) => f.path)
    expect(lights).to.include.members(['node/storage/light.ts', 'node/replication/light.ts', 'node/identity/light.ts'])
    for (const light of lights) {
      const folder = folderOf(light)
      for (const path of importClosure(files, light)) {
        expect(folderOf(path), `${light} loads ${path}`).to.equal(folder)
        const packages = [...readFileSync(join(root, path), 'utf8').matchAll(/^import (?!type )[^'"]*['"]([^'".][^'"]*)['"]/gm)].map((m) => m[1] as string).filter((spec) => !spec.startsWith('node:'))
        expect(packages, `${path} (loaded by ${light}) imports packages`).to.deep.equal([])
      }
    }
    const worker = importClosure(files, 'node/backup/chunk-worker.ts')
    expect(worker.filter((path) => path.endsWith('/index.ts'))).to.deep.equal([])
    expect(worker).to.include('node/storage/light.ts')
  })

  it(`should keep source files within ${FILE_LINES_MAX} lines and functions within ${FUNCTION_LINES_MAX}, but for the exceptions it lists`, () => {
    const bigFiles = files.filter((f) => f.lines > FILE_LINES_MAX && !(f.path in FILE_LINES_EXCEPTIONS)).map((f) => `${f.path} (${f.lines} lines)`)
    expect(bigFiles, 'files over the limit').to.deep.equal([])
    const bigFns = files.flatMap((f) => f.functions.filter((fn) => fn.lines > FUNCTION_LINES_MAX && !(`${f.path} ${fn.name}` in FUNCTION_LINES_EXCEPTIONS)).map((fn) => `${f.path}:${fn.line} ${fn.name} (${fn.lines} lines)`))
    expect(bigFns, 'functions over the limit').to.deep.equal([])
    expect(Object.keys(FILE_LINES_EXCEPTIONS).length).to.be.at.most(3)
    expect(Object.keys(FUNCTION_LINES_EXCEPTIONS).length).to.be.at.most(3)
  })

  it(`should keep a spec at the mirrored path for at least ${MIRRORED_SPECS_MIN * 100}% of source files`, () => {
    const mirrored = mirroredSpecs(root, files)
    const share = mirrored.filter((m) => m.spec).length / mirrored.length
    expect(share, `${(share * 100).toFixed(1)}% mirrored`).to.be.at.least(MIRRORED_SPECS_MIN)
  })
})
