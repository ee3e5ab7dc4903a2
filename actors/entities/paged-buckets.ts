/**
 * A large map of names kept as an immutable value that an event changes in constant time: the
 * entries in PAGES pages of PAGE_BUCKETS buckets, by a hash of the name, each bucket a small record
 * (a few entries at 100,000). A change copies one bucket, its page and the page list, a few hundred
 * references whatever the size, so the 100,000th entry costs what the first did; copying one flat
 * record per event made a directory's events cost as many entries as it held (10,000 rooms: 150
 * registrations a second, docs/performance.md). The user and room directories keep their state so.
 */
export interface PagedBuckets<T> {
  readonly pages: ReadonlyArray<ReadonlyArray<Readonly<Record<string, T>>>>
  readonly count: number
}

export const PAGES = 128
export const PAGE_BUCKETS = 128

const EMPTY: Readonly<Record<string, never>> = Object.freeze({})

export function emptyBuckets<T> (): PagedBuckets<T> {
  const page = Array.from({ length: PAGE_BUCKETS }, () => ({}))
  return { pages: Array.from({ length: PAGES }, () => page), count: 0 }
}

/** Whether `state` has the paged shape (a directory's older snapshots have another). */
export function isPaged<T> (state: unknown): state is PagedBuckets<T> {
  return Array.isArray((state as PagedBuckets<T> | undefined)?.pages)
}

/** The buckets built from `entries` (an older state's, once, on its first use). */
export function bucketsOf<T> (entries: Iterable<readonly [string, T]>): PagedBuckets<T> {
  let s = emptyBuckets<T>()
  for (const [name, value] of entries) s = withEntry(s, name, value)
  return s
}

export function entryOf<T> (state: PagedBuckets<T>, name: string): T | undefined {
  const bucket = bucketOf(state, name)
  return Object.hasOwn(bucket, name) ? bucket[name] : undefined
}

/** `state` with `name` set to `value` (added, or replaced). */
export function withEntry<T> (state: PagedBuckets<T>, name: string, value: T): PagedBuckets<T> {
  const bucket = bucketOf(state, name)
  return withBucket(state, name, { ...bucket, [name]: value }, Object.hasOwn(bucket, name) ? 0 : 1)
}

/** `state` without `name` (the same value when it has none). */
export function withoutEntry<T> (state: PagedBuckets<T>, name: string): PagedBuckets<T> {
  const bucket = bucketOf(state, name)
  if (!Object.hasOwn(bucket, name)) return state
  const { [name]: _removed, ...rest } = bucket
  return withBucket(state, name, rest, -1)
}

/** The first entry, in no particular order, that `match` takes; undefined when none does (a scan). */
export function findEntry<T> (state: PagedBuckets<T>, match: (value: T, name: string) => boolean): [string, T] | undefined {
  for (const page of state.pages) {
    for (const bucket of page) {
      for (const name in bucket) {
        if (Object.hasOwn(bucket, name) && match(bucket[name] as T, name)) return [name, bucket[name] as T]
      }
    }
  }
  return undefined
}

/** Every entry, in no particular order. */
export function * entriesOf<T> (state: PagedBuckets<T>): Generator<[string, T]> {
  for (const page of state.pages) for (const bucket of page) for (const name in bucket) if (Object.hasOwn(bucket, name)) yield [name, bucket[name] as T]
}

/** FNV-1a of the name: cheap, stable, and spread well enough over the buckets. */
function bucketIndex (name: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193)
  return (h >>> 0) % (PAGES * PAGE_BUCKETS)
}

function bucketOf<T> (state: PagedBuckets<T>, name: string): Readonly<Record<string, T>> {
  const i = bucketIndex(name)
  return state.pages[Math.floor(i / PAGE_BUCKETS)]?.[i % PAGE_BUCKETS] ?? EMPTY
}

function withBucket<T> (state: PagedBuckets<T>, name: string, bucket: Readonly<Record<string, T>>, delta: number): PagedBuckets<T> {
  const i = bucketIndex(name)
  const p = Math.floor(i / PAGE_BUCKETS)
  const page = (state.pages[p] ?? []).slice()
  page[i % PAGE_BUCKETS] = bucket
  const pages = state.pages.slice()
  pages[p] = page
  return { pages, count: state.count + delta }
}
