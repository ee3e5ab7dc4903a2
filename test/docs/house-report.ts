/**
 * `npm run house [-- --all]`: the house rules' figures for the tree as it is (docs/architecture.md,
 * "Rules of the house"): files over 400 lines, functions over 80, import cycles among files and
 * folders, imports that pass by another folder's index.ts, and the share of source files with a
 * spec at the mirrored path. `--all` lists every file without a mirrored spec too.
 */
import { fileURLToPath } from 'node:url'
import { fileCycles, folderCycles, folderOf, mirroredSpecs, readSourceTree, sideDoorImports } from '../helpers/source-tree.ts'
import { FUNCTION_LINES_MAX, FILE_LINES_MAX } from './house-rules.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const files = readSourceTree(root)
const all = process.argv.includes('--all')

const bigFiles = files.filter((f) => f.lines > FILE_LINES_MAX).sort((a, b) => b.lines - a.lines)
console.log(`files over ${FILE_LINES_MAX} lines: ${bigFiles.length}`)
for (const f of bigFiles) console.log(`  ${String(f.lines).padStart(5)}  ${f.path}`)

const bigFns = files.flatMap((f) => f.functions.filter((fn) => fn.lines > FUNCTION_LINES_MAX).map((fn) => ({ ...fn, path: f.path }))).sort((a, b) => b.lines - a.lines)
console.log(`functions over ${FUNCTION_LINES_MAX} lines: ${bigFns.length}`)
for (const fn of bigFns) console.log(`  ${String(fn.lines).padStart(5)}  ${fn.path}:${fn.line} ${fn.name}`)

for (const runtimeOnly of [false, true]) {
  const what = runtimeOnly ? ' (runtime imports only)' : ' (type-only imports too)'
  const fc = fileCycles(files, runtimeOnly)
  console.log(`file import cycles${what}: ${fc.length}`)
  for (const c of fc) console.log(`  ${c.join(' <-> ')}`)
  const dc = folderCycles(files, runtimeOnly)
  console.log(`folder import cycles${what}: ${dc.length}`)
  for (const c of dc) console.log(`  ${c.join(' <-> ')}`)
}

const side = sideDoorImports(files)
console.log(`imports of another folder's file other than its index.ts: ${side.length}`)
for (const s of side) console.log(`  ${s.from} -> ${s.to}`)

const mirrored = mirroredSpecs(root, files)
const withSpec = mirrored.filter((m) => m.spec).length
console.log(`source files (not index.ts) with a spec at the mirrored path: ${withSpec} of ${mirrored.length} (${(100 * withSpec / mirrored.length).toFixed(1)}%)`)
const byFolder = new Map<string, { yes: number, all: number }>()
for (const m of mirrored) {
  const folder = folderOf(m.path)
  const row = byFolder.get(folder) ?? { yes: 0, all: 0 }
  row.all++
  if (m.spec) row.yes++
  byFolder.set(folder, row)
}
for (const [folder, row] of [...byFolder].sort((a, b) => a[0].localeCompare(b[0]))) console.log(`  ${folder.padEnd(20)} ${row.yes}/${row.all}`)
if (all) for (const m of mirrored.filter((x) => !x.spec)) console.log(`  no spec: ${m.path}`)
