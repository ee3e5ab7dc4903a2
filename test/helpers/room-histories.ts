import { expect } from 'chai'
import type { Post } from './chat-load.ts'
import type { ProcessCluster, NodeSlot } from './process-cluster.ts'
import type { Watch } from './room-watch.ts'
import { waitFor } from './wait-for.ts'

export interface RoomHistoriesCheck {
  readonly cluster: ProcessCluster
  /** A user's token to read the histories with. */
  readonly token: string
  readonly rooms: readonly string[]
  /** Everything posted to the rooms (a post with no seq was never acknowledged). */
  readonly posted: readonly Post[]
  /** The nodes to read every room's history through. */
  readonly readers: readonly NodeSlot[]
  /** Subscribers of the rooms since their first message. @default none */
  readonly watches?: readonly Watch[]
}

/**
 * The invariants of chat under moves and failures, once posting has stopped: every room's history
 * is the same through every reader, its seqs have no gap, every acknowledged post is there once,
 * at the seq it was acknowledged with, no text is stored twice, each sender's posts keep the order
 * it sent them in, and each subscriber got every message once, in order. (A post never
 * acknowledged may be there or not: its client was told it failed.)
 */
export async function expectRoomHistories ({ cluster, token, rooms, posted, readers, watches = [] }: RoomHistoriesCheck): Promise<void> {
  const senders = [...new Set(posted.map((p) => p.sender))]
  for (const room of rooms) {
    const mine = posted.filter((p) => p.room === room && p.seq !== undefined)
    const histories = await Promise.all(readers.map(async (r) => await cluster.history(r, room, token)))
    const first = histories[0] ?? []
    histories.forEach((h, i) => { expect(h, `room ${room}: the same history through ${readers[i]?.peerId} as through ${readers[0]?.peerId}`).to.deep.equal(first) })
    expect(first.map((m) => m.seq), `room ${room}: seqs without a gap`).to.deep.equal(first.map((_, i) => i + 1))
    const bySeq = new Map(first.map((m) => [m.seq, m.text]))
    for (const p of mine) expect(bySeq.get(p.seq as number), `room ${room}: ${p.text} at its acknowledged seq ${p.seq}`).to.equal(p.text)
    const texts = first.map((m) => m.text)
    expect(texts.filter((t, i) => texts.indexOf(t) !== i), `room ${room}: posts stored twice`).to.deep.equal([])
    for (const s of senders) {
      const seqs = mine.filter((p) => p.sender === s).map((p) => p.seq as number)
      expect(seqs, `room ${room}: sender ${s}'s order`).to.deep.equal([...seqs].sort((a, b) => a - b))
    }
    for (const w of watches.filter((x) => x.room === room)) {
      await waitFor(() => w.seqs.length >= first.length, `the subscriber of ${room} to get all ${first.length} messages (it has ${w.seqs.length})`, { timeout: 20_000, interval: 50 })
      expect(w.seqs, `room ${room}: what its subscriber got`).to.deep.equal(first.map((m) => m.seq))
    }
  }
}
