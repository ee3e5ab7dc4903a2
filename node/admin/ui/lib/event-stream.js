// Server-sent events read with fetch, so that the bearer header goes along (EventSource cannot send
// one). The stream reconnects with backoff when it ends, fails or is refused (429: too many open).
import { ApiError } from './api-error.js'

/** The most one event may hold; a stream that sends more without a blank line is broken. */
const MAX_EVENT_CHARS = 4 * 1024 * 1024
const FIRST_RETRY_MS = 1_000
const MAX_RETRY_MS = 30_000
/** Attempts in a row before giving up (about 25 minutes at the longest delay); reconnect() starts over. */
const MAX_ATTEMPTS = 50

/**
 * Reads `body` (a ReadableStream of text/event-stream) and calls `onEvent({ type, data, id })` for
 * each event; comment lines (`: keep-alive`) are skipped. Resolves when the stream ends.
 */
export async function readEvents (body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  let type = ''
  let data = []
  let id = ''
  const line = (text) => {
    if (text === '') {
      if (data.length > 0) onEvent({ type: type === '' ? 'message' : type, data: data.join('\n'), id })
      type = ''
      data = []
      return
    }
    if (text.startsWith(':')) return
    const colon = text.indexOf(':')
    const field = colon === -1 ? text : text.slice(0, colon)
    let value = colon === -1 ? '' : text.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') type = value
    else if (field === 'data') data.push(value)
    else if (field === 'id') id = value
  }
  /** Takes the whole lines out of the buffer: they end with \n, \r\n or \r; a \r at the end may be
   * half of a \r\n still to come, unless the stream has ended. */
  const lines = (ended) => {
    let start = 0
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer[i]
      if (c !== '\n' && c !== '\r') continue
      if (c === '\r' && i === buffer.length - 1 && !ended) break
      line(buffer.slice(start, i))
      if (c === '\r' && buffer[i + 1] === '\n') i++
      start = i + 1
    }
    buffer = buffer.slice(start)
  }
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) {
        // an event not ended by a blank line is dropped (as EventSource does)
        lines(true)
        return
      }
      buffer += value
      lines(false)
      if (buffer.length > MAX_EVENT_CHARS) throw new Error(`an event over ${MAX_EVENT_CHARS} characters`)
    }
  } finally {
    reader.releaseLock()
  }
}

/**
 * Opens `path` as an event stream through `api` and keeps it open: `onEvent(event)` for each event,
 * `onState({ state: 'connecting' | 'live' | 'retrying' | 'stopped', error?, retryInMs? })` as it goes.
 * A `history` event resets the backoff. Returns `{ close, reconnect }`.
 */
export function openEventStream ({ api, path, onEvent, onState }) {
  let closed = false
  let attempt = 0
  let timer
  let controller
  /** Counts connections: a stale one (aborted by reconnect) reports nothing. */
  let generation = 0

  const retry = (error) => {
    if (closed) return
    if (error instanceof ApiError && error.statusCode === 401) {
      onState({ state: 'stopped', error })
      return
    }
    attempt++
    if (attempt > MAX_ATTEMPTS) {
      onState({ state: 'stopped', error })
      return
    }
    const backoff = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempt - 1))
    const asked = error instanceof ApiError && error.retryAfterS !== undefined ? error.retryAfterS * 1000 : 0
    // jitter, so that dashboards refused together do not come back together
    const retryInMs = Math.round(Math.max(asked, backoff) * (0.75 + Math.random() * 0.5))
    onState({ state: 'retrying', error, retryInMs })
    timer = setTimeout(connect, retryInMs)
  }

  const connect = async () => {
    if (closed) return
    const mine = ++generation
    const current = () => !closed && mine === generation
    controller = new AbortController()
    onState({ state: 'connecting' })
    try {
      const res = await api.open(path, controller.signal)
      if (!current()) return
      onState({ state: 'live' })
      await readEvents(res.body, (event) => {
        if (!current()) return
        if (event.type === 'history') attempt = 0
        onEvent(event)
      })
      if (current()) retry(new Error('the node ended the stream'))
    } catch (err) {
      if (current()) retry(err)
    }
  }

  void connect()
  return {
    close () {
      closed = true
      clearTimeout(timer)
      controller?.abort()
    },
    reconnect () {
      clearTimeout(timer)
      controller?.abort()
      attempt = 0
      void connect()
    }
  }
}
