/**
 * The roster journal in the simulation (docs/replication.md, "Roster versions";
 * node/replication/roster-journal): 4-7 nodes, each with its replica on the world's disk, keepers
 * (RosterKeeper, the production code) opened at random on any node, several at once (placement
 * that disagrees), each proposing changes (joins, leaves, replacements, capacities, a node back or
 * forgotten) on the latest version it holds, sometimes on an older one, half of them on the node
 * furthest behind; crashes, silent partitions both ways and one way, lost messages. A node applies
 * what its keepers tell it, in order, and keeps it across crashes; the others hear of each version
 * at once, late, or not during the run. Checked: every node applies version v as the same roster (no two
 * versions of one number anywhere, each what its change makes of the one before), in order; every
 * version a proposal was told was made is in the final journal, as made; and after the faults a
 * keeper takes the journal and reads it whole.
 */
import { RosterKeeper, checkRosterVersion, firstVersion, journalSet, sameVersion } from '../../node/replication/index.ts'
import type { RosterChange, RosterVersion } from '../../node/replication/index.ts'
import { isSuperseded } from '../../actors/index.ts'
import { SimWorld } from './sim-world.ts'

export interface RosterSimOptions {
  readonly durationMs?: number
  readonly log?: (line: string) => void
  /** A flaw only to show that the checks catch it: requests reach replicas without their version
   * (no replica stores one or refuses a keeper under an older one). */
  readonly fault?: 'no-versions'
}

export interface RosterSimResult {
  readonly seed: number
  readonly violations: string[]
  readonly stats: { nodes: number, keepers: number, proposed: number, made: number, refused: number, failed: number, crashes: number, partitions: number, versions: number }
}

export async function runRosterSeed (seed: number, options: RosterSimOptions = {}): Promise<RosterSimResult> {
  const violations: string[] = []
  const stats = { nodes: 0, keepers: 0, proposed: 0, made: 0, refused: 0, failed: 0, crashes: 0, partitions: 0, versions: 0 }
  try {
    await simulate(seed, options, violations, stats)
  } catch (err) {
    violations.push(`the run threw: ${(err as Error).stack ?? String(err)}`)
  }
  return { seed, violations, stats }
}

async function simulate (seed: number, options: RosterSimOptions, violations: string[], stats: RosterSimResult['stats']): Promise<void> {
  const world = new SimWorld(seed)
  const rnd = world.random
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T
  const say = options.log === undefined ? () => {} : (line: string): void => { options.log?.(`t=${world.now.toFixed(1)} ${line}`) }
  const violate = (what: string): void => {
    violations.push(`t=${world.now.toFixed(1)} ${what}`)
    say(`VIOLATION ${what}`)
  }
  const duration = options.durationMs ?? 6000
  const names = Array.from({ length: 4 + Math.floor(rnd() * 6) }, (_, i) => `n${i + 1}`)
  stats.nodes = names.length
  for (const n of names) world.addNode(n)
  world.faults.drop = pick([0, 0, 0.02, 0.1])
  world.faults.crashAfterReply = pick([0, 0, 0.01])
  if (options.fault === 'no-versions') world.versionsStripped = true

  // what each node applied (kept across its crashes), and every version anyone applied or made
  const applied = new Map<string, RosterVersion[]>(names.map((n) => [n, []]))
  const agreed = new Map<number, RosterVersion>()
  const made = new Map<number, RosterVersion>()
  const agree = (where: string, v: RosterVersion): void => {
    const known = agreed.get(v.version)
    if (known === undefined) agreed.set(v.version, v)
    else if (!sameVersion(known, v)) violate(`two versions ${v.version}: ${JSON.stringify(known.members)} and ${JSON.stringify(v.members)} (${where})`)
  }
  // eslint-disable-next-line prefer-const
  let hear: (node: string, upTo: number) => void
  const apply = (node: string, v: RosterVersion): void => {
    const mine = applied.get(node) as RosterVersion[]
    const last = mine[mine.length - 1]
    // (two keepers of one node may both tell it a version: the second must be the same)
    const had = mine[v.version - 1]
    if (had !== undefined) {
      if (!sameVersion(had, v)) violate(`${node} told version ${v.version} as ${JSON.stringify(v.members)}, it applied ${JSON.stringify(had.members)}`)
      return
    }
    if (v.version !== (last?.version ?? 0) + 1) { violate(`${node} told version ${v.version} after ${last?.version ?? 'none'}`); return }
    try {
      checkRosterVersion(v, last)
    } catch (err) {
      violate(`${node} applied a version that is not what its change makes of the one before: ${(err as Error).message}`)
    }
    agree(`applied on ${node}`, v)
    mine.push(v)
    // the other nodes hear of it (in production, from the keeper's feed and the member records):
    // half at once, some late, a fifth not during the run
    for (const other of names) {
      if (other === node) continue
      const r = rnd()
      if (r < 0.8) world.at(r < 0.5 ? 1 + rnd() * 20 : 20 + rnd() * 1000, () => { if (world.node(other).up) hear(other, v.version) })
    }
  }
  /** A node hears that version `upTo` exists: it applies the versions up to it, in order. */
  hear = (node: string, upTo: number): void => {
    const mine = applied.get(node) as RosterVersion[]
    for (let n = mine.length + 1; n <= upTo; n++) {
      const v = agreed.get(n)
      if (v === undefined) return
      apply(node, v)
    }
  }

  let keeperN = 0
  const open = async (node: string, form: boolean): Promise<RosterKeeper | undefined> => {
    const id = `k${++keeperN}`
    stats.keepers++
    const generation = world.node(node).generation
    try {
      const mine = applied.get(node) as RosterVersion[]
      const keeper = await RosterKeeper.open({
        env: world.ownerEnv(node),
        self: node,
        applied: mine.slice(-2),
        ...(form && mine.length === 0 && { form: [{ peerId: node, capacity: 1 }] }),
        activation: `${id}@${node}`,
        onVersion: (v) => { if (world.node(node).generation === generation) apply(node, v) },
        appendTimeoutMs: 1_500
      })
      say(`${id} on ${node} holds the roster journal at version ${keeper.head.version} (${journalSet(keeper.head).join(',')})`)
      return keeper
    } catch (err) {
      const why = `${(err as Error).name}: ${(err as Error).message}`
      // (a journal that lacks a version its node applied, or holds another: the keeper refuses it)
      if (/this node applied/.test(why)) violate(`${id} on ${node}: ${(err as Error).message}`)
      say(`${id} on ${node} could not take the roster journal: ${why}`)
      return undefined
    }
  }
  const changeFor = (head: RosterVersion): RosterChange => {
    const members = head.members
    const outside = names.filter((n) => !members.some((m) => m.peerId === n))
    const r = rnd()
    if (outside.length > 0 && (r < 0.5 || members.length < 2)) return { kind: 'join', peerId: pick(outside), capacity: 1 + Math.floor(rnd() * 3) }
    const m = pick(members)
    if (r < 0.6) return { kind: 'capacity', peerId: m.peerId, capacity: 1 + Math.floor(rnd() * 3) }
    if (r < 0.7) return { kind: 'leave', peerId: m.peerId }
    if (r < 0.8) return { kind: 'replace', peerId: m.peerId }
    if (r < 0.9) return { kind: 'back', peerId: m.peerId }
    return { kind: 'forget', peerId: m.peerId }
  }
  // (after the faults no keeper proposes any more, and one that took the journal late lets it go:
  // the final keeper is then the only one)
  let stopping = false
  const work = async (node: string, keeper: RosterKeeper): Promise<void> => {
    for (let i = 0; i < 1 + Math.floor(rnd() * 4) && keeper.failed === undefined && !stopping; i++) {
      const head = keeper.head
      const base = rnd() < 0.15 && head.version > 1 ? head.version - 1 : head.version
      const change = changeFor(head)
      stats.proposed++
      try {
        const outcome = await keeper.propose(base, change)
        if (outcome.ok) {
          stats.made++
          agree(`made on ${node}`, outcome.version)
          made.set(outcome.version.version, outcome.version)
          say(`${node} made version ${outcome.version.version}: ${change.kind} ${'peerId' in change ? change.peerId : ''}`)
        } else {
          stats.refused++
        }
      } catch (err) {
        stats.failed++
        say(`${node}'s proposal ${change.kind} failed: ${(err as Error).name}`)
      }
    }
    keeper.close()
  }

  // the first node forms the roster (and, until a version is applied, tries again); keepers at
  // random on any node, several at once; faults
  world.at(0, () => { void open('n1', true).then((k) => { k?.close() }) })
  for (let t = 10; t < duration; t += 20 + rnd() * 200) {
    world.at(t, () => {
      // (half of them on a node that applied the fewest versions: keepers behind, as a node that
      // was away long is when placement gives it the roster journal)
      const behind = [...names].filter((n) => (applied.get(n)?.length ?? 0) > 0).sort((a, b) => (applied.get(a)?.length ?? 0) - (applied.get(b)?.length ?? 0))[0]
      const node = rnd() < 0.5 && behind !== undefined ? behind : pick(names)
      if (!world.node(node).up || (applied.get(node)?.length === 0 && node !== 'n1')) return
      void open(node, node === 'n1').then(async (k) => { if (k !== undefined) await work(node, k) })
    })
  }
  for (let t = 100; t < duration; t += 200 + rnd() * 800) {
    world.at(t, () => {
      const r = rnd()
      if (r < 0.4) {
        const n = pick(names)
        if (!world.node(n).up) return
        stats.crashes++
        say(`crash ${n}`)
        world.crash(n)
        world.at(50 + rnd() * 1200, () => { world.restart(n) })
      } else if (r < 0.8) {
        const side = names.filter(() => rnd() < 0.5)
        const other = names.filter((n) => !side.includes(n))
        if (side.length === 0 || other.length === 0) return
        stats.partitions++
        const oneWay = rnd() < 0.3
        say(`partition ${side.join(',')} | ${other.join(',')}${oneWay ? ' (one way)' : ''}`)
        world.partition(side, other, oneWay)
        world.at(100 + rnd() * 1000, () => { world.heal() })
      }
    })
  }
  await world.run(duration + 3_000)
  stopping = true
  // after the faults: every node up, nothing cut, nothing lost; a keeper reads the journal whole
  world.heal()
  world.faults.drop = 0
  world.faults.crashAfterReply = 0
  for (const n of names) world.restart(n)
  const byLength = [...names].sort((a, b) => (applied.get(b)?.length ?? 0) - (applied.get(a)?.length ?? 0))
  // (a keeper whose take was still on its way when the faults ended may take the journal after the
  // final one did: that one is superseded and another is opened, as RosterService does)
  let versions: RosterVersion[] | undefined
  let opened = false
  for (let attempt = 0; attempt < 10 && versions === undefined; attempt++) {
    const node = byLength[attempt % byLength.length] as string
    const opening = open(node, false)
    await world.run(world.now + 10_000)
    const final = await Promise.race([opening, Promise.resolve(undefined)])
    if (final === undefined) continue
    opened = true
    const all = final.entries(1).catch((err: unknown) => { if (isSuperseded(err)) return undefined; throw err })
    await world.run(world.now + 10_000)
    versions = await Promise.race([all, Promise.resolve(undefined)])
    final.close()
  }
  if (!opened) {
    if (agreed.size > 0) violate('no keeper took the roster journal after the faults')
    return
  }
  if (versions === undefined) { violate('no final keeper read the journal'); return }
  stats.versions = versions.length
  versions.forEach((v, i) => { if (v.version !== i + 1) violate(`the final journal has version ${v.version} at place ${i + 1}`) })
  for (const v of versions) agree('the final journal', v)
  for (const [n, v] of made) {
    const got = versions[n - 1]
    if (got === undefined || !sameVersion(got, v)) violate(`version ${n}, made, is not in the final journal as made (it has ${got === undefined ? 'nothing' : JSON.stringify(got.members)})`)
  }
  for (const [n, v] of agreed) {
    const got = versions[n - 1]
    if (got === undefined || !sameVersion(got, v)) violate(`version ${n}, applied somewhere, is not in the final journal as applied`)
  }
  if (versions.length > 0 && !sameVersion(versions[0] as RosterVersion, firstVersion([{ peerId: 'n1', capacity: 1 }]))) violate('version 1 is not the roster n1 formed')
}
