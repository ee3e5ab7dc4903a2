// An event stream of the admin API kept open while the view is: { state, error, retryInMs, reconnect }.
import { useEffect, useRef, useState } from 'preact/hooks'
import { openEventStream } from './event-stream.js'

export function useEventStream (api, path, onEvent) {
  const [status, setStatus] = useState({ state: 'connecting' })
  const handler = useRef(onEvent)
  handler.current = onEvent
  const stream = useRef(null)

  useEffect(() => {
    const s = openEventStream({
      api,
      path,
      onEvent: (event) => { handler.current(event) },
      onState: (next) => { setStatus(next) }
    })
    stream.current = s
    return () => { s.close() }
  }, [api, path])

  return { ...status, reconnect: () => { stream.current?.reconnect() } }
}
