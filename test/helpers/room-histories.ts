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

/** Each room's history as each reader gave it (in the readers' order). */
export type Histories = ReadonlyMap<string, ReadonlyArray<ReadonlyArray<{ seq: number, text: string }>>>

/** Reads every room's history through every reader. */
export async function readHistories (cluster: ProcessCluster, token: string, rooms: readonly string[], readers: readonly NodeSlot[]): Promise<Histories> {
  const out = new Map<string, Array<Array<{ seq: number, text: string }>>>()
  for (const room of rooms) out.set(room, await Promise.all(readers.map(async (r) => await cluster.history(r, room, token))))
  return out
}

/** The invariants of chat under moves and failures, each on its own (once posting has stopped). A
 * post never acknowledged may be there or not: its client was told it failed. */
export const roomInvariants = {
  /** Every room's history is the same through every reader, its seqs without a gap. */
  sameEverywhere (histories: Histories, readers: readonly NodeSlot[]): void {
    for (const [room, hs] of histories) {
      const first = hs[0] ?? []
      hs.forEach((h, i) => { expect(h, `room ${room}: the same history through ${readers[i]?.peerId} as through ${readers[0]?.peerId}`).to.deep.equal(first) })
      expect(first.map((m) => m.seq), `room ${room}: seqs without a gap`).to.deep.equal(first.map((_, i) => i + 1))
    }
  },
  /** Every acknowledged post is in its room, at the seq its ack gave. */
  noneLost (histories: Histories, posted: readonly Post[]): void {
    for (const [room, hs] of histories) {
      const bySeq = new Map((hs[0] ?? []).map((m) => [m.seq, m.text]))
      for (const p of posted.filter((x) => x.room === room && x.seq !== undefined)) expect(bySeq.get(p.seq as number), `room ${room}: ${p.text} at its acknowledged seq ${p.seq}`).to.equal(p.text)
    }
  },
  /** No post is stored twice (every post's text is its own). */
  noneTwice (histories: Histories): void {
    for (const [room, hs] of histories) {
      const texts = (hs[0] ?? []).map((m) => m.text)
      expect(texts.filter((t, i) => texts.indexOf(t) !== i), `room ${room}: posts stored twice`).to.deep.equal([])
    }
  },
  /** Each sender's acknowledged posts keep the order it sent them in. */
  senderOrder (histories: Histories, posted: readonly Post[]): void {
    const senders = [...new Set(posted.map((p) => p.sender))]
    for (const room of histories.keys()) {
      const mine = posted.filter((p) => p.room === room && p.seq !== undefined)
      for (const s of senders) {
        const seqs = mine.filter((p) => p.sender === s).map((p) => p.seq as number)
        expect(seqs, `room ${room}: sender ${s}'s order`).to.deep.equal([...seqs].sort((a, b) => a - b))
      }
    }
  },
  /** Each subscriber's stream was never cut and got every message once, in order. */
  async streamsKept (histories: Histories, watches: readonly Watch[]): Promise<void> {
    for (const w of watches) expect(w.errors, `a subscription to ${w.room}`).to.deep.equal([])
    await everyMessageOnce(histories, watches)
  }
}

/** Each subscriber got every message of its room once, in order. */
async function everyMessageOnce (histories: Histories, watches: readonly Watch[]): Promise<void> {
  for (const [room, hs] of histories) {
    const first = hs[0] ?? []
    for (const w of watches.filter((x) => x.room === room)) {
      // the stream delivers what the history holds; on a starved machine a while after (a bound
      // on a stream that stopped, not a measure of its speed)
      await waitFor(() => w.seqs.length >= first.length, () => `the subscriber of ${room} to get all ${first.length} messages (it has ${w.seqs.length})`, { timeout: 60_000, interval: 50 })
      expect(w.seqs, `room ${room}: what its subscriber got`).to.deep.equal(first.map((m) => m.seq))
    }
  }
}

/**
 * The invariants of chat under moves and failures, once posting has stopped: every room's history
 * is the same through every reader, its seqs have no gap, every acknowledged post is there once,
 * at the seq it was acknowledged with, no text is stored twice, each sender's posts keep the order
 * it sent them in, and each subscriber got every message once, in order (roomInvariants, all).
 */
export async function expectRoomHistories ({ cluster, token, rooms, posted, readers, watches = [] }: RoomHistoriesCheck): Promise<void> {
  const histories = await readHistories(cluster, token, rooms, readers)
  roomInvariants.sameEverywhere(histories, readers)
  roomInvariants.noneLost(histories, posted)
  roomInvariants.noneTwice(histories)
  roomInvariants.senderOrder(histories, posted)
  await everyMessageOnce(histories, watches)
}
