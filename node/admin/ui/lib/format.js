// How numbers, sizes, times and peer ids read on screen.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

export function formatBytes (bytes) {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return '–'
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`
}

export function formatNumber (n, digits = 0) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '–'
  return n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: 0 })
}

/** A duration in ms as "3d 4h", "5m 12s", "800 ms". */
export function formatDuration (ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return '–'
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = Math.floor(ms / 1000)
  const parts = [[Math.floor(s / 86400), 'd'], [Math.floor(s / 3600) % 24, 'h'], [Math.floor(s / 60) % 60, 'm'], [s % 60, 's']]
  const first = parts.findIndex(([n]) => n > 0)
  return parts.slice(first, first + 2).map(([n, u]) => `${n}${u}`).join(' ')
}

/** A time (ms since the epoch, or ISO 8601) as local date and time. */
export function formatTime (value) {
  if (value === null || value === undefined || value === '') return '–'
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) return String(value)
  return d.toLocaleString('en-GB', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' })
}

/** A time of day with ms, for log lines. */
export function formatClock (ms) {
  const d = new Date(ms)
  if (Number.isNaN(d.getTime())) return '–'
  return d.toLocaleTimeString('en-GB', { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0')
}

/** How long ago, roughly. */
export function formatAgo (value, now = Date.now()) {
  const t = new Date(value).getTime()
  if (!Number.isFinite(t)) return '–'
  return `${formatDuration(Math.max(0, now - t))} ago`
}

/** A peer id is long; its end tells members apart (job ids use its last four characters too). */
export function shortPeer (peerId) {
  if (typeof peerId !== 'string') return '–'
  return peerId.length <= 10 ? peerId : '…' + peerId.slice(-8)
}
