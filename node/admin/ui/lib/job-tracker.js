// The jobs this dashboard started (a drain, a migration, a backup, ...), followed until they end:
// each running one is asked for every second while the page is visible, whichever view is open.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { seg } from './api-client.js'

const POLL_MS = 1_000
/** Jobs kept in the dock; the oldest ended ones go first. */
const MAX_TRACKED = 6

/** A repair (POST /repairs answers with its own shape) read as a job. */
export function repairAsJob (r) {
  return {
    id: r.id,
    kind: 'repair',
    node: null,
    target: r.partition === null ? null : `partition/${r.partition}`,
    state: r.state,
    total: r.partitions,
    done: r.partitionsDone,
    failed: r.failures.length,
    left: r.failures.map((why) => ({ item: 'comparison', why })),
    message: `${r.comparisons} comparisons, ${r.recordsFilled} records filled, ${r.recordsRepaired} repaired, ${r.divergent} divergent`,
    error: r.state === 'failed' ? r.failures.join('; ') : null,
    startedAt: r.startedAt,
    endedAt: r.endedAt
  }
}

export function useJobTracker (api) {
  const [tracked, setTracked] = useState([])
  const ref = useRef(tracked)
  ref.current = tracked

  const track = useCallback(({ job, label, poll, onEnd }) => {
    const entry = {
      key: job.id,
      label,
      job,
      pollError: undefined,
      lost: false,
      poll: poll ?? (async () => await api.get(`/jobs/${seg(job.id)}`)),
      onEnd
    }
    setTracked((list) => {
      const others = list.filter((e) => e.key !== entry.key)
      const kept = [entry, ...others]
      // drop the oldest ended ones past the limit; running ones stay
      while (kept.length > MAX_TRACKED) {
        const i = kept.findLastIndex((e) => e.job.state !== 'running')
        if (i === -1) break
        kept.splice(i, 1)
      }
      return kept
    })
    if (job.state !== 'running') onEnd?.(job)
  }, [api])

  const dismiss = useCallback((key) => { setTracked((list) => list.filter((e) => e.key !== key)) }, [])
  const update = useCallback((key, job) => {
    setTracked((list) => list.map((e) => e.key === key ? { ...e, job, pollError: undefined } : e))
  }, [])

  useEffect(() => {
    let stopped = false
    let timer
    const tick = async () => {
      if (stopped) return
      const running = ref.current.filter((e) => e.job.state === 'running' && !e.lost)
      if (!document.hidden && running.length > 0) {
        await Promise.all(running.map(async (entry) => {
          try {
            const job = await entry.poll()
            if (stopped) return
            setTracked((list) => list.map((e) => e.key === entry.key ? { ...e, job, pollError: undefined } : e))
            if (job.state !== 'running') entry.onEnd?.(job)
          } catch (pollError) {
            // 404: no member has it any more (its node restarted): asking again will not find it
            const lost = pollError?.statusCode === 404
            if (!stopped) setTracked((list) => list.map((e) => e.key === entry.key ? { ...e, pollError, lost } : e))
          }
        }))
      }
      if (!stopped) timer = setTimeout(tick, POLL_MS)
    }
    timer = setTimeout(tick, POLL_MS)
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, [])

  return { tracked, track, dismiss, update }
}
