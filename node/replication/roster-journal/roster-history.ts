import type { LevelStore } from '../../storage/index.ts'
import { checkRosterVersion, sameVersion } from './roster-entry.ts'
import type { RosterVersion } from './roster-entry.ts'

const HISTORY_KEY = 'm\x00roster-versions'

type HistoryLog = { warn (obj: object, msg: string): void }

/** What `apply` did with a version: applied it now, or had applied it before. */
export type Applied = 'applied' | 'known'

/**
 * The roster versions this node applied (docs/replication.md, "Roster versions"), kept in its data
 * dir: the latest and the one before it (a keeper fences that one's set too). Versions are applied
 * in order, each checked against the one before it, and each is on disk before `apply` resolves and
 * before anyone is told of it, so that nothing is planned under a version a restart would forget.
 * One told again is compared with what was applied: another version of the same number is refused
 * (a fork: RangeError), never applied.
 */
export class RosterHistory {
  readonly #store: LevelStore
  #versions: RosterVersion[]
  #turn: Promise<unknown> = Promise.resolve()
  readonly #listeners = new Set<(v: RosterVersion) => void>()

  private constructor (store: LevelStore, versions: RosterVersion[]) {
    this.#store = store
    this.#versions = versions
  }

  /** Reads what the data dir keeps; a record that does not read is dropped with the reason in the
   * log: the node then knows no version and reads them again from the roster journal (a keeper
   * under an older one is refused and reads on), which is safe, only slower. */
  static async open (store: LevelStore, log?: HistoryLog): Promise<RosterHistory> {
    const bytes = await store.get(HISTORY_KEY)
    let versions: RosterVersion[] = []
    if (bytes !== undefined) {
      try {
        versions = parseHistory(bytes)
      } catch (err) {
        log?.warn({ err }, `the roster versions kept in the data dir do not read (${(err as Error).message}): this node reads them again from the roster journal`)
      }
    }
    return new RosterHistory(store, versions)
  }

  /** The latest version applied (undefined: none yet). */
  get latest (): RosterVersion | undefined { return this.#versions[this.#versions.length - 1] }

  /** The latest version and the one before it, in order (what a keeper on this node takes under). */
  get applied (): readonly RosterVersion[] { return this.#versions }

  /** Told of each version once it is applied and on disk. Returns a function that stops it. */
  onApplied (listener: (v: RosterVersion) => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  /**
   * Applies the next version: `latest + 1` (or 1, with none yet), exactly what its change makes of
   * the latest. One applied before is 'known' when it is the same, a RangeError when it is not; one
   * further on than the next is a RangeError (the versions between are read first).
   */
  apply (v: RosterVersion): Promise<Applied> {
    const run = this.#turn.then(async () => await this.#apply(v))
    this.#turn = run.catch(() => {})
    return run
  }

  /**
   * A node that applied no version yet takes the latest ones a member applied (in order, each
   * checked against the one before: the member checked the chain behind them); one that applied
   * some applies these in order as `apply` does.
   */
  adopt (versions: readonly RosterVersion[]): Promise<void> {
    const run = this.#turn.then(async () => {
      if (this.#versions.length > 0) {
        for (const v of versions) await this.#apply(v)
        return
      }
      const checked: RosterVersion[] = []
      for (const v of versions) checked.push(checkRosterVersion(v, checked[checked.length - 1]))
      if (checked.length === 0) return
      const next = checked.slice(-2)
      await this.#store.write([{ type: 'put', key: HISTORY_KEY, value: new TextEncoder().encode(JSON.stringify(next)) }])
      this.#versions = next
      for (const v of checked) for (const listener of this.#listeners) listener(v)
    })
    this.#turn = run.catch(() => {})
    return run
  }

  async #apply (v: RosterVersion): Promise<Applied> {
    const latest = this.latest
    const had = this.#versions.find((x) => x.version === v.version)
    if (had !== undefined || (latest !== undefined && v.version < latest.version)) {
      if (had === undefined) return 'known'
      if (!sameVersion(had, v)) throw new RangeError(`roster version ${v.version} told here is not the one this node applied`)
      return 'known'
    }
    if (v.version !== (latest?.version ?? 0) + 1) throw new RangeError(`roster version ${v.version} told here, after version ${latest?.version ?? 'none'}: the versions between are read first`)
    const checked = checkRosterVersion(v, latest)
    const next = [...this.#versions, checked].slice(-2)
    await this.#store.write([{ type: 'put', key: HISTORY_KEY, value: new TextEncoder().encode(JSON.stringify(next)) }])
    this.#versions = next
    for (const listener of this.#listeners) listener(checked)
    return 'applied'
  }
}

function parseHistory (bytes: Uint8Array): RosterVersion[] {
  const value = JSON.parse(new TextDecoder().decode(bytes)) as unknown
  if (!Array.isArray(value) || value.length > 2) throw new RangeError('expected the last two versions at most')
  const versions: RosterVersion[] = []
  for (const v of value as unknown[]) versions.push(checkRosterVersion(v, versions[versions.length - 1]))
  return versions
}
