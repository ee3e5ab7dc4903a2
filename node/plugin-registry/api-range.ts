/**
 * Semver ranges as npm writes them, for a manifest's `plexi` field: whether the plugin API this
 * node speaks (PLUGIN_API_VERSION) is in the range a plugin says it works with. The grammar is
 * node-semver's: ranges joined by `||`; each a hyphen range (`1.2 - 2.3`) or comparators joined by
 * spaces (`>=1.2.0 <2.0.0`), each an operator (`=`, `<`, `<=`, `>`, `>=`, `~`, `^`, none) and a
 * version that may be partial or hold `x`/`*` (`1`, `1.2.x`, `*`). A version with a pre-release
 * matches only a comparator of the same x.y.z that has one (node-semver's rule).
 */

interface Version {
  readonly major: number
  readonly minor: number
  readonly patch: number
  readonly pre: readonly string[]
}

/** A partial version: `undefined` where it says x, * or nothing. */
interface Partial {
  readonly major?: number
  readonly minor?: number
  readonly patch?: number
  readonly pre: readonly string[]
}

type Test = (v: Version) => boolean

const MAX_RANGE = 256
const PART = '(0|[1-9]\\d{0,8}|[xX*])'
const PARTIAL = new RegExp(`^v?${PART}(?:\\.${PART}(?:\\.${PART}(?:-([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?)?)?$`)
const COMPARATOR = /^(<=|>=|<|>|=|~>?|\^)?\s*(\S+)$/

/** Whether `version` (x.y.z with an optional pre-release) is in `range`; false for a range or a
 * version this grammar does not read. */
export function satisfies (version: string, range: string): boolean {
  const v = parseVersion(version)
  const tests = parseRange(range)
  return v !== undefined && tests !== undefined && tests.some((set) => set.every((t) => t(v)) && preReleaseAllowed(v, set))
}

/** Whether `range` is a range this grammar reads. */
export function isRange (range: string): boolean {
  return parseRange(range) !== undefined
}

type ComparatorSet = Test[] & { bases?: Version[] }

function parseRange (range: string): ComparatorSet[] | undefined {
  if (typeof range !== 'string' || range.length > MAX_RANGE) return undefined
  const sets: ComparatorSet[] = []
  for (const alternative of range.split('||')) {
    const set = parseSet(alternative.trim())
    if (set === undefined) return undefined
    sets.push(set)
  }
  return sets
}

function parseSet (text: string): ComparatorSet | undefined {
  const set: ComparatorSet = []
  set.bases = []
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text)
  if (hyphen !== null) {
    const [from, to] = [parsePartial(hyphen[1] as string), parsePartial(hyphen[2] as string)]
    if (from === undefined || to === undefined) return undefined
    set.push(atLeast(floor(from)), ...(to.major === undefined ? [] : [below(to)]))
    set.bases.push(floor(from), floor(to))
    return set
  }
  // `>= 1.2.3` is one comparator: the operator and its version may be apart
  const words = text === '' ? [] : text.replace(/(<=|>=|<|>|=|~>?|\^)\s+/g, '$1').split(/\s+/)
  for (const word of words) {
    const m = COMPARATOR.exec(word)
    const p = m === null ? undefined : parsePartial(m[2] as string)
    if (m === null || p === undefined) return undefined
    set.push(...comparator(m[1] ?? '', p))
    set.bases.push(floor(p))
  }
  if (set.length === 0) set.push(() => true)
  return set
}

/** One comparator as the bounds it stands for. */
function comparator (op: string, p: Partial): Test[] {
  const { major, minor } = p
  if (major === undefined) return op === '<' || op === '>' ? [() => false] : [() => true]
  switch (op) {
    case '>=': return [atLeast(floor(p))]
    case '<': return [lessThan(floor(p))]
    case '>': return p.patch !== undefined ? [(v) => compare(v, floor(p)) > 0] : [atLeast(next(p))]
    case '<=': return p.patch !== undefined ? [(v) => compare(v, floor(p)) <= 0] : [lessThan(next(p))]
    case '~':
    case '~>':
      return [atLeast(floor(p)), lessThan(minor === undefined ? bump(major + 1) : bump(major, minor + 1))]
    case '^': {
      const upper = major > 0 || minor === undefined
        ? bump(major + 1)
        : minor > 0 || p.patch === undefined ? bump(0, minor + 1) : bump(0, 0, p.patch + 1)
      return [atLeast(floor(p)), lessThan(upper)]
    }
    default:
      return p.patch !== undefined ? [(v) => compare(v, floor(p)) === 0] : [atLeast(floor(p)), lessThan(next(p))]
  }
}

function parsePartial (text: string): Partial | undefined {
  const m = PARTIAL.exec(text)
  if (m === null) return undefined
  const num = (s: string | undefined): number | undefined => (s === undefined || /^[xX*]$/.test(s) ? undefined : Number(s))
  const [major, minor, patch] = [num(m[1]), num(m[2]), num(m[3])]
  // `1.x.3` says nothing of the patch once the minor is any
  if (major === undefined) return { pre: [] }
  if (minor === undefined) return { major, pre: [] }
  return { major, minor, ...(patch !== undefined && { patch }), pre: patch === undefined || m[4] === undefined ? [] : m[4].split('.') }
}

function parseVersion (text: string): Version | undefined {
  const p = parsePartial(text)
  return p?.major === undefined || p.minor === undefined || p.patch === undefined ? undefined : floor(p)
}

/** The lowest version a partial one names (`1.2` → 1.2.0). */
function floor (p: Partial): Version {
  return { major: p.major ?? 0, minor: p.minor ?? 0, patch: p.patch ?? 0, pre: p.pre }
}

/** The first version after every one a partial version names (`1.2` → 1.3.0, `1` → 2.0.0). */
function next (p: Partial): Version {
  if (p.minor === undefined) return bump((p.major ?? 0) + 1)
  return bump(p.major ?? 0, p.minor + 1)
}

function bump (major: number, minor = 0, patch = 0): Version {
  // `<2.0.0` must not let 2.0.0-rc.1 in: the bound is the lowest pre-release of it
  return { major, minor, patch, pre: ['0'] }
}

function atLeast (bound: Version): Test { return (v) => compare(v, bound) >= 0 }
function lessThan (bound: Version): Test { return (v) => compare(v, bound) < 0 }
function below (p: Partial): Test {
  return p.patch !== undefined ? (v) => compare(v, floor(p)) <= 0 : lessThan(next(p))
}

/** A pre-release version matches only where a comparator of its own x.y.z has a pre-release. */
function preReleaseAllowed (v: Version, set: ComparatorSet): boolean {
  if (v.pre.length === 0) return true
  return (set.bases ?? []).some((b) => b.pre.length > 0 && b.major === v.major && b.minor === v.minor && b.patch === v.patch)
}

function compare (a: Version, b: Version): number {
  const main = a.major - b.major || a.minor - b.minor || a.patch - b.patch
  if (main !== 0) return Math.sign(main)
  if (a.pre.length === 0 || b.pre.length === 0) return b.pre.length - a.pre.length === 0 ? 0 : a.pre.length === 0 ? 1 : -1
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const [x, y] = [a.pre[i], b.pre[i]]
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1
    if (x === y) continue
    const [nx, ny] = [/^\d+$/.test(x), /^\d+$/.test(y)]
    if (nx && ny) return Math.sign(Number(x) - Number(y))
    if (nx !== ny) return nx ? -1 : 1
    return x < y ? -1 : 1
  }
  return 0
}
