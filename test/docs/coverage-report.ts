/**
 * Prints line and branch coverage per source folder from c8's json-summary
 * (`npm run coverage` writes it to .coverage/coverage-summary.json and then runs this).
 */
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { folderOf } from '../helpers/source-tree.ts'

interface Counts { total: number, covered: number }
type Summary = Record<string, { lines: Counts, branches: Counts }>

const file = process.argv[2]
if (file === undefined) {
  console.error('usage: node test/docs/coverage-report.ts COVERAGE_SUMMARY_JSON')
  process.exit(2)
}
const root = fileURLToPath(new URL('../..', import.meta.url))
const summary = JSON.parse(readFileSync(file, 'utf8')) as Summary
const folders = new Map<string, { lines: Counts, branches: Counts }>()
for (const [path, counts] of Object.entries(summary)) {
  if (path === 'total') continue
  const rel = relative(root, path).split('\\').join('/')
  if (rel.startsWith('..') || rel.startsWith('test/') || rel.startsWith('bench/')) continue
  const folder = folderOf(rel)
  const row = folders.get(folder) ?? { lines: { total: 0, covered: 0 }, branches: { total: 0, covered: 0 } }
  row.lines.total += counts.lines.total
  row.lines.covered += counts.lines.covered
  row.branches.total += counts.branches.total
  row.branches.covered += counts.branches.covered
  folders.set(folder, row)
}
const pct = (c: Counts): string => c.total === 0 ? '   -  ' : `${(100 * c.covered / c.total).toFixed(1).padStart(5)}%`
console.log(`\n${'folder'.padEnd(22)} ${'lines'.padStart(7)} ${'branches'.padStart(9)}`)
const total = { lines: { total: 0, covered: 0 }, branches: { total: 0, covered: 0 } }
for (const [folder, row] of [...folders].sort((a, b) => a[0].localeCompare(b[0]))) {
  console.log(`${folder.padEnd(22)} ${pct(row.lines).padStart(7)} ${pct(row.branches).padStart(9)}`)
  for (const k of ['lines', 'branches'] as const) { total[k].total += row[k].total; total[k].covered += row[k].covered }
}
console.log(`${'all sources'.padEnd(22)} ${pct(total.lines).padStart(7)} ${pct(total.branches).padStart(9)}`)
