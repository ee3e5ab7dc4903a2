// A room's messages as a list that stays smooth at 10,000 and more. Past VIRTUAL_FROM messages only
// the rows about the visible part are in the page (at most MAX_ROWS), each measured as it renders
// (ROW_ESTIMATE px until then), with a spacer for the rows above and one for those below. Scrolling
// near the top pages back (`earlier`: History by seq); a page of earlier messages keeps the reader
// where they were; new messages at the end follow a reader who is at the end (and one who posts).
// A list opened at a seq (`focus`: a search hit) shows that row in view first, and, until the room is
// live (`newer`), scrolling near the end pages forward (`later`) instead of following.
import { useLayoutEffect, useRef, useState } from 'preact/hooks'
import { html } from '../lib/html.js'

/** Up to this many messages every row is in the page (so that the browser's find sees them all):
 * a room's first page and one page back, about MAX_ROWS. */
export const VIRTUAL_FROM = 160
/** Most message rows in the page at once, however tall the window. */
export const MAX_ROWS = 150
/** A row's height until it is measured (a one-line message with its name and time). */
const ROW_ESTIMATE = 44
/** Rows kept in the page above and below what is visible, in px, so a quick scroll shows no gap. */
const OVERSCAN_PX = 800
/** Scrolled this close to the top, the list asks for the messages before the first it holds. */
const PAGE_BACK_PX = 300
/** This close to the end counts as at the end: new messages scroll into view. */
const AT_END_PX = 48
/** Scrolled this close to the end of a list opened at a seq, the list asks for the messages after it. */
const PAGE_ON_PX = 300

/** The first index whose row ends below `y`. */
function indexAt (offsets, y) {
  let lo = 0
  let hi = offsets.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (offsets[mid + 1] > y) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** `messages` (in seq order, each with a row from `row`), then `tail` (partials and posts on their way),
 * in one scrolling list. `follow` changes whenever the user posts: the list then goes to its end. */
export function MessageList ({ messages, more, earlier, newer, later, focus, row, tail, follow }) {
  const box = useRef(null)
  const heights = useRef(new Map())
  const [view, setView] = useState({ top: 0, height: 900 })
  const [, setMeasured] = useState(0)
  const atEnd = useRef(focus === undefined)
  const focused = useRef(focus === undefined)
  const anchor = useRef(undefined)
  const virtual = messages.length > VIRTUAL_FROM
  const offsets = new Array(messages.length + 1)
  offsets[0] = 0
  if (virtual) for (let i = 0; i < messages.length; i++) offsets[i + 1] = offsets[i] + (heights.current.get(messages[i].seq) ?? ROW_ESTIMATE)
  const from = virtual ? Math.max(0, indexAt(offsets, view.top - OVERSCAN_PX)) : 0
  const to = virtual ? Math.min(messages.length, from + MAX_ROWS, indexAt(offsets, view.top + view.height + OVERSCAN_PX) + 1) : messages.length
  const first = messages[0]?.seq
  const last = messages.at(-1)?.seq

  useLayoutEffect(() => {
    const el = box.current
    if (el === null) return
    // a page of earlier messages came in front: keep the row that was first where it was
    const was = anchor.current
    if (was !== undefined && first !== undefined && first < was.seq) {
      const k = messages.findIndex((m) => m.seq === was.seq)
      const row = el.querySelector(`li[data-seq="${was.seq}"]`)
      const moved = row !== null ? row.offsetTop - was.top : virtual ? offsets[k] : 0
      if (k > 0 && moved > 0) el.scrollTop += moved
    }
    const firstRow = el.querySelector('li[data-seq]')
    anchor.current = first === undefined ? undefined : { seq: first, top: firstRow !== null && firstRow.dataset.seq === String(first) ? firstRow.offsetTop : 0 }
    if (virtual) {
      let changed = false
      for (const li of el.querySelectorAll('li[data-seq]')) {
        const seq = Number(li.dataset.seq)
        const h = li.offsetHeight
        if (Math.abs((heights.current.get(seq) ?? 0) - h) > 0.5) { heights.current.set(seq, h); changed = true }
      }
      if (changed) setMeasured((n) => n + 1)
    }
    if (el.scrollTop !== view.top || el.clientHeight !== view.height) setView({ top: el.scrollTop, height: el.clientHeight })
  }, [first, messages.length, from, to])

  useLayoutEffect(() => {
    const el = box.current
    if (el === null || focused.current) return
    const row = el.querySelector(`li[data-seq="${focus}"]`)
    if (row === null) return
    focused.current = true
    // the row in the middle of the list's box
    el.scrollTop += row.getBoundingClientRect().top - el.getBoundingClientRect().top - (el.clientHeight - row.offsetHeight) / 2
  }, [focus, messages.length])

  useLayoutEffect(() => {
    const el = box.current
    if (el !== null && atEnd.current && !newer) el.scrollTop = el.scrollHeight
  }, [last, tail.length, tail.at(-1)?.key, virtual, newer])

  useLayoutEffect(() => {
    const el = box.current
    if (el === null || follow === 0) return
    atEnd.current = true
    el.scrollTop = el.scrollHeight
  }, [follow])

  const scrolled = () => {
    const el = box.current
    atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < AT_END_PX
    if (el.scrollTop < PAGE_BACK_PX && more) void earlier()
    if (newer && el.scrollHeight - el.scrollTop - el.clientHeight < PAGE_ON_PX) void later()
    if (virtual) setView({ top: el.scrollTop, height: el.clientHeight })
  }

  return html`<ol class="messages" ref=${box} onScroll=${scrolled} data-loaded=${messages.length} data-first=${first ?? 0}>
    ${more && html`<li class="earlier"><button type="button" onClick=${() => { void earlier() }}>Show earlier messages</button></li>`}
    ${virtual && html`<li class="spacer" aria-hidden="true" style=${{ height: `${offsets[from]}px` }}></li>`}
    ${messages.slice(from, to).map(row)}
    ${virtual && html`<li class="spacer" aria-hidden="true" style=${{ height: `${offsets[messages.length] - offsets[to]}px` }}></li>`}
    ${newer && html`<li class="later"><button type="button" onClick=${() => { void later() }}>Show later messages</button></li>`}
    ${tail}
  </ol>`
}
