// A room as the page shows it: its last 100 messages (History, after joining: Join is idempotent and
// says the room's last seq) and live (Subscribe from that seq, opened beside History: it sends what came
// after the seq first, then live; nothing is drawn until History is in), subscribed again from the
// last seq seen whenever the stream breaks, so nothing is missed or shown twice across a reconnect
// (messages are kept by seq). Agent answers grow from agentPartial events until the whole answer lands.
// When the page's node stops answering, the client moves to another (lib/nodes.js) and the room
// carries on there from the same seq: the feed says `reconnecting`, not an error.
import { useEffect, useRef, useState } from 'preact/hooks'
import { METHODS, KIND } from './chat-messages.js'
import { GrpcError, STATUS, retryable, retryDelay } from './grpc-web.js'

/** How many messages a room opens with, and pages back or forward by. */
export const OPENING = 100

const EMPTY = { messages: [], partials: [], live: false, reconnecting: false, error: undefined, members: [], more: false, newer: false }

/** The room's feed; `earlier()`: the 100 messages before the first one shown (History by seq, down to
 * the room's floor, below which retention dropped them); `later()`: the 100 after the last one shown,
 * while the feed is not yet live (`newer`: it was opened `at` a seq before the room's last 100). */
export function useRoomFeed (client, room, at) {
  const [feed, setFeed] = useState(EMPTY)
  const paging = useRef({ earlier: async () => undefined, later: async () => undefined })
  useEffect(() => {
    const abort = new AbortController()
    setFeed(EMPTY)
    const session = roomSession(client, room, at, abort.signal, (extra) => setFeed((f) => ({ ...f, ...extra })))
    paging.current = session
    session.run().catch((err) => { if (!abort.signal.aborted) setFeed((f) => ({ ...f, live: false, error: err.message })) })
    return () => { abort.abort() }
  }, [client, room, at])
  return { ...feed, earlier: () => paging.current.earlier(), later: () => paging.current.later() }
}

/**
 * One opening of a room, until `signal` aborts. It holds every seq from `from` to `last` (kept by seq:
 * a message read twice is shown once). Opened at its end, it reads the last 100 then subscribes from
 * `last`. Opened `at` a seq, it reads the 100 about it, pages back and forward on demand, and
 * subscribes from `last` once a forward page comes back short (the room's end as of that read):
 * Subscribe sends the history after `last` first, then live, so nothing between the read and the
 * stream is missed, and nothing read is sent again. A break resubscribes from `last` likewise.
 */
function roomSession (client, room, at, signal, set) {
  const bySeq = new Map()
  const partials = new Map()
  let last = 0
  let members = []
  // the seq Join's members are as of: JOIN and LEAVE events after it change them, those before do not
  let membersAsOf = 0
  let from = 1
  let floor = 1
  let newer = false
  let paging = false
  let goLive = () => undefined
  // until the opening's History is in, what the stream says is kept, not drawn (the rows come at once)
  let drawn = false
  let held = {}
  // seqs a Redaction named before the message was read (a History answer older than the stream)
  const withdrawn = new Set()
  const publish = (extra) => {
    if (!drawn) { held = { ...held, ...extra }; return }
    draw(extra)
  }
  const draw = (extra) => set({ messages: [...bySeq.values()].sort((a, b) => a.seq - b.seq), partials: [...partials.values()], members, more: from > floor, newer, ...extra })
  const add = (m) => {
    if (m.kind === KIND.REDACTION) {
      const target = bySeq.get(m.redacts)
      if (target !== undefined) bySeq.set(target.seq, { ...target, text: '', redacted: true })
      else withdrawn.add(m.redacts)
    }
    if (withdrawn.has(m.seq) && m.kind === KIND.MESSAGE) m = { ...m, text: '', redacted: true }
    if (bySeq.has(m.seq) && m.kind !== KIND.REDACTION && bySeq.get(m.seq).redacted) return
    if (m.seq > membersAsOf) { members = membersAfter(members, m); membersAsOf = m.seq }
    bySeq.set(m.seq, m)
    last = Math.max(last, m.seq)
    for (const [id, p] of partials) if (p.user === m.user && m.seq > p.inReplyTo) partials.delete(id)
  }
  /** One page of History, at most one at a time; its messages added. */
  const page = async (after, limit, then) => {
    if (paging) return
    paging = true
    try {
      const history = await client.call(METHODS.history, { room, after, limit }, signal)
      for (const m of history.messages) add(m)
      floor = Math.max(floor, history.retainedFrom)
      then(history)
      publish({})
    } catch (err) {
      if (!signal.aborted) publish({ error: `${after < from ? 'earlier' : 'later'} messages: ${err.message}` })
    } finally {
      paging = false
    }
  }
  const earlier = async () => {
    if (from <= floor) return
    const after = Math.max(floor - 1, from - 1 - OPENING)
    await page(after, from - 1 - after, () => { from = after + 1 })
  }
  const later = async () => {
    if (!newer) return
    await page(last, OPENING, (history) => {
      if (history.messages.length < OPENING) { newer = false; goLive() }
    })
  }
  const again = async (method, request) => await callAgain(client, method, request, signal, () => publish({ live: false, reconnecting: true }))
  const join = async () => {
    // Join is idempotent: asked again after a failure, it adds no second event
    const info = await again(METHODS.join, { room })
    if (info === undefined) return undefined
    members = info.members
    membersAsOf = info.lastSeq
    last = info.lastSeq
    floor = Math.max(1, info.floor)
    return info
  }
  const open = async (info) => {
    // at a seq: the 100 about it (half before), or the last 100 when it is among them
    const around = at === undefined ? info.lastSeq : Math.min(info.lastSeq, at + OPENING / 2)
    const after = Math.max(0, floor - 1, around - OPENING)
    const history = await again(METHODS.history, { room, after, limit: OPENING })
    if (history === undefined) return false
    if (around < info.lastSeq) last = after
    for (const m of history.messages) add(m)
    from = after + 1
    newer = last < info.lastSeq
    drawn = true
    draw({ ...held, error: undefined })
    return true
  }
  const live = async () => await follow(client, room, signal, { last: () => last, add, partial, publish })
  const run = async () => {
    const info = await join()
    if (info === undefined) return
    // at the room's end: Subscribe from its last seq beside the History of the 100 before it
    if (at === undefined || at + OPENING / 2 >= info.lastSeq) {
      await Promise.all([live(), open(info).catch((err) => { drawn = true; throw err })])
      return
    }
    if (!await open(info)) return
    if (newer) await new Promise((resolve) => { goLive = resolve; signal.addEventListener('abort', resolve, { once: true }) })
    await live()
  }
  const partial = (p) => { partials.set(p.requestId, { ...p, text: (partials.get(p.requestId)?.text ?? '') + p.text }) }
  return { run, earlier, later }
}

/** The members once `m` (a JOIN or LEAVE event, or neither) happened. */
function membersAfter (members, m) {
  if (m.kind === KIND.JOIN && !members.includes(m.user)) return [...members, m.user]
  if (m.kind === KIND.LEAVE) return members.filter((u) => u !== m.user)
  return members
}

/** A call of the opening, tried again (on the next node when the client moved) while it fails as a
 * node that stopped answering fails (`retrying()` each time); undefined once `signal` aborts. */
async function callAgain (client, method, request, signal, retrying) {
  for (let failures = 1; !signal.aborted; failures++) {
    try {
      return await client.call(method, request, signal)
    } catch (err) {
      if (signal.aborted || !retryable(err)) throw err
      retrying()
      await sleep(retryDelay(err, failures), signal)
    }
  }
}

/** The room live from `feed.last()` on: Subscribe, and again from the last seq seen after a break. */
async function follow (client, room, signal, feed) {
  for (let failures = 0; !signal.aborted;) {
    try {
      for await (const event of client.stream(METHODS.subscribe, { room, after: feed.last() }, signal)) {
        failures = 0
        if (event.message !== undefined) feed.add(event.message)
        else if (event.redaction !== undefined) feed.add({ kind: KIND.REDACTION, seq: event.redaction.seq, redacts: event.redaction.redacts, user: event.redaction.by, ts: event.redaction.ts, text: '' })
        else if (event.agentPartial !== undefined) feed.partial(event.agentPartial)
        feed.publish(event.live !== undefined ? { live: true, reconnecting: false, error: undefined } : {})
      }
      throw new GrpcError(STATUS.UNAVAILABLE, 'the stream ended; subscribing again')
    } catch (err) {
      if (signal.aborted) return
      if (!retryable(err)) throw err
      failures++
      // a break the page gets over by itself is a state, not an error: it says so until live again
      feed.publish({ live: false, reconnecting: true })
      await sleep(retryDelay(err, failures), signal)
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep (ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
  })
}
