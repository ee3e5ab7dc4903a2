/**
 * Semantic versions and the ranges plugin manifests name (`"plexi": "^1.0.0"`): the part of npm's
 * grammar a manifest needs, with no dependency. A version is `x.y.z` with an optional pre-release
 * (`1.2.0-beta.1`) and build (`+sha.5`, ignored in comparisons). A range is one or more sets
 * joined by `||`; a set is comparators joined by spaces, each `=`, `>`, `>=`, `<`, `<=` and a
 * version, or a caret (`^1.2.3`), a tilde (`~1.2.3`), an x-range (`1.x`, `1.2.*`, `*`) or a
 * hyphen range (`1.0.0 - 2.0.0`). Unlike npm, a pre-release version is compared by precedence
 * only (npm also keeps pre-releases out of ranges that do not name one of the same x.y.z).
 */

const NUM = '0|[1-9]\\d{0,15}'
const IDENT = '[0-9A-Za-z-]+'
const VERSION = new RegExp(`^(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+${IDENT}(?:\\.${IDENT})*)?$`)
/** A partial version of an x-range: `1`, `1.2`, `1.x`, `1.2.*`, `*`. */
const PARTIAL = new RegExp(`^(?:(${NUM}|[xX*])(?:\\.(${NUM}|[xX*])(?:\\.(${NUM}|[xX*])(?:-(${IDENT}(?:\\.${IDENT})*))?)?)?)$`)
/** A range's most characters: a manifest names short ranges. */
const MAX_RANGE = 256
const MAX_VERSION = 64

export interface Semver {
  readonly major: number
  readonly minor: number
  readonly patch: number
  /** Dot-separated identifiers; empty for a release. */
  readonly pre: readonly string[]
}

type Op = '=' | '>' | '>=' | '<' | '<='
interface Comparator { readonly op: Op, readonly v: Semver }

/** The version `text` is, or undefined when it is not semver. */
export function parseSemver (text: unknown): Semver | undefined {
  if (typeof text !== 'string' || text.length > MAX_VERSION) return undefined
  const m = VERSION.exec(text)
  if (m === null) return undefined
  const [major, minor, patch] = [m[1], m[2], m[3]].map(Number) as [number, number, number]
  if (![major, minor, patch].every(Number.isSafeInteger)) return undefined
  return { major, minor, patch, pre: m[4] === undefined ? [] : m[4].split('.') }
}

export function isSemver (text: unknown): text is string {
  return parseSemver(text) !== undefined
}

/** Precedence: negative when a < b, 0 when equal (build ignored), positive when a > b. */
export function compareSemver (a: Semver, b: Semver): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch
  if (core !== 0) return core
  if (a.pre.length === 0 || b.pre.length === 0) return b.pre.length - a.pre.length
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i] as string
    const y = b.pre[i] as string
    if (x === y) continue
    const xn = /^\d+$/.test(x)
    const yn = /^\d+$/.test(y)
    if (xn && yn) return Number(x) - Number(y)
    if (xn !== yn) return xn ? -1 : 1
    return x < y ? -1 : 1
  }
  return a.pre.length - b.pre.length
}

/** The range `text` is, as sets of comparators (any set matching is a match), or undefined when
 * it is not a range. */
export function parseSemverRange (text: unknown): ReadonlyArray<readonly Comparator[]> | undefined {
  if (typeof text !== 'string' || text.length > MAX_RANGE) return undefined
  const sets: Comparator[][] = []
  for (const part of text.split('||')) {
    const set = parseSet(part.trim())
    if (set === undefined) return undefined
    sets.push(set)
  }
  return sets
}

export function isSemverRange (text: unknown): text is string {
  return parseSemverRange(text) !== undefined
}

/** Whether `version` is in `range` (false when either does not parse). */
export function satisfiesRange (version: string, range: string): boolean {
  const v = parseSemver(version)
  const sets = parseSemverRange(range)
  if (v === undefined || sets === undefined) return false
  return sets.some((set) => set.every((c) => test(c, v)))
}

function test (c: Comparator, v: Semver): boolean {
  const d = compareSemver(v, c.v)
  switch (c.op) {
    case '=': return d === 0
    case '>': return d > 0
    case '>=': return d >= 0
    case '<': return d < 0
    case '<=': return d <= 0
  }
}

function parseSet (text: string): Comparator[] | undefined {
  if (text === '') return [] // npm reads an empty set as `*`
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text)
  if (hyphen !== null) {
    const low = xRange(hyphen[1] as string, '>=')
    const high = xRange(hyphen[2] as string, '<=')
    return low === undefined || high === undefined ? undefined : [...low, ...high]
  }
  const out: Comparator[] = []
  for (const word of text.split(/\s+/)) {
    const cs = comparators(word)
    if (cs === undefined) return undefined
    out.push(...cs)
  }
  return out
}

function comparators (word: string): Comparator[] | undefined {
  const m = /^(\^|~|>=|<=|>|<|=)?(.+)$/.exec(word)
  if (m === null) return undefined
  const op = m[1] ?? ''
  const rest = m[2] as string
  if (op === '^' || op === '~') return bounded(rest, op)
  return xRange(rest, op === '' ? '=' : op as Op)
}

interface Partial { readonly parts: ReadonlyArray<number | undefined>, readonly pre: readonly string[] }

function partial (text: string): Partial | undefined {
  const m = PARTIAL.exec(text.replace(/^v/, ''))
  if (m === null) return undefined
  const parts: Array<number | undefined> = []
  for (const p of [m[1], m[2], m[3]]) {
    if (p === undefined || /^[xX*]$/.test(p)) break
    parts.push(Number(p))
  }
  // `1.x.3` is not a range: once a part is wild, the rest are too
  if ([m[1], m[2], m[3]].slice(parts.length).some((p) => p !== undefined && !/^[xX*]$/.test(p))) return undefined
  return { parts, pre: parts.length === 3 && m[4] !== undefined ? m[4].split('.') : [] }
}

const v3 = (major: number, minor: number, patch: number, pre: readonly string[] = []): Semver => ({ major, minor, patch, pre })

/** An x-range under an operator: `1.2` with `=` is `>=1.2.0 <1.3.0-0`, with `<` is `<1.2.0`. */
function xRange (text: string, op: Op): Comparator[] | undefined {
  const p = partial(text)
  if (p === undefined) return undefined
  const [major, minor, patch] = p.parts
  if (major === undefined) return op === '<' || op === '>' ? [{ op: '<', v: v3(0, 0, 0, ['0']) }] : []
  if (patch !== undefined) return [{ op, v: v3(major, minor as number, patch, p.pre) }]
  const low = v3(major, minor ?? 0, 0)
  const high = minor === undefined ? v3(major + 1, 0, 0, ['0']) : v3(major, minor + 1, 0, ['0'])
  switch (op) {
    case '=': return [{ op: '>=', v: low }, { op: '<', v: high }]
    case '>': return [{ op: '>=', v: high }]
    case '>=': return [{ op: '>=', v: low }]
    case '<': return [{ op: '<', v: low }]
    case '<=': return [{ op: '<', v: high }]
  }
}

/** `^` allows changes that do not modify the left-most non-zero part; `~` allows patch changes
 * (minor ones when only the major is given). */
function bounded (text: string, op: '^' | '~'): Comparator[] | undefined {
  const p = partial(text)
  if (p === undefined) return undefined
  const [major, minor, patch] = p.parts
  if (major === undefined) return []
  const low = v3(major, minor ?? 0, patch ?? 0, p.pre)
  let high: Semver
  if (op === '~') high = minor === undefined ? v3(major + 1, 0, 0, ['0']) : v3(major, minor + 1, 0, ['0'])
  else if (major > 0 || minor === undefined) high = v3(major + 1, 0, 0, ['0'])
  else if (minor > 0 || patch === undefined) high = v3(0, minor + 1, 0, ['0'])
  else high = v3(0, 0, patch + 1, ['0'])
  return [{ op: '>=', v: low }, { op: '<', v: high }]
}
