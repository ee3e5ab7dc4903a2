/**
 * Per partition, the storage nodes that were its replicas under an earlier roster of this node and
 * may still hold records of it that its current replicas lack (docs/replication.md, "Former
 * holders"). A partition's record is **unknown** when this node cannot say (a data dir whose roster
 * an older version kept, or a saved record that does not read): owners then fence every live
 * storage node, as before the record existed.
 *
 * Plain data, never mutated in place by its readers: the roster changes it and keeps it in the data
 * dir beside itself.
 */
export class FormerHolders {
  readonly #partitions: number
  /** partition → its former holders; a partition absent here is unknown. */
  readonly #known = new Map<number, Set<string>>()

  private constructor (partitions: number) {
    this.#partitions = partitions
  }

  /** A record that knows every partition, with no former holders: a roster that starts empty (a
   * new data dir) has seen every replica set it will record. */
  static empty (partitions: number): FormerHolders {
    const record = new FormerHolders(partitions)
    for (let p = 0; p < partitions; p++) record.#known.set(p, new Set())
    return record
  }

  /** A record that knows no partition (a roster kept by an older version: fall back everywhere). */
  static unknown (partitions: number): FormerHolders {
    return new FormerHolders(partitions)
  }

  /** Reads a saved record; one that is not a record of `partitions` partitions (damaged, or kept
   * under another partition count) is thrown out whole with a RangeError that says why. */
  static parse (bytes: Uint8Array, partitions: number): FormerHolders {
    let saved: unknown
    try {
      saved = JSON.parse(new TextDecoder().decode(bytes))
    } catch (err) {
      throw new RangeError(`the former holders' record is not JSON: ${(err as Error).message}`)
    }
    const s = saved as { v?: unknown, partitions?: unknown, known?: unknown }
    if (typeof saved !== 'object' || saved === null || s.v !== 1) throw new RangeError('the former holders\' record is not of version 1')
    if (s.partitions !== partitions) throw new RangeError(`the former holders' record is of ${String(s.partitions)} partitions, expected ${partitions}`)
    if (typeof s.known !== 'object' || s.known === null || Array.isArray(s.known)) throw new RangeError('the former holders\' record has no partitions object')
    const record = new FormerHolders(partitions)
    for (const [key, nodes] of Object.entries(s.known)) {
      const p = Number(key)
      if (!Number.isInteger(p) || p < 0 || p >= partitions || String(p) !== key) throw new RangeError(`the former holders' record names partition ${key}, expected 0 to ${partitions - 1}`)
      if (!Array.isArray(nodes) || !nodes.every((n) => typeof n === 'string' && n.length > 0)) throw new RangeError(`the former holders' record of partition ${key} is not a list of peer ids`)
      record.#known.set(p, new Set(nodes as string[]))
    }
    return record
  }

  get partitions (): number { return this.#partitions }

  /** The former holders of a partition, sorted; undefined: unknown (fall back). */
  of (partition: number): string[] | undefined {
    const nodes = this.#known.get(partition)
    return nodes === undefined ? undefined : [...nodes].sort()
  }

  /** A roster change: the nodes that were replicas of `partition` and are not now become former
   * holders of it; its replicas now are not (they are fenced as replicas). Returns whether the
   * record changed. An unknown partition stays unknown. */
  moved (partition: number, before: readonly string[], after: readonly string[]): boolean {
    const nodes = this.#known.get(partition)
    if (nodes === undefined) return false
    let changed = false
    for (const n of before) {
      if (!after.includes(n) && !nodes.has(n)) {
        nodes.add(n)
        changed = true
      }
    }
    for (const n of after) changed = nodes.delete(n) || changed
    return changed
  }

  /** Every replica of the partition was found whole (an activation's fence had a promise from each,
   * none still catching up): what these former holders held is on every current replica. An
   * unknown partition stays unknown: a data dir of an older version may have been counted whole
   * without pulling (catch-up's upgrade), and a journal left on a node that is no replica (an
   * upgrade from plexi-store/1) moves only at its entity's next activation. Returns whether the
   * record changed. */
  release (partition: number, released: readonly string[]): boolean {
    const nodes = this.#known.get(partition)
    if (nodes === undefined) return false
    let changed = false
    for (const n of released) changed = nodes.delete(n) || changed
    return changed
  }

  /** A node gone from the roster for good (it handed everything off): no longer a former holder of
   * anything. Returns whether the record changed. */
  forget (peerId: string): boolean {
    let changed = false
    for (const nodes of this.#known.values()) changed = nodes.delete(peerId) || changed
    return changed
  }

  /** What the data dir keeps: only the partitions known, and of them only those with former holders
   * are listed with any. */
  serialize (): Uint8Array {
    const known: Record<string, string[]> = {}
    for (const [p, nodes] of this.#known) known[String(p)] = [...nodes].sort()
    return new TextEncoder().encode(JSON.stringify({ v: 1, partitions: this.#partitions, known }))
  }
}
