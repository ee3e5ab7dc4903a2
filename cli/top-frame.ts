// a type only (erased when the CLI runs): the client does not load the server stack
import type { StatsSample } from '../node/index.ts'
import type { Member } from '../protocols/index.ts'
import { byteSize } from './byte-size.ts'
import { tableLines } from './cli-io.ts'
import { shortPeer } from './short-peer.ts'

/** `GET /api/v1/stats`: the node's samples, the newest last (none right after it started). */
export interface NodeStats {
  readonly node: string
  readonly intervalMs: number
  readonly samples: readonly StatsSample[]
}

export interface TopFrameInput {
  readonly members: readonly Member[]
  /** null: the node serves no stats (one older than this plexi). */
  readonly stats: NodeStats | null
  /** When the frame is drawn (ms since the epoch): uptimes and the clock are counted to it. */
  readonly now: number
  /** Where the numbers come from (the admin endpoint), shown in the header. */
  readonly endpoint?: string
  /** A line under the header: how to quit, or why the numbers are not fresh. */
  readonly note?: string
  /** Lines are cut to this many columns (a terminal's width); undefined: not cut. */
  readonly width?: number
  /** At most this many lines (a terminal's height): members that do not fit are counted in the
   * last line instead; undefined: every member. */
  readonly height?: number
}

/**
 * One frame of `plexi admin top`, as lines without their line ends: a header (members by status,
 * the clock), this node's rates from the newest stats sample, then a row per member (peer, roles,
 * status, uptime, actors, entities, mailbox, RSS). Pure: the same input, the same lines.
 */
export function topFrame (input: TopFrameInput): string[] {
  const { members, stats, now } = input
  const statuses = new Map<string, number>()
  for (const m of members) statuses.set(m.status, (statuses.get(m.status) ?? 0) + 1)
  const counted = [...statuses].map(([status, n]) => `${n} ${status}`).join(', ')
  const self = stats?.node
  const head = [
    `plexi admin top${input.endpoint === undefined ? '' : ` ${input.endpoint}`}`,
    `${members.length} member${members.length === 1 ? '' : 's'}${counted === '' ? '' : `: ${counted}`}`,
    clock(now)
  ].join('  ')
  const lines = [head]
  if (input.note !== undefined) lines.push(input.note)
  lines.push('', ...rates(stats), '')
  const rows = members.map((m) => [
    `${shortPeer(m.peerId)}${m.peerId === self ? ' (self)' : ''}`, m.roles.length === 0 ? '-' : m.roles.join(','), m.status,
    m.status === 'down' || typeof m.startedAt !== 'number' ? '-' : uptime(now - m.startedAt),
    String(m.load.actors), String(m.load.entities), String(m.load.mailbox), byteSize(m.load.rssBytes)
  ])
  const table = tableLines(['PEER', 'ROLES', 'STATUS', 'UPTIME', 'ACTORS', 'ENTITIES', 'MAILBOX', 'RSS'], rows)
  if (input.height !== undefined && lines.length + table.length > input.height) {
    // the header row, the members that fit, and a line saying how many did not
    const fit = Math.max(0, input.height - lines.length - 2)
    const hidden = table.length - 1 - fit
    lines.push(...table.slice(0, 1 + fit), `… ${hidden} more member${hidden === 1 ? '' : 's'} (a taller terminal shows them)`)
  } else {
    lines.push(...table)
  }
  const cut = input.height === undefined ? lines : lines.slice(0, Math.max(1, input.height))
  const width = input.width
  return width === undefined ? cut : cut.map((line) => line.length > width ? line.slice(0, Math.max(0, width)) : line)
}

/** This node's rates from the newest sample, as a two-line table (or one line saying why none). */
function rates (stats: NodeStats | null): string[] {
  if (stats === null) return ['this node serves no stats (GET /api/v1/stats: 404): rates need a newer node']
  const sample = stats.samples.at(-1)
  if (sample === undefined) return [`no stats sample yet (the node takes one every ${seconds(stats.intervalMs)})`]
  const ms = (v: number | null): string => v === null ? '-' : `${v.toFixed(1)} ms`
  return tableLines(['POSTS/S', 'DELIVERIES/S', 'ASKS/S', 'ASK MEAN', 'ASK P99', 'TOKENS/S', 'RSS', 'HEAP'], [[
    rate(sample.postsPerSec), rate(sample.deliveriesPerSec), rate(sample.asksPerSec), ms(sample.askMeanMs), ms(sample.askP99Ms),
    rate(sample.tokensPerSec), byteSize(sample.rssBytes), byteSize(sample.heapUsedBytes)
  ]])
}

function rate (perSecond: number): string {
  return perSecond.toFixed(1)
}

function seconds (ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`
}

/** `42s`, `5m 03s`, `3h 12m`, `2d 04h`: how long a member has been up. */
export function uptime (ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  const two = (n: number): string => String(n).padStart(2, '0')
  if (s < 60) return `${s}s`
  if (s < 3_600) return `${Math.floor(s / 60)}m ${two(s % 60)}s`
  if (s < 86_400) return `${Math.floor(s / 3_600)}h ${two(Math.floor(s / 60) % 60)}m`
  return `${Math.floor(s / 86_400)}d ${two(Math.floor(s / 3_600) % 24)}h`
}

/** The local time of day, HH:MM:SS. */
export function clock (now: number): string {
  const d = new Date(now)
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':')
}
