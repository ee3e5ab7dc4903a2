/**
 * What a heal is measured by (issue 35's goals: every member `up` in every view ≤ 3 s after it,
 * every room accepting posts ≤ 5 s after it, a user added during the cut logging in through every
 * node): each waited for as an event, with a generous bound (HEAL_BOUND_MS); the time each took
 * is a figure to report, and only a wait that runs out of its bound is a failure.
 */
import { randomUUID } from 'node:crypto'
import type { Post } from '../../helpers/chat-load.ts'
import { chatClient } from '../../helpers/node-process.ts'
import type { MemberRow, NodeSlot } from '../../helpers/process-cluster.ts'
import { CALL_DEADLINE_MS, shownError, unanswered } from './call-outcome.ts'

/** How long after a heal the scenarios wait for each of its events before they call it failed:
 * ten times the goals, so that a slow machine is no failure and a cluster that does not heal is. */
export const HEAL_BOUND_MS = 30_000
/** Pause between two polls or tries. */
const POLL_MS = 50
const RETRY_MS = 100

/** How long after a heal its goals allow (issue 35): every member up in every view, every room
 * taking a post. Not failures (HEAL_BOUND_MS is): figures over them are reported with what took
 * the time. */
export const GOAL_UP_MS = 3_000
export const GOAL_POST_MS = 5_000

/** How one wait after a heal ended: the ms it took, or its failure; `slowest`: what the last of
 * it waited for (the room that took its post last, and its failed tries). */
export interface Awaited {
  readonly ms?: number
  readonly failure?: string
  readonly slowest?: string
}

/** The admin API of `slot` through this process's reach of it, bounded in time. */
export async function adminCall<T> (slot: NodeSlot, path: string, init: { method?: string, body?: unknown } = {}): Promise<T> {
  const res = await fetch(`http://${slot.node.admin}/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${slot.node.adminToken}`, ...(init.body !== undefined && { 'content-type': 'application/json' }) },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    signal: AbortSignal.timeout(CALL_DEADLINE_MS)
  })
  const text = await res.text()
  if (!res.ok) throw Object.assign(new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text.slice(0, 300)}`), { code: res.status })
  return JSON.parse(text) as T
}

/** Counts of the calls these waits made that got no answer in time. */
export class CallTally {
  unanswered = 0
  note (err: unknown): void {
    if (unanswered(err)) this.unanswered++
  }
}

/** How each member views the others: `n2:down n3:up`, in slot order. */
export async function views (slots: readonly NodeSlot[]): Promise<string[]> {
  return await Promise.all(slots.map(async (s, i) => {
    try {
      const rows = await adminCall<MemberRow[]>(s, '/nodes')
      return `node ${i + 1} sees ${slots.map((o, j) => `n${j + 1}:${rows.find((m) => m.peerId === o.peerId)?.status ?? 'absent'}`).join(' ')}`
    } catch (err) {
      return `node ${i + 1}: ${shownError(err)}`
    }
  }))
}

/** Waits until every one of `slots` sees all of them `up`: the ms since `since` when the last one
 * did. */
export async function everyViewUp (slots: readonly NodeSlot[], since: number, tally: CallTally): Promise<Awaited> {
  const upAt: Array<number | undefined> = slots.map(() => undefined)
  await Promise.all(slots.map(async (s, i) => {
    while (performance.now() - since < HEAL_BOUND_MS) {
      try {
        const rows = await adminCall<MemberRow[]>(s, '/nodes')
        if (slots.every((o) => rows.find((m) => m.peerId === o.peerId)?.status === 'up')) {
          upAt[i] = performance.now()
          return
        }
      } catch (err) {
        tally.note(err)
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
  }))
  if (upAt.some((t) => t === undefined)) return { failure: `not every member up in every view ${HEAL_BOUND_MS} ms after the heal: ${(await views(slots)).join('; ')}` }
  return { ms: Math.round(Math.max(...upAt as number[]) - since) }
}

/**
 * Posts once to each of `rooms` until each is acknowledged: the ms since `since` when the last
 * room took its post. `everyNode`: once through each node (each tried again through its own
 * node); otherwise once per room, tried again through the next node after a failure (as a client
 * would). Each post has a client id; they are added to `posts` (they are checked with every other).
 */
export async function everyRoomTakesPost (rooms: readonly string[], slots: readonly NodeSlot[], token: string, tag: string, since: number, posts: Post[], tally: CallTally, everyNode = false): Promise<Awaited> {
  const clients = slots.map((s) => chatClient(s.node.grpc, token))
  try {
    const stuck: string[] = []
    const tries = new Map<string, string[]>()
    const probes = rooms.flatMap((room, r) => (everyNode ? slots.map((_, n) => ({ room, first: n, step: 0 })) : [{ room, first: r, step: 1 }]))
    const takenAt = await Promise.all(probes.map(async ({ room, first, step }) => {
      const post: Post = { sender: -1, room, text: `${tag}-${room}${everyNode ? `-n${first + 1}` : ''}`, clientId: randomUUID() }
      posts.push(post)
      let last = ''
      for (let attempt = 0; performance.now() - since < HEAL_BOUND_MS; attempt++) {
        const n = (first + attempt * step) % clients.length
        const t0 = performance.now()
        try {
          const ack = await (clients[n] as ReturnType<typeof chatClient>).call<{ seq: number | string }>('Post', { room, text: post.text, clientId: post.clientId })
          post.seq = Number(ack.seq)
          return performance.now()
        } catch (err) {
          tally.note(err)
          last = `through node ${n + 1}: ${shownError(err)}`
          const mine = tries.get(post.text) ?? []
          tries.set(post.text, [...mine, `+${Math.round(t0 - since)} ms ${last.slice(0, 200)} (after ${Math.round(performance.now() - t0)} ms)`])
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS))
      }
      stuck.push(`${room} (last try ${last})`)
      return undefined
    }))
    if (stuck.length > 0) return { failure: `${stuck.length} of ${probes.length} posts (${everyNode ? 'each room through each node' : 'one per room'}) not taken within ${HEAL_BOUND_MS} ms: ${stuck.slice(0, 5).join('; ')}` }
    const last = takenAt.indexOf(Math.max(...takenAt as number[]))
    const slow = probes[last]
    const failed = slow === undefined ? [] : tries.get(`${tag}-${slow.room}${everyNode ? `-n${slow.first + 1}` : ''}`) ?? []
    return { ms: Math.round(Math.max(since, ...takenAt as number[]) - since), ...(slow !== undefined && { slowest: `${slow.room}${failed.length === 0 ? '' : `, after ${failed.length} failed tries: ${failed.join('; ')}`}` }) }
  } finally {
    for (const c of clients) c.close()
  }
}

/**
 * Waits until each user of `users` (name and token) is let in through every one of `slots` (a
 * ListRooms call answered): the ms since `since` when the last one was; bounded from `from`.
 */
export async function everyLoginWorks (users: ReadonlyArray<{ name: string, token: string }>, slots: readonly NodeSlot[], since: number, from: number, tally: CallTally): Promise<Awaited> {
  const failed: string[] = []
  const inAt = await Promise.all(users.flatMap((u) => slots.map(async (s, i) => {
    const client = chatClient(s.node.grpc, u.token)
    let last = ''
    try {
      while (performance.now() - from < HEAL_BOUND_MS) {
        try {
          await client.call('ListRooms', {})
          return performance.now()
        } catch (err) {
          tally.note(err)
          last = shownError(err)
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS))
      }
    } finally {
      client.close()
    }
    failed.push(`${u.name} through node ${i + 1} (${last})`)
    return undefined
  })))
  if (failed.length > 0) return { failure: `users added during the cut could not log in within ${HEAL_BOUND_MS} ms: ${failed.join('; ')}` }
  return { ms: Math.round(Math.max(since, ...inAt as number[]) - since) }
}
