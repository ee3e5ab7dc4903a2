/**
 * What an activation fences (issue 41 item 2, docs/replication.md "Former holders"), in-process:
 * N storage nodes, each with its own LevelDB, replicas and roster, the rosters growing one node at
 * a time as a cluster forms; then owners on random nodes take entities never used, and the fences
 * the other nodes' replicas answered are counted per activation (each is a mesh request and its
 * answer on a real cluster). Ours: the rosters record former holders (the replicas, the node ranked
 * next, and former holders until a partition's replicas are found whole). Baseline: the rosters know
 * none, so every owner fences every storage node (the rule before), same nodes, same entities.
 * Knobs: BENCH_FENCE_SIZES (5,30), BENCH_FENCE_ACTIVATIONS (64 per size and side).
 */
import { LevelReplicaStorage, LevelStore, NARROW_FENCES, ReplicatedJournal, StorageRoster } from '../node/index.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { envNumber, figure } from './figure.ts'
import type { Bench, Figure } from './figure.ts'

/** Fences answered by other nodes per activation: the first activations of fresh partitions, and
 * the same entities' partitions once found whole (a second entity of each). */
async function fencesPerActivation (n: number, activations: number, recorded: boolean): Promise<{ cold: number, settled: number }> {
  const names = Array.from({ length: n }, (_, i) => `node-${String(i).padStart(2, '0')}`)
  const dirs = await Promise.all(names.map(() => tempDir('plexi-bench-fences-')))
  const stores = await Promise.all(dirs.map((d) => LevelStore.open(d.path)))
  try {
    const storages = await Promise.all(stores.map((s) => LevelReplicaStorage.open(s)))
    const member = (peerId: string): { peerId: string, roles: string[], capacity: number } => ({ peerId, roles: ['storage'], capacity: 1 })
    const journals = new Map<string, ReplicatedJournal>()
    const fromOthers = new Map<string, number>(names.map((x) => [x, 0]))
    for (const [i, self] of names.entries()) {
      const storage = storages[i] as LevelReplicaStorage
      const roster = await StorageRoster.open(stores[i] as LevelStore, member(self), undefined, { partitions: storage.partitions, replicationFactor: 3 })
      // the cluster forms: each node hears the others one after another
      for (const other of names) roster.update([member(other)])
      journals.set(self, new ReplicatedJournal({
        self,
        storage,
        roster: () => roster.placement(3),
        known: () => roster.known(),
        ...(recorded && { formerHolders: (p: number) => roster.formerHolders(p), settled: (p: number, released: readonly string[]) => { roster.settled(p, released) } }),
        remote: async (node, partition, request) => {
          if (request.op === 'fence') fromOthers.set(node, (fromOthers.get(node) ?? 0) + 1)
          return await (journals.get(node) as ReplicatedJournal).core(partition).handle(request)
        }
      }))
    }
    const total = (): number => [...fromOthers.values()].reduce((a, b) => a + b, 0)
    const round = async (tag: string): Promise<number> => {
      const before = total()
      for (let i = 0; i < activations; i++) {
        const owner = journals.get(names[(i * 7) % n] as string) as ReplicatedJournal
        const log = await owner.open(`room/fences-${tag}-${i}`)
        await log.append([{ seq: log.head + 1, event: { text: 'first' } }])
        log.close()
      }
      return (total() - before) / activations
    }
    const cold = await round('a')
    // the same entities again: their partitions were found whole
    const settled = await round('a')
    return { cold, settled }
  } finally {
    for (const s of stores) await s.close()
    for (const d of dirs) await d.remove()
  }
}

export const activationFencesBench: Bench = {
  name: 'activation-fences',
  description: 'issue 41: fences per activation on 5 and 30 storage nodes (in-process, real LevelDB), former holders recorded against every storage node fenced',
  async run (log) {
    const sizes = (process.env.BENCH_FENCE_SIZES ?? '5,30').split(',').map(Number)
    const activations = envNumber('BENCH_FENCE_ACTIVATIONS', 64)
    const out: Figure[] = []
    const results = new Map<number, { ours: { cold: number, settled: number }, every: { cold: number, settled: number } }>()
    // (the rule is measured whatever the constant: its rosters are given their former holders here)
    if (!NARROW_FENCES) log('  narrow fences are off (NARROW_FENCES, docs/replication.md "Former holders"): a node fences every storage node, the "every node fenced" figures; "ours" is what the rule as built would cost')
    for (const n of sizes) {
      const ours = await fencesPerActivation(n, activations, true)
      const every = await fencesPerActivation(n, activations, false)
      results.set(n, { ours, every })
      log(`  ${n} storage nodes: ${ours.cold.toFixed(2)} fences to other nodes per first activation of a partition, ${ours.settled.toFixed(2)} once found whole; every node fenced: ${every.cold.toFixed(2)}, ${every.settled.toFixed(2)}`)
      out.push(figure(`activation fences at ${n} storage nodes, partitions found whole`, 'fences', ours.settled, 'every storage node fenced', every.settled))
      out.push(figure(`activation fences at ${n} storage nodes, first activation of a partition`, 'fences', ours.cold, 'every storage node fenced', every.cold))
    }
    const small = results.get(Math.min(...sizes))
    const large = results.get(Math.max(...sizes))
    if (small !== undefined && large !== undefined && sizes.length > 1) {
      out.push(figure(`activation fences at ${Math.max(...sizes)} storage nodes, found whole`, 'fences', large.ours.settled, `at ${Math.min(...sizes)}`, small.ours.settled, '<= 1.2x'))
    }
    return out
  }
}
