// A room as the page shows it: its last 100 messages (History, after joining: Join is idempotent and
// says the room's last seq), then live (Subscribe from the last seq shown), subscribed again from the
// last seq seen whenever the stream breaks, so nothing is missed or shown twice across a reconnect
// (messages are kept by seq). Agent answers grow from agentPartial events until the whole answer lands.
// When the page's node stops answering, the client moves to another (lib/nodes.js) and the room
// carries on there from the same seq: the feed says `reconnecting`, not an error.
import { useEffect, useRef, useState } from 'preact/hooks'
import { METHODS, KIND } from './chat-messages.js'
import { GrpcError, STATUS, retryable, retryDelay } from './grpc-web.js'

/** How many messages a room opens with. */
export const OPENING = 100

/** The room's feed, and `earlier()`: the 100 messages before the first one shown (History by seq,
 * down to the room's floor, below which retention dropped them). */
export function useRoomFeed (client, room) {
  const [feed, setFeed] = useState({ messages: [], partials: [], live: false, reconnecting: false, error: undefined, members: [], more: false })
  const earlier = useRef(async () => undefined)
  useEffect(() => {
    const abort = new AbortController()
    const bySeq = new Map()
    const partials = new Map()
    let last = 0
    let members = []
    const publish = (extra) => {
      const messages = [...bySeq.values()].sort((a, b) => a.seq - b.seq)
      setFeed((f) => ({ ...f, messages, partials: [...partials.values()], members, ...extra }))
    }
    const add = (m) => {
      if (m.kind === KIND.REDACTION) {
        const target = bySeq.get(m.redacts)
        if (target !== undefined) bySeq.set(target.seq, { ...target, text: '', redacted: true })
      }
      // members as of the last event seen: Join said who at the start, JOIN and LEAVE events since say the rest
      if (m.seq > last && m.kind === KIND.JOIN && !members.includes(m.user)) members = [...members, m.user]
      if (m.seq > last && m.kind === KIND.LEAVE) members = members.filter((u) => u !== m.user)
      bySeq.set(m.seq, m)
      last = Math.max(last, m.seq)
      for (const [id, p] of partials) if (p.user === m.user && m.seq > p.inReplyTo) partials.delete(id)
    }
    // the lowest seq held (every seq from it up is held) and the room's floor
    let from = 1
    let floor = 1
    let paging = false
    earlier.current = async () => {
      if (paging || from <= floor) return
      paging = true
      try {
        const after = Math.max(floor - 1, from - 1 - OPENING)
        const history = await client.call(METHODS.history, { room, after, limit: from - 1 - after }, abort.signal)
        for (const m of history.messages) add(m)
        floor = Math.max(floor, history.retainedFrom)
        from = after + 1
        publish({ more: from > floor })
      } catch (err) {
        if (!abort.signal.aborted) publish({ error: `earlier messages: ${err.message}` })
      } finally {
        paging = false
      }
    }
    /** A call of the opening, tried again (on the next node when the client moved) while it fails
     * as a node that stopped answering fails; undefined once the feed is closed. */
    const again = async (method, request) => {
      for (let failures = 1; !abort.signal.aborted; failures++) {
        try {
          return await client.call(method, request, abort.signal)
        } catch (err) {
          if (abort.signal.aborted || !retryable(err)) throw err
          publish({ live: false, reconnecting: true })
          await sleep(retryDelay(err, failures), abort.signal)
        }
      }
    }
    const run = async () => {
      // Join is idempotent: asked again after a failure, it adds no second event
      const info = await again(METHODS.join, { room })
      if (info === undefined) return
      members = info.members
      last = info.lastSeq
      floor = Math.max(1, info.floor)
      const after = Math.max(0, floor - 1, info.lastSeq - OPENING)
      const history = await again(METHODS.history, { room, after, limit: OPENING })
      if (history === undefined) return
      // History's events are at or below the seq Join said: they change no members (Join's list is newer)
      for (const m of history.messages) add(m)
      from = after + 1
      publish({ error: undefined, more: from > floor })
      for (let failures = 0; !abort.signal.aborted;) {
        try {
          for await (const event of client.stream(METHODS.subscribe, { room, after: last }, abort.signal)) {
            failures = 0
            if (event.message !== undefined) add(event.message)
            else if (event.redaction !== undefined) add({ kind: KIND.REDACTION, seq: event.redaction.seq, redacts: event.redaction.redacts, user: event.redaction.by, ts: event.redaction.ts, text: '' })
            else if (event.agentPartial !== undefined) {
              const p = event.agentPartial
              const had = partials.get(p.requestId)
              partials.set(p.requestId, { ...p, text: (had?.text ?? '') + p.text })
            }
            publish(event.live !== undefined ? { live: true, reconnecting: false, error: undefined } : {})
          }
          throw new GrpcError(STATUS.UNAVAILABLE, 'the stream ended; subscribing again')
        } catch (err) {
          if (abort.signal.aborted) return
          if (!retryable(err)) throw err
          failures++
          // a break the page gets over by itself is a state, not an error: it says so until live again
          publish({ live: false, reconnecting: true })
          await sleep(retryDelay(err, failures), abort.signal)
        }
      }
    }
    setFeed({ messages: [], partials: [], live: false, reconnecting: false, error: undefined, members: [], more: false })
    run().catch((err) => { if (!abort.signal.aborted) setFeed((f) => ({ ...f, live: false, error: err.message })) })
    return () => { abort.abort() }
  }, [client, room])
  return { ...feed, earlier: () => earlier.current() }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep (ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
  })
}
