// Polls a loader while the page is visible: { data, error, loading, refresh }. A failed poll keeps the
// last data and shows the error; polls never overlap (each waits for the one before).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

export function usePoll (load, intervalMs, deps = []) {
  const [state, setState] = useState({ data: undefined, error: undefined, loading: true })
  const wake = useRef(() => {})

  useEffect(() => {
    let stopped = false
    let timer
    let running = false
    /** A refresh asked for while a poll was under way: one more poll at once after it. */
    let again = false
    const tick = async () => {
      clearTimeout(timer)
      if (stopped) return
      if (running) {
        again = true
        return
      }
      if (document.hidden) return   // visibilitychange wakes it
      running = true
      try {
        const data = await load()
        if (!stopped) setState({ data, error: undefined, loading: false })
      } catch (error) {
        if (!stopped && error?.name !== 'AbortError') setState((s) => ({ ...s, error, loading: false }))
      } finally {
        running = false
        if (!stopped && (again || intervalMs > 0)) timer = setTimeout(tick, again ? 0 : intervalMs)
        again = false
      }
    }
    wake.current = tick
    const visible = () => { if (!document.hidden) void tick() }
    document.addEventListener('visibilitychange', visible)
    setState((s) => ({ ...s, loading: true }))
    void tick()
    return () => {
      stopped = true
      clearTimeout(timer)
      document.removeEventListener('visibilitychange', visible)
    }
  }, deps)

  const refresh = useCallback(() => { void wake.current() }, [])
  return { ...state, refresh }
}
