import { expect } from 'chai'
import { LevelReplicaStorage, LevelStore, ReplicatedJournal } from '../../../../node/index.ts'
import type { ReplicaRequest } from '../../../../node/index.ts'
import { tempDir } from '../../../helpers/temp-dir.ts'

type Earlier = Array<{ version: number, nodes: string[] }>

/**
 * Which nodes a take fences under a configuration version (docs/replication.md, "Which nodes a take
 * fences"), on five nodes' replicas (real LevelDB each): the partition's set is {me, other}; `old1`
 * and `old2` held it under an earlier version; `far` is a storage node that never held it.
 */
async function fiveNodes (earlier: Earlier | undefined, down: readonly string[] = [], replaced: readonly string[] = []): Promise<{ journal: ReplicatedJournal, cores: Map<string, LevelReplicaStorage>, fenced: Set<string>, journals: Map<string, ReplicatedJournal>, close: () => Promise<void> }> {
  const names = ['me', 'other', 'old1', 'old2', 'far']
  const dirs = await Promise.all(names.map(async () => await tempDir()))
  const stores = await Promise.all(dirs.map(async (d) => await LevelStore.open(d.path)))
  const storages = await Promise.all(stores.map(async (s) => await LevelReplicaStorage.open(s)))
  const cores = new Map(names.map((n, i) => [n, storages[i] as LevelReplicaStorage]))
  const journals = new Map<string, ReplicatedJournal>()
  const fenced = new Set<string>()
  const roster = (): Array<{ peerId: string, roles: string[], capacity: number }> => ['me', 'other'].map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 }))
  const known = (): Array<{ peerId: string, roles: string[], capacity: number }> => names.map((peerId) => ({ peerId, roles: ['storage'], capacity: 1 }))
  const remote = async (node: string, partition: number, request: ReplicaRequest): Promise<never> => {
    if (request.op === 'fence') fenced.add(node)
    if (down.includes(node)) throw new Error(`${node} is down`)
    return await (journals.get(node) as ReplicatedJournal).core(partition).handle(request) as never
  }
  for (const n of names) {
    journals.set(n, new ReplicatedJournal({
      self: n,
      storage: cores.get(n) as LevelReplicaStorage,
      roster,
      known,
      remote,
      replaced: (peerId) => replaced.includes(peerId),
      versionedFences: true,
      ...(n === 'me' && {
        versions: {
          of: () => 3,
          newer: () => {},
          earlierOf: (_p: number, version: number) => version === 3 ? earlier : undefined
        }
      })
    }))
  }
  return {
    journal: journals.get('me') as ReplicatedJournal,
    cores,
    fenced,
    journals,
    close: async () => {
      for (const s of stores) await s.close()
      for (const d of dirs) await d.remove()
    }
  }
}

describe('ReplicatedJournal: fences under a configuration version (versioned-fences on)', () => {
  it('should fence the set and the earlier sets not settled, not every storage node, and recover what only an earlier set holds', async () => {
    const n = await fiveNodes([{ version: 1, nodes: ['old1', 'old2'] }])
    try {
      // acknowledged under version 1 by an owner of the earlier set (W = 2 of {old1, old2})
      for (const node of ['old1', 'old2']) {
        const core = (n.journals.get(node) as ReplicatedJournal).core(n.journal.storage.partitionOf('room/a'))
        expect(await core.handle({ op: 'fence', entity: 'room/a', epoch: 5, activation: 'earlier', version: 1 })).to.include({ ok: true })
        expect(await core.handle({ op: 'append', entity: 'room/a', epoch: 5, activation: 'earlier', prevSeq: 0, prevEpoch: 0, records: [{ seq: 1, epoch: 5, event: { n: 1 } }], version: 1 })).to.include({ result: 'ok' })
      }
      const log = await n.journal.open('room/a')
      expect([...n.fenced].sort()).to.deep.equal(['old1', 'old2', 'other'])
      expect(log.head).to.equal(1)
      // the earlier set stores version 3 from the take: its owner of version 1 is refused from now on
      const p = n.journal.storage.partitionOf('room/a')
      expect(await (n.journals.get('old1') as ReplicatedJournal).core(p).versions.of(p)).to.equal(3)
      log.close()
    } finally {
      await n.close()
    }
  })

  it('should fence the set alone once every earlier set settled, and every storage node where its earlier sets are not known', async () => {
    let n = await fiveNodes([])
    try {
      ;(await n.journal.open('room/b')).close()
      expect([...n.fenced].sort()).to.deep.equal(['other'])
    } finally {
      await n.close()
    }
    n = await fiveNodes(undefined)
    try {
      ;(await n.journal.open('room/b')).close()
      expect([...n.fenced].sort()).to.deep.equal(['far', 'old1', 'old2', 'other'])
    } finally {
      await n.close()
    }
  })

  it('should leave a node the roster forgot (decommissioned) out of an earlier set: not asked, not counted', async () => {
    const n = await fiveNodes([{ version: 1, nodes: ['old1', 'old2', 'gone'] }], ['old2'])
    try {
      // {old1, old2, gone} at W = 2: with gone forgotten, {old1, old2} decides; old2 out of reach
      // leaves one unread, as a take allows
      ;(await n.journal.open('room/d')).close()
      expect([...n.fenced].sort()).to.deep.equal(['old1', 'old2', 'other'])
    } finally {
      await n.close()
    }
  })

  it('should count a replaced node of an earlier set as lost for good: a set of it alone holds no take back, and what it held with a node out of reach does', async () => {
    // {old1} at W = 1 (a cluster formed from one node): with old1 down, a take waits for it; once
    // old1 is replaced (down past replica-replace-after), what it alone held is lost, and the take goes on
    let n = await fiveNodes([{ version: 1, nodes: ['old1'] }], ['old1'])
    try {
      const err = await n.journal.open('room/e').then(() => undefined, (e: unknown) => e as Error & { kind?: string })
      expect(err?.kind, err?.message).to.equal('unavailable')
    } finally {
      await n.close()
    }
    n = await fiveNodes([{ version: 1, nodes: ['old1'] }], ['old1'], ['old1'])
    try {
      ;(await n.journal.open('room/e')).close()
      expect([...n.fenced].sort()).to.deep.equal(['other'])
    } finally {
      await n.close()
    }
    // {old1, old2, far} at W = 2 with far replaced and old2 out of reach: a record on {old2, far} is
    // on old2 alone now, so the take waits for old2 (with far forgotten instead, it would not: far
    // handed off what it held)
    n = await fiveNodes([{ version: 1, nodes: ['old1', 'old2', 'far'] }], ['old2', 'far'], ['far'])
    try {
      const err = await n.journal.open('room/f').then(() => undefined, (e: unknown) => e as Error & { kind?: string })
      expect(err?.kind, err?.message).to.equal('unavailable')
      expect(n.fenced.has('far'), 'a replaced node is not asked').to.equal(false)
    } finally {
      await n.close()
    }
    n = await fiveNodes([{ version: 1, nodes: ['old1', 'old2', 'far'] }], ['far'], ['far'])
    try {
      ;(await n.journal.open('room/f')).close()
      expect([...n.fenced].sort()).to.deep.equal(['old1', 'old2', 'other'])
    } finally {
      await n.close()
    }
  })

  it('should take with one node of a two-node earlier set out of reach, and not with both (rule 3: all but fewer than min(W, F) of it)', async () => {
    let n = await fiveNodes([{ version: 1, nodes: ['old1', 'old2'] }], ['old2'])
    try {
      ;(await n.journal.open('room/c')).close()
    } finally {
      await n.close()
    }
    n = await fiveNodes([{ version: 1, nodes: ['old1', 'old2'] }], ['old1', 'old2'])
    try {
      const err = await n.journal.open('room/c').then(() => undefined, (e: unknown) => e as Error & { kind?: string })
      expect(err?.kind, err?.message).to.equal('unavailable')
    } finally {
      await n.close()
    }
  })
})
