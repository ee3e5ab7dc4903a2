import { LevelStore, LevelReplicaStorage, ReplicaCore } from '/work/main/node/index.ts'
import { mkdtempSync } from 'node:fs'
const dir = mkdtempSync('/tmp/prof/db-')
const store = await LevelStore.open(dir)
const storage = await LevelReplicaStorage.open(store, 16)
const core = new ReplicaCore(storage)
const N = 100_000
await core.handle({ op: 'fence', entity: 'room/x', epoch: 1, activation: 'a' } as never)
for (let s = 1; s <= N; s += 1000) {
  const records = Array.from({ length: 1000 }, (_, i) => ({ seq: s + i, epoch: 1, event: { type: 'message-posted', user: `u${i % 50}`, text: `post ${s + i} of room-x: deploy meeting budget and the rest of an ordinary line of chat`, ts: 1767225600000 + i } }))
  const r = await core.handle({ op: 'append', entity: 'room/x', epoch: 1, activation: 'a', prevSeq: s - 1, prevEpoch: s === 1 ? 0 : 1, records } as never)
  if ((r as { result: string }).result !== 'ok') throw new Error(JSON.stringify(r))
}
for (let round = 0; round < 3; round++) {
  let t = performance.now()
  let n = 0
  for (let s = 1; s <= N; s += 10_000) n += (await storage.read('room/x', s, 10_000)).length
  const readMs = performance.now() - t
  t = performance.now()
  let bytes = 0
  for (let s = 1; s <= N; s += 10_000) { const rs = await storage.read('room/x', s, 10_000); for (const r of rs) bytes += JSON.stringify({ seq: r.seq, kind: 'message', ...(r.event as object) }).length + 1 }
  const allMs = performance.now() - t
  console.log(`read ${n} in ${readMs.toFixed(0)} ms: ${(readMs * 1000 / n).toFixed(2)} us/record; read+json ${(allMs * 1000 / n).toFixed(2)} us/record, ${(bytes / 1048576 / (allMs / 1000)).toFixed(1)} MiB/s`)
}
await store.close()
