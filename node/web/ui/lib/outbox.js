// Posts on their way: each gets a client_id once, and is tried again with the same id after a
// failure the node may not have seen through (unavailable, cut, rate-limited), so a post is neither
// lost nor stored twice (the node answers a known client_id with the first post's ack). A post the
// node refused for good stays, marked, until the user drops it or sends it again.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { METHODS } from './chat-messages.js'
import { retryable, retryDelay } from './grpc-web.js'
import { sleep } from './room-feed.js'

/** A client_id: 128 random bits as hex (crypto.randomUUID needs a secure context; this does not). */
export function newClientId () {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
}

export function useOutbox (client) {
  const [pending, setPending] = useState([])
  const alive = useRef(new AbortController())
  useEffect(() => () => { alive.current.abort() }, [])
  const update = (clientId, change) => setPending((list) => change === undefined
    ? list.filter((p) => p.clientId !== clientId)
    : list.map((p) => p.clientId === clientId ? { ...p, ...change } : p))
  const send = useCallback(async (item) => {
    const signal = alive.current.signal
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        const ack = await client.call(METHODS.post, { room: item.room, text: item.text, clientId: item.clientId }, signal)
        update(item.clientId, { state: 'sent', seq: ack.seq, error: undefined })
        return
      } catch (err) {
        if (signal.aborted) return
        if (!retryable(err)) { update(item.clientId, { state: 'failed', error: err.message }); return }
        // it may have been stored already (the answer lost with the node): no error shown, the same
        // client_id sent again (to the next node when the page moved) is answered with its ack
        update(item.clientId, { state: 'retrying', error: undefined })
        await sleep(retryDelay(err, attempt), signal)
      }
    }
  }, [client])
  const post = useCallback((room, text) => {
    const item = { room, text, clientId: newClientId(), state: 'sending' }
    setPending((list) => [...list, item])
    void send(item)
  }, [send])
  const retry = useCallback((item) => { update(item.clientId, { state: 'sending', error: undefined }); void send(item) }, [send])
  const drop = useCallback((item) => update(item.clientId, undefined), [])
  return { pending, post, retry, drop }
}
