/**
 * The source tree as the house rules see it (docs/architecture.md, "Rules of the house"): files
 * and their line counts, functions and theirs, imports between files and between folders, and
 * which files have a spec at the mirrored path. Read by test/docs/architecture.spec.ts and by
 * `npm run house`, which prints the figures.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { stripTypeScriptTypes } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { Parser } from 'acorn'

/** The top-level folders that hold sources (test/ and bench/ are held to other rules). */
export const SOURCE_ROOTS = ['protocols', 'config', 'actors', 'runtimes', 'node', 'cli'] as const

export interface SourceFile {
  /** Path from the repository root, with forward slashes: `node/mesh/cluster.ts`. */
  readonly path: string
  readonly lines: number
  /** Relative imports (static and dynamic), resolved to paths from the root; type-only ones too. */
  readonly imports: ReadonlyArray<{ readonly to: string, readonly typeOnly: boolean, readonly dynamic: boolean }>
  readonly functions: ReadonlyArray<{ readonly name: string, readonly line: number, readonly lines: number }>
}

/** Every `.ts` file under the source roots of `root`, parsed. */
export function readSourceTree (root: string): SourceFile[] {
  const files: SourceFile[] = []
  for (const top of SOURCE_ROOTS) {
    for (const abs of walk(join(root, top))) files.push(readSource(root, abs))
  }
  return files.sort((a, b) => a.path.localeCompare(b.path))
}

function walk (dir: string): string[] {
  if (!existsSync(dir)) return []
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const abs = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...walk(abs))
    else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(abs)
  }
  return out
}

const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'"`;]*?\s+from\s+)?['"]([^'"]+)['"]/g
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g

function readSource (root: string, abs: string): SourceFile {
  const text = readFileSync(abs, 'utf8')
  const path = relative(root, abs).split('\\').join('/')
  const imports: Array<{ to: string, typeOnly: boolean, dynamic: boolean }> = []
  const resolveTo = (spec: string): string => relative(root, resolve(dirname(abs), spec)).split('\\').join('/')
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[3] as string
    if (spec.startsWith('.')) imports.push({ to: resolveTo(spec), typeOnly: m[2] !== undefined, dynamic: false })
  }
  for (const m of text.matchAll(DYNAMIC)) {
    const spec = m[1] as string
    if (spec.startsWith('.')) imports.push({ to: resolveTo(spec), typeOnly: false, dynamic: true })
  }
  return { path, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0), imports, functions: functionsOf(text, path) }
}

interface AstNode { type: string, start: number, end: number, loc?: { start: { line: number }, end: { line: number } }, [key: string]: unknown }

/** Every function in `text` (declarations, expressions, arrows, methods) with its length in
 * lines, from the first line of its head to its closing brace. Types are stripped by Node's own
 * stripper in 'strip' mode, which blanks them in place, so line numbers are the source's. */
function functionsOf (text: string, path: string): Array<{ name: string, line: number, lines: number }> {
  let js: string
  try {
    js = stripTypeScriptTypes(text, { mode: 'strip' })
  } catch (err) {
    throw new Error(`${path}: cannot strip its types: ${(err as Error).message}`)
  }
  const ast = Parser.parse(js, { ecmaVersion: 'latest', sourceType: 'module', locations: true }) as unknown as AstNode
  const out: Array<{ name: string, line: number, lines: number }> = []
  const visit = (node: AstNode, name: string): void => {
    const fn = node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression'
    if (fn && node.loc !== undefined) {
      const id = (node.id as { name?: string } | null | undefined)?.name ?? name
      out.push({ name: id === '' ? '(anonymous)' : id, line: node.loc.start.line, lines: node.loc.end.line - node.loc.start.line + 1 })
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'loc') continue
      const childName = nameFor(node, key)
      if (Array.isArray(value)) for (const v of value) { if (isNode(v)) visit(v, childName) }
      else if (isNode(value)) visit(value, childName)
    }
  }
  visit(ast, '')
  return out
}

function isNode (v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string'
}

/** The name a function gets from where it sits: a method's key, a variable's or property's name. */
function nameFor (node: AstNode, key: string): string {
  const keyName = (k: unknown): string => {
    if (!isNode(k)) return ''
    if (k.type === 'Identifier' || k.type === 'PrivateIdentifier') return (k.name as string)
    if (k.type === 'Literal') return String(k.value)
    return ''
  }
  if ((node.type === 'MethodDefinition' || node.type === 'Property' || node.type === 'PropertyDefinition') && key === 'value') return keyName(node.key)
  if (node.type === 'VariableDeclarator' && key === 'init') return keyName(node.id)
  return ''
}

/** The folder a file belongs to for the layering rules: `node/mesh` for node/mesh/x.ts, `cli`
 * for cli/x.ts and cli/commands/x.ts alike below the top level's own subfolders. */
export function folderOf (path: string): string {
  const parts = path.split('/')
  return parts.length <= 2 ? (parts[0] as string) : parts.slice(0, 2).join('/')
}

/** Import cycles among files (each as the list of files on it), by Tarjan's strongly connected
 * components; `runtimeOnly` leaves out type-only imports (erased when the code runs). */
export function fileCycles (files: readonly SourceFile[], runtimeOnly = false): string[][] {
  const edges = new Map<string, string[]>()
  for (const f of files) edges.set(f.path, f.imports.filter((i) => !runtimeOnly || !i.typeOnly).map((i) => i.to))
  return stronglyConnected(edges)
}

/** Cycles among folders (folderOf), counting an import from a folder to another only. */
export function folderCycles (files: readonly SourceFile[], runtimeOnly = false): string[][] {
  const edges = new Map<string, Set<string>>()
  for (const f of files) {
    const from = folderOf(f.path)
    const set = edges.get(from) ?? new Set<string>()
    for (const i of f.imports) {
      if (runtimeOnly && i.typeOnly) continue
      const to = folderOf(i.to)
      // a subfolder reaching its parent's own files is not a cycle of folders (node/x/y → node/z.ts)
      if (to !== from && !(from.startsWith(`${to}/`) || to === from.split('/')[0])) set.add(to)
    }
    edges.set(from, set)
  }
  return stronglyConnected(new Map([...edges].map(([k, v]) => [k, [...v]])))
}

function stronglyConnected (edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0
  const idx = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const on = new Set<string>()
  const out: string[][] = []
  const strong = (v: string): void => {
    idx.set(v, index)
    low.set(v, index)
    index++
    stack.push(v)
    on.add(v)
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue
      if (!idx.has(w)) {
        strong(w)
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number))
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) as number, idx.get(w) as number))
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = []
      for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) {
        on.delete(w)
        comp.push(w)
      }
      if (comp.length > 1) out.push(comp.sort())
    }
  }
  for (const v of edges.keys()) if (!idx.has(v)) strong(v)
  return out
}

/** Imports of another folder's file other than its index.ts. Allowed besides: a top level's own
 * files from its subfolders (node/lifecycle.ts from node/mesh), and node/constants.ts from cli/
 * (a client command does not load the server stack). */
export function sideDoorImports (files: readonly SourceFile[]): Array<{ from: string, to: string }> {
  const out: Array<{ from: string, to: string }> = []
  for (const f of files) {
    const from = folderOf(f.path)
    for (const i of f.imports) {
      const to = folderOf(i.to)
      if (to === from || i.to === `${to}/index.ts` || i.to === `${to}/light.ts`) continue
      const topFile = i.to.split('/').length === 2
      if (topFile && from.startsWith(`${to}/`)) continue
      if (from === 'cli' && i.to === 'node/constants.ts') continue
      out.push({ from: f.path, to: i.to })
    }
  }
  return out
}

/** The files `start` loads when it runs, itself included (relative imports, type-only ones left out). */
export function importClosure (files: readonly SourceFile[], start: string): string[] {
  const byPath = new Map(files.map((f) => [f.path, f]))
  const seen = new Set<string>()
  const walk = (path: string): void => {
    if (seen.has(path)) return
    seen.add(path)
    for (const i of byPath.get(path)?.imports ?? []) if (!i.typeOnly) walk(i.to)
  }
  walk(start)
  return [...seen].sort()
}

/** Files other than index.ts, and whether each has a spec at test/<path>.spec.ts. */
export function mirroredSpecs (root: string, files: readonly SourceFile[]): Array<{ path: string, spec: boolean }> {
  return files
    .filter((f) => !f.path.endsWith('/index.ts'))
    .map((f) => ({ path: f.path, spec: existsSync(join(root, 'test', f.path.replace(/\.ts$/, '.spec.ts'))) }))
}
