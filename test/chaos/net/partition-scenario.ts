/**
 * Silent partitions of real node processes (issue 35, part 6). Each scenario starts a cluster of
 * chat+storage nodes (R = 3, W = 2), one per host of a lab of network namespaces
 * (test/helpers/net-namespace.ts), under chat load (senders posting with client ids, a failed
 * try retried through the next node) and reads (one reader per node, all the time). It then cuts
 * the network as a switch would, one or more times: a node or a group, both ways or one way,
 * held a few seconds, during which a user is added and a room is made on each side of the cut
 * (when no more nodes are cut off than a partition may lose, the rest must serve both: the cut
 * holds until it has).
 * After each heal it waits for every member to see every other `up`, every room to take a post,
 * and every user added during the cut to log in through every node, and measures each.
 *
 * What it checks (each a failure when it does not hold):
 * - every acknowledged post is at its seq, once, in every node's history at the end (lost,
 *   duplicated), every room's history is the same through every node without a gap (diverged);
 * - no stale read: a History that starts after a post's ack holds it (through any node, during
 *   and after the cuts); no dirty read: a read never shows what the final history does not hold;
 * - no call goes unanswered within the client's deadline (posts, reads, probes, logins);
 * - after each heal, within HEAL_BOUND_MS: every member up in every view, every room takes a
 *   post, every user added during the cut logs in through every node (the times are figures);
 * - once a heal's waits are over (every view up, every room posted), no post or read is refused
 *   until the next cut (a room that stops taking posts a while after the heal is caught here);
 * - every room with an acknowledged post is listed by ListRooms through every node;
 * - at the end, every room takes a post through every node (none is left stuck).
 */
import { randomUUID } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ChatLoad } from '../../helpers/chat-load.ts'
import type { Post } from '../../helpers/chat-load.ts'
import { NetLab } from '../../helpers/net-namespace.ts'
import type { NetHost } from '../../helpers/net-namespace.ts'
import { chatClient } from '../../helpers/node-process.ts'
import { partitionOf } from '../../../node/replication/index.ts'
import { ProcessCluster } from '../../helpers/process-cluster.ts'
import type { MemberRow, NodeSlot } from '../../helpers/process-cluster.ts'
import { shownError, unanswered } from './call-outcome.ts'
import { CallTally, GOAL_POST_MS, GOAL_UP_MS, HEAL_BOUND_MS, adminCall, everyLoginWorks, everyRoomTakesPost, everyViewUp } from './heal-watch.ts'
import type { Awaited } from './heal-watch.ts'
import { ReadCheck } from './read-check.ts'
import { waitFor } from '../../helpers/wait-for.ts'

/** One cut: the nodes cut off from the rest, and which way their packets are dropped. `in`: they
 * hear nothing from the rest; `out`: the rest hears nothing from them. */
export interface CutStep {
  readonly way: 'both' | 'in' | 'out'
  /** the nodes cut off (slot indices), picked once the cluster runs */
  readonly pick: (ctx: { readonly nodes: number, readonly directoryOwner: number }) => readonly number[]
}

export interface Scenario {
  readonly name: string
  readonly about: string
  readonly nodes: number
  readonly cuts: readonly CutStep[]
  /** how long each cut holds (ms): the fault's length, not a wait for anything */
  readonly holdMs: number
}

/** One heal's figures (ms from the heal; undefined: not within HEAL_BOUND_MS). */
export interface HealFigures {
  readonly cut: string
  /** the other side seen not `up` by every node of the rest, and the rest by the cut nodes (ms
   * from the cut; undefined: not while it held) */
  readonly restSawCutMs?: number
  readonly cutSawRestMs?: number
  readonly upMs?: number
  readonly postMs?: number
  readonly loginMs?: number
  /** the room that took its post last, and its failed tries */
  readonly slowestRoom?: string
}

export interface ScenarioResult {
  readonly name: string
  /** posts tried and acknowledged */
  readonly tried: number
  readonly acked: number
  readonly lost: number
  readonly duplicated: number
  readonly divergedRooms: number
  readonly unlistedRooms: number
  readonly reads: number
  readonly staleReads: number
  readonly dirtyReads: number
  readonly unanswered: number
  readonly usersAdded: number
  readonly heals: readonly HealFigures[]
  /** every check that failed, spelled out (empty: the run passed) */
  readonly failures: readonly string[]
  /** what else is worth knowing: failed calls by code and phase, the nodes' warnings */
  readonly notes: readonly string[]
  readonly seconds: number
  /** the raw record for a post-mortem (runScenario writes it beside the logs of a failed run):
   * every post, every room's last history through each node, the stale reads */
  readonly evidence: unknown
}

const ROOMS = 12
/** Each sender starts a post at most this often (ms). */
const SEND_EVERY_MS = 100
/** Each reader starts a read at most this often (ms). */
const READ_EVERY_MS = 100
/** Posts acknowledged before the first cut, and between two cuts. */
const WARM_POSTS = 30
/** Tries of one post of the load (with its client id) before its sender gives up on it (a try
 * is answered within 5 s: a stuck room holds its sender a minute at most). */
const TRIES = 12
/** Pause between two tries of a user's add or a room's first post during a cut. */
const DURING_RETRY_MS = 250
/** Pause between two rounds of the reads at the end. */
const SETTLE_POLL_MS = 250
/** Failures spelled out per check, at most. */
const SHOWN = 8

/** The scenarios of part 6. A node cut off alone is the one holding the user directory (a user
 * added during the cut then needs it to move). */
export const SCENARIOS: readonly Scenario[] = [
  { name: 'one-both', about: '3 nodes; one cut off both ways', nodes: 3, holdMs: 8_000, cuts: [{ way: 'both', pick: (c) => [c.directoryOwner] }] },
  { name: 'one-in', about: '3 nodes; one hears nothing (its way in dropped)', nodes: 3, holdMs: 8_000, cuts: [{ way: 'in', pick: (c) => [c.directoryOwner] }] },
  { name: 'one-out', about: '3 nodes; one is not heard (its way out dropped)', nodes: 3, holdMs: 8_000, cuts: [{ way: 'out', pick: (c) => [c.directoryOwner] }] },
  { name: 'two-of-five', about: '5 nodes; two cut off from the other three both ways', nodes: 5, holdMs: 8_000, cuts: [{ way: 'both', pick: (c) => [c.directoryOwner, (c.directoryOwner + 1) % c.nodes] }] },
  {
    name: 'repeated',
    about: '5 nodes; four cuts in a row (one both ways, one in, two of five, one out), users added and rooms made during each',
    nodes: 5,
    holdMs: 6_000,
    cuts: [
      { way: 'both', pick: (c) => [c.directoryOwner] },
      { way: 'in', pick: (c) => [(c.directoryOwner + 1) % c.nodes] },
      { way: 'both', pick: (c) => [(c.directoryOwner + 2) % c.nodes, (c.directoryOwner + 3) % c.nodes] },
      { way: 'out', pick: (c) => [(c.directoryOwner + 4) % c.nodes] }
    ]
  }
]

export function scenarioNamed (name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name)
  if (found === undefined) throw new RangeError(`no scenario ${name}; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`)
  return found
}

/** Runs `scenario` once in a lab of its own; `logDir`: where the nodes' logs go when it failed;
 * `nodeArgs`: more flags for every node (a log level);
 * `closer`: given what ends its processes and namespaces at once (a runner stopped by a signal
 * calls it). */
export async function runScenario (scenario: Scenario, opts: { logDir?: string, log?: (line: string) => void, closer?: (close: () => Promise<void>) => void, nodeArgs?: readonly string[] } = {}): Promise<ScenarioResult> {
  const lab = await NetLab.create()
  const cluster = new ProcessCluster({ placement: lab.placement(), args: ['--auth-failures-per-min', '0', ...opts.nodeArgs ?? []] })
  opts.closer?.(async () => {
    await cluster.close()
    await lab.close()
  })
  try {
    await cluster.start(Array.from({ length: scenario.nodes }, () => 'chat,storage'))
    const result = await drive(scenario, lab, cluster, opts.log ?? (() => undefined))
    if ((result.failures.length > 0 || overGoal(result.heals).length > 0) && opts.logDir !== undefined) {
      await cluster.saveLogs(opts.logDir)
      await writeFile(join(opts.logDir, 'evidence.json'), JSON.stringify(result.evidence))
    }
    return result
  } finally {
    await cluster.close()
    await lab.close()
  }
}

async function drive (scenario: Scenario, lab: NetLab, cluster: ProcessCluster, log: (line: string) => void): Promise<ScenarioResult> {
  const started = performance.now()
  const slots = [...cluster.slots]
  const hosts = await Promise.all(slots.map(async (_, i) => await lab.host(i + 1)))
  const ownerId = await cluster.ownerOf(slots[0] as NodeSlot, 'users', 'chat', 'all')
  const directoryOwner = Math.max(0, slots.findIndex((s) => s.peerId === ownerId))
  const tag = `${scenario.name}-${Date.now().toString(36)}`
  const tokens = await Promise.all(slots.map(async (_, i) => await cluster.addUser(`sender${i}`)))
  const reader = await cluster.addUser('reader')
  const rooms = Array.from({ length: ROOMS }, (_, i) => `${tag}-r${i}`)
  const madeRooms: string[] = []
  const extra: Post[] = []
  const failures: string[] = []
  const notes: string[] = []
  const heals: HealFigures[] = []
  const tally = new CallTally()
  const added: Array<{ name: string, token: string }> = []
  let phase = { name: 'before', since: performance.now() }
  /** From the end of a heal's waits (every view up, every room posted) to the next cut (Date.now()):
   * a cluster that has healed refuses nothing, as a steady one does not. */
  const settled: Array<{ heal: number, from: number, to: number }> = []
  let end0 = Number.POSITIVE_INFINITY
  /** Tries begun during a cut that may end after it: every one has ended before the end's checks. */
  const background: Array<Promise<unknown>> = []

  const load = new ChatLoad({
    tag, rooms, senders: slots.length, tokens, everyMs: SEND_EVERY_MS, tries: TRIES,
    via: (i) => slots[i % slots.length] as NodeSlot,
    retryVia: (_, failed) => slots[(slots.indexOf(failed) + 1) % slots.length] as NodeSlot
  })
  const allRooms = (): string[] => [...rooms, ...madeRooms]
  const allPosts = (): Post[] => [...load.posted, ...extra]
  const reads = new ReadCheck({ readers: slots, token: reader, rooms: allRooms, posts: allPosts, phase: () => phase, everyMs: READ_EVERY_MS })
  try {
    await load.awaitAcked(WARM_POSTS)
    // a settled cluster is cut: every node a full replica of its partitions (a node that joined is a
    // learner until it caught up from every other, and while one of those is cut off it rightly
    // refuses to take anything: the cut one may hold what it lacks; a busy machine took longer than
    // the warm-up to catch up once)
    await waitFor(async () => (await Promise.all(slots.map(async (s) => /^plexi_replication_learner_partitions 0$/m.test(await cluster.metrics(s))))).every(Boolean), 'every node to have caught up on its partitions', { timeout: 60_000, interval: 100 })
    for (const [k, step] of scenario.cuts.entries()) {
      const cutOff = step.pick({ nodes: slots.length, directoryOwner })
      const cutHosts = cutOff.map((i) => hosts[i] as NetHost)
      const restHosts = hosts.filter((h) => !cutHosts.includes(h))
      const cutSlots = cutOff.map((i) => slots[i] as NodeSlot)
      const restSlots = slots.filter((s) => !cutSlots.includes(s))
      const label = `cut ${k + 1}: node${cutOff.length > 1 ? 's' : ''} ${cutOff.map((i) => i + 1).join(',')} ${step.way === 'both' ? 'both ways' : step.way === 'in' ? 'way in' : 'way out'}`
      log(`  ${label}`)

      // what the rest must still write: with no more storage nodes cut off than a partition may lose
      // (R - the fence quorum; docs/replication.md: a second loss at once is refused until a node
      // is back), every entity with a fence quorum of its replicas on the rest's side
      const { writable, mayLose } = await writableBy(restSlots)
      const served = (entity: string): boolean => cutOff.length <= mayLose && writable(entity)
      const roomName = Array.from({ length: 200 }, (_, i) => `${tag}-c${k + 1}-rest${i}`).find((r) => writable(`room/${r}`)) ?? `${tag}-c${k + 1}-rest`
      const userRequired = served('users/all')
      const roomRequired = served(`room/${roomName}`)

      if (settled.length > 0) (settled.at(-1) as { to: number }).to = Date.now()
      phase = { name: `cut ${k + 1}`, since: performance.now() }
      const cutAt = phase.since
      if (step.way !== 'out') await lab.cut(restHosts, cutHosts)
      if (step.way !== 'in') await lab.cut(cutHosts, restHosts)
      let healed = false
      const detection = detect(restSlots, cutSlots, cutAt, () => healed)
      // during the cut: a user added and a room made through each side. Where the rest holds a
      // fence quorum of the entity's replicas (the user directory's; a room name chosen so), it must
      // serve it, and the cut holds until it has (HEAL_BOUND_MS at most); otherwise it may refuse,
      // and tries until the heal, as the cut side does. What is acknowledged is checked like the rest.
      const untilServed = (): boolean => performance.now() - cutAt < HEAL_BOUND_MS
      const untilHealed = (): boolean => !healed
      const restUser = addUser(`cut${k + 1}-rest`, restSlots, userRequired ? untilServed : untilHealed, tally)
      const restRoom = makeRoom(roomName, restSlots, tokens[0] as string, roomRequired ? untilServed : untilHealed, madeRooms, extra, tally)
      const cutUser = addUser(`cut${k + 1}-cut`, cutSlots, untilHealed, tally)
      background.push(restRoom, makeRoom(`${tag}-c${k + 1}-cut`, cutSlots, tokens[0] as string, untilHealed, madeRooms, extra, tally))
      // the fault's length: the cut holds this long whatever happens meanwhile, and until the rest
      // served what it must
      await Promise.all([new Promise((resolve) => setTimeout(resolve, scenario.holdMs)), ...userRequired ? [restUser] : [], ...roomRequired ? [restRoom] : []])
      if (userRequired && (await restUser).user === undefined) failures.push(`${label}: no user could be added through the rest (${restSlots.length} of ${slots.length} nodes, holding a fence quorum of the user directory's replicas) within ${HEAL_BOUND_MS} ms of the cut (last try: ${(await restUser).last})`)
      if (roomRequired && await restRoom !== '') failures.push(`${label}: room ${roomName} (a fence quorum of its replicas on the rest) could not be made through the rest within ${HEAL_BOUND_MS} ms of the cut (last try: ${await restRoom})`)
      if (!userRequired) notes.push(`${label}: the rest need not serve the user directory (${cutOff.length > mayLose ? `${cutOff.length} storage nodes cut off, more than the ${mayLose} a partition may lose` : 'fewer than a fence quorum of its replicas on the rest'})`)
      const during = Promise.all([restUser, cutUser])

      phase = { name: `healed ${k + 1}`, since: performance.now() }
      const healAt = phase.since
      await lab.heal()
      healed = true
      const [up, post, users, seen] = await Promise.all([
        everyViewUp(slots, healAt, tally),
        everyRoomTakesPost(allRooms(), slots, tokens[1 % tokens.length] as string, `${tag}-heal${k + 1}`, healAt, extra, tally),
        during.then(async ([a, b]) => {
          const acked = [a.user, b.user].filter((u) => u !== undefined)
          added.push(...acked)
          return await everyLoginWorks(acked, slots, healAt, performance.now(), tally)
        }),
        detection
      ])
      const figures: HealFigures = { cut: label, ...seen, ...(up.ms !== undefined && { upMs: up.ms }), ...(post.ms !== undefined && { postMs: post.ms }), ...(users.ms !== undefined && { loginMs: users.ms }), ...(post.slowest !== undefined && { slowestRoom: post.slowest }) }
      heals.push(figures)
      for (const [what, w] of [['views', up], ['rooms', post], ['logins', users]] as Array<[string, Awaited]>) if (w.failure !== undefined) failures.push(`${label}, ${what}: ${w.failure}`)
      // views that do not heal: what the network did meanwhile (so that no one suspects the lab)
      if (up.failure !== undefined) failures.push(`${label}, the network ${HEAL_BOUND_MS} ms after the heal: ${await networkState(lab, hosts, cutHosts)}`)
      log(`  healed ${k + 1}: up ${show(up.ms)}, every room posted ${show(post.ms)}, logins ${show(users.ms)}; detected ${show(seen.restSawCutMs)} / ${show(seen.cutSawRestMs)}`)
      phase = { name: `after ${k + 1}`, since: performance.now() }
      settled.push({ heal: k + 1, from: Date.now(), to: Number.POSITIVE_INFINITY })
      // the next cut comes once the cluster takes posts again (or the load gave up)
      await load.awaitAcked(load.acked() + WARM_POSTS).catch((err: unknown) => { failures.push(`after ${label}: ${(err as Error).message}`) })
    }
  } finally {
    end0 = Date.now()
    if (settled.length > 0) (settled.at(-1) as { to: number }).to = Math.min((settled.at(-1) as { to: number }).to, end0)
    phase = { name: 'end', since: performance.now() }
    await load.stop()
    await reads.stop()
    await Promise.all(background)
  }

  // the end: every room takes a post through every node (a room stuck since the heal is caught
  // here), then every room is read through every node
  const end = performance.now()
  const taken = await everyRoomTakesPost(allRooms(), slots, tokens[2 % tokens.length] as string, `${tag}-end`, end, extra, tally, true)
  if (taken.failure !== undefined) failures.push(`at the end: ${taken.failure}`)
  const givenUp = load.posted.filter((p) => p.seq === undefined)
  if (givenUp.length > 0) notes.push(`${givenUp.length} posts of the load given up after ${TRIES} tries: ${countBy(givenUp.map((p) => p.room))}`)
  const posts = allPosts()
  const histories = new Map<string, Array<Map<number, string> | undefined>>()
  const staleAtEnd: string[] = []
  const unsettled: string[] = []
  let settledMs = 0
  const ends = await Promise.all(allRooms().map(async (room) => ({ room, end: await settledHistories(room, slots, reader, posts.filter((p) => p.room === room && p.seq !== undefined), tally) })))
  for (const { room, end } of ends) {
    histories.set(room, end.answers)
    staleAtEnd.push(...end.stale)
    if (end.settledMs === undefined) unsettled.push(room)
    else settledMs = Math.max(settledMs, end.settledMs)
    end.errors.forEach((e, i) => { if (e !== '' && end.answers[i] === undefined) failures.push(`${room}: no history through node ${i + 1} at the end within ${HEAL_BOUND_MS} ms (${e})`) })
  }
  notes.push(`at the end, every room read the same through every node, with every acknowledged post, after ${settledMs} ms at most${unsettled.length > 0 ? `, but for ${unsettled.length} rooms that did not within ${HEAL_BOUND_MS} ms: ${unsettled.slice(0, SHOWN).join(', ')}` : ''}`)
  const audit = auditHistories(histories, posts, failures)
  const unlisted = await unlistedRooms(slots, reader, posts, failures, tally)
  const dirty = reads.dirty((room) => histories.get(room)?.find((h) => h !== undefined))
  const staleReads = reads.staleCount + staleAtEnd.length
  if (staleReads > 0) failures.push(`${staleReads} stale reads of ${reads.reads + allRooms().length * slots.length}: ${[...reads.stale.slice(0, SHOWN).map((r) => `${r.room} through ${r.via} in ${r.phase} +${r.atMs} ms lacked seq ${r.missing.join(',')} (it held up to ${r.lastSeq})`), ...staleAtEnd.slice(0, 3)].join('; ')}`)
  if (dirty.length > 0) failures.push(`${dirty.length} dirty reads: ${dirty.slice(0, SHOWN).join('; ')}`)
  const unansweredPosts = load.errors.filter((e) => unanswered(e))
  const noAnswer = unansweredPosts.length + reads.unanswered + tally.unanswered
  if (noAnswer > 0) failures.push(`${noAnswer} calls unanswered within the client's deadline (${unansweredPosts.length} posts, ${reads.unanswered} reads, ${tally.unanswered} others)${unansweredPosts.length > 0 ? `: ${unansweredPosts.slice(0, 3).map((e) => `${e.post.room} through ${e.via.slice(-6)}`).join('; ')}` : ''}`)

  // once healed (every view up, every room posted), a post or read refused is a room not accepting posts
  // (a call counts when it began and was refused within that window: one in flight when the next
  // cut began may be refused because of that cut)
  for (const w of settled) {
    const within = (at: readonly [number, number]): boolean => at[0] >= w.from && at[1] < w.to
    const posts = load.errors.filter((e) => within(e.at))
    const readsFailed = reads.failedReads.filter((r) => within(r.at))
    if (posts.length + readsFailed.length > 0) {
      failures.push(`after heal ${w.heal} was complete (every view up, every room posted), ${posts.length} post tries and ${readsFailed.length} reads were refused in the ${Math.round((w.to - w.from) / 1000)} s until ${w.to === end0 ? 'the end' : 'the next cut'}: ${countBy(posts.map((e) => `${e.post.room.replace(`${tag}-`, '')} ${e.code ?? '?'}`))}${posts.length > 0 ? ` (first: ${shownError({ code: posts[0]?.code, message: posts[0]?.message })} through ${posts[0]?.via.slice(-6)})` : ''}${readsFailed.length > 0 ? ` (first read: ${shownError({ code: readsFailed[0]?.code, message: readsFailed[0]?.message })})` : ''}`)
    }
  }
  notes.push(`failed post tries by code: ${countBy(load.errors.map((e) => `${e.code ?? '?'}`))}; failed reads by code and phase: ${[...reads.failures].map(([k, n]) => `${k}: ${n}`).join(', ') || 'none'}`)
  if (reads.staleCount > 0) notes.push(`stale reads by phase and node: ${[...reads.staleBy].map(([k, n]) => `${k}: ${n}`).join(', ')} (cuts: ${heals.map((h) => h.cut).join('; ')})`)
  notes.push(...nodeWarnings(slots))
  return {
    name: scenario.name,
    tried: posts.length,
    acked: posts.filter((p) => p.seq !== undefined).length,
    lost: audit.lost,
    duplicated: audit.duplicated,
    divergedRooms: audit.diverged,
    unlistedRooms: unlisted,
    reads: reads.reads,
    staleReads,
    dirtyReads: dirty.length,
    unanswered: noAnswer,
    usersAdded: added.length,
    heals,
    failures,
    notes,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    evidence: {
      nodes: slots.map((s, i) => ({ node: i + 1, peerId: s.peerId })),
      heals,
      failures,
      posts: posts.map((p) => ({ room: p.room, text: p.text, seq: p.seq ?? null, sender: p.sender })),
      histories: Object.fromEntries([...histories].map(([room, hs]) => [room, hs.map((h) => (h === undefined ? null : [...h].sort((a, b) => a[0] - b[0])))])),
      staleReads: reads.stale,
      staleAtEnd,
      failedPostTries: load.errors.map((e) => ({ room: e.post.room, text: e.post.text, code: e.code, message: e.message.slice(0, 300), via: e.via, at: e.at }))
    }
  }
}

/** The heals whose figures miss issue 35's goals (every view up ≤ GOAL_UP_MS, every room posted
 * ≤ GOAL_POST_MS). */
export function overGoal (heals: readonly HealFigures[]): HealFigures[] {
  return heals.filter((h) => h.upMs === undefined || h.upMs > GOAL_UP_MS || h.postMs === undefined || h.postMs > GOAL_POST_MS)
}

/** The fence quorum of a partition: a majority of its replicas, at least the write quorum. */
function fenceQuorum (p: { readonly writeQuorum: number, readonly replicas: readonly unknown[] }): number {
  return Math.max(p.writeQuorum, Math.floor(p.replicas.length / 2) + 1)
}

/** Whether the nodes of `side` alone hold a fence quorum of an entity's replicas (`room/r1`), and
 * how many replicas a partition may lose (R - the fence quorum), as GET /partitions through the
 * first of them says. */
async function writableBy (side: readonly NodeSlot[]): Promise<{ writable: (entity: string) => boolean, mayLose: number }> {
  const partitions = await adminCall<Array<{ partition: number, writeQuorum: number, replicas: Array<{ peerId: string }> }>>(side[0] as NodeSlot, '/partitions?limit=1000')
  const ids = new Set(side.map((s) => s.peerId))
  const byNumber = new Map(partitions.map((p) => [p.partition, p]))
  return {
    writable: (entity) => {
      const p = byNumber.get(partitionOf(entity, partitions.length))
      return p !== undefined && p.replicas.filter((r) => ids.has(r.peerId)).length >= fenceQuorum(p)
    },
    mayLose: Math.min(...partitions.map((p) => p.replicas.length - fenceQuorum(p)))
  }
}

/** The drop rules in force and the TCP connections between each of `cut` and the other hosts,
 * as the kernel shows them: `rules in force: none; node 3: ESTAB 4 (unacked 0, retrans 0)`. */
async function networkState (lab: NetLab, hosts: readonly NetHost[], cut: readonly NetHost[]): Promise<string> {
  const rules = await lab.rulesInForce()
  const parts = [`rules in force: ${rules.length === 0 ? 'none' : rules.join(', ')}`]
  const peers = new Set(hosts.map((h) => h.ip))
  for (const h of cut) {
    const conns = (await lab.connections(h)).filter((c) => peers.has(c.peer.split(':')[0] as string))
    const states = countBy(conns.map((c) => c.state))
    parts.push(`node ${h.index}'s TCP connections to the other nodes: ${states} (unacked ${conns.reduce((a, c) => a + c.unacked, 0)}, retransmitted ${conns.reduce((a, c) => a + c.retrans, 0)} in all)`)
  }
  return parts.join('; ')
}

function show (ms: number | undefined): string {
  return ms === undefined ? '-' : `${ms} ms`
}

function countBy (keys: readonly string[]): string {
  const counts = new Map<string, number>()
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1)
  return [...counts].map(([k, n]) => `${k}: ${n}`).join(', ') || 'none'
}

/** Polls the views while a cut holds: when every node of the rest first saw every cut node not
 * `up`, and the cut nodes every node of the rest (ms from the cut). */
async function detect (rest: readonly NodeSlot[], cut: readonly NodeSlot[], since: number, over: () => boolean): Promise<{ restSawCutMs?: number, cutSawRestMs?: number }> {
  const sees = async (viewers: readonly NodeSlot[], others: readonly NodeSlot[]): Promise<boolean> => {
    const rows = await Promise.all(viewers.map(async (v) => await adminCall<MemberRow[]>(v, '/nodes').catch(() => [] as MemberRow[])))
    return rows.every((r) => r.length > 0 && others.every((o) => r.find((m) => m.peerId === o.peerId)?.status !== 'up'))
  }
  const out: { restSawCutMs?: number, cutSawRestMs?: number } = {}
  while (!over() && (out.restSawCutMs === undefined || out.cutSawRestMs === undefined)) {
    if (out.restSawCutMs === undefined && await sees(rest, cut)) out.restSawCutMs = Math.round(performance.now() - since)
    if (out.cutSawRestMs === undefined && await sees(cut, rest)) out.cutSawRestMs = Math.round(performance.now() - since)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return out
}

/** Adds user `name` through the nodes of `via` in turn, a try every DURING_RETRY_MS while
 * `going()`: its name and token once acknowledged, or the last error. */
async function addUser (name: string, via: readonly NodeSlot[], going: () => boolean, tally: CallTally): Promise<{ user?: { name: string, token: string }, last: string }> {
  let last = 'not tried'
  // one client id for every try: a try that finds the user stored by an earlier one whose answer
  // was an error is answered with the user and a new token
  const clientId = randomUUID()
  for (let attempt = 0; going(); attempt++) {
    try {
      const { token } = await adminCall<{ token: string }>(via[attempt % via.length] as NodeSlot, '/users', { method: 'POST', body: { name, clientId } })
      return { user: { name, token }, last: '' }
    } catch (err) {
      tally.note(err)
      // a name taken though every try carried one client id: a defect
      if (/\b409\b/.test(shownError(err))) return { last: attempt === 0 ? shownError(err) : `${shownError(err)}, with the client id of every try (the earlier tries were answered ${last})` }
      last = shownError(err)
    }
    await new Promise((resolve) => setTimeout(resolve, DURING_RETRY_MS))
  }
  return { last }
}

/** Makes room `room` by a first post through the nodes of `via` in turn (one client id), a try
 * every DURING_RETRY_MS while `going()`: the last error, '' once acknowledged. */
async function makeRoom (room: string, via: readonly NodeSlot[], token: string, going: () => boolean, made: string[], posts: Post[], tally: CallTally): Promise<string> {
  made.push(room)
  const post: Post = { sender: -2, room, text: `${room}-first`, clientId: randomUUID() }
  posts.push(post)
  let last = 'not tried'
  for (let attempt = 0; going(); attempt++) {
    const client = chatClient((via[attempt % via.length] as NodeSlot).node.grpc, token)
    try {
      post.seq = Number((await client.call<{ seq: number | string }>('Post', { room, text: post.text, clientId: post.clientId })).seq)
      return ''
    } catch (err) {
      tally.note(err)
      last = shownError(err)
    } finally {
      client.close()
    }
    await new Promise((resolve) => setTimeout(resolve, DURING_RETRY_MS))
  }
  return last
}

/** A room's whole history through `slot` (every page). */
async function historyOnce (client: ReturnType<typeof chatClient>, room: string): Promise<Map<number, string>> {
  const got = new Map<number, string>()
  for (let after = 0; ;) {
    const page = await client.call<{ messages?: Array<{ seq: number | string, text: string }> }>('History', { room, after, limit: 1000 })
    for (const m of page.messages ?? []) got.set(Number(m.seq), m.text)
    if ((page.messages ?? []).length < 1000) return got
    after = Math.max(...got.keys())
  }
}

/** The end, for one room: its history read through every node, again every SETTLE_POLL_MS until
 * the answers agree and hold every acknowledged post (or HEAL_BOUND_MS ran out). The reads of
 * the first round are reads like any other: one lacking an acknowledged post is stale. The last
 * answer of each node (undefined: it never answered) is what the audit checks. */
async function settledHistories (room: string, slots: readonly NodeSlot[], token: string, acked: readonly Post[], tally: CallTally): Promise<{ answers: Array<Map<number, string> | undefined>, stale: string[], settledMs?: number, errors: string[] }> {
  const clients = slots.map((s) => chatClient(s.node.grpc, token))
  const answers: Array<Map<number, string> | undefined> = slots.map(() => undefined)
  const errors: string[] = slots.map(() => '')
  const stale: string[] = []
  const t0 = performance.now()
  const holdsAll = (h: Map<number, string> | undefined): boolean => h !== undefined && acked.every((p) => h.get(p.seq as number) === p.text)
  const shown = (h: Map<number, string> | undefined): string => JSON.stringify([...h ?? []].sort((a, b) => a[0] - b[0]))
  try {
    for (let round = 0; ; round++) {
      await Promise.all(clients.map(async (c, i) => {
        try {
          answers[i] = await historyOnce(c, room)
          errors[i] = ''
          if (round === 0 && !holdsAll(answers[i])) stale.push(`${room} through node ${i + 1} at the end lacked seq ${acked.filter((p) => answers[i]?.get(p.seq as number) !== p.text).map((p) => p.seq).slice(0, 8).join(',')}`)
        } catch (err) {
          tally.note(err)
          errors[i] = shownError(err)
        }
      }))
      const agreed = errors.every((e) => e === '') && answers.every((h) => holdsAll(h) && shown(h) === shown(answers[0]))
      if (agreed) return { answers, stale, settledMs: Math.round(performance.now() - t0), errors }
      if (performance.now() - t0 > HEAL_BOUND_MS) return { answers, stale, errors }
      await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS))
    }
  } finally {
    for (const c of clients) c.close()
  }
}

/** Lost, duplicated and diverged, from every room's history through every node. */
function auditHistories (histories: ReadonlyMap<string, ReadonlyArray<Map<number, string> | undefined>>, posts: readonly Post[], failures: string[]): { lost: number, duplicated: number, diverged: number } {
  const lost: string[] = []
  const twice: string[] = []
  const diverged: string[] = []
  for (const [room, hs] of histories) {
    const shown = hs.map((h) => (h === undefined ? undefined : [...h].sort((a, b) => a[0] - b[0]).map(([seq, text]) => `${seq}:${text}`).join('\n')))
    const first = shown.find((s) => s !== undefined)
    const differing = shown.map((s, i) => (s !== undefined && s !== first ? i + 1 : 0)).filter((i) => i > 0)
    const h0 = hs.find((h) => h !== undefined)
    const seqs = [...h0?.keys() ?? []].sort((a, b) => a - b)
    const gap = seqs.some((s, i) => s !== i + 1)
    if (differing.length > 0 || gap) diverged.push(`${room}${differing.length > 0 ? ` differs through node ${differing.join(',')}` : ''}${gap ? ' has a gap in its seqs' : ''}`)
    for (const p of posts.filter((x) => x.room === room && x.seq !== undefined)) {
      const missing = hs.map((h, i) => (h !== undefined && h.get(p.seq as number) !== p.text ? i + 1 : 0)).filter((i) => i > 0)
      if (missing.length > 0) lost.push(`${p.text} (seq ${p.seq}) not there through ${missing.length === hs.length ? 'any node' : `node ${missing.join(',')}`} (${JSON.stringify(hs[(missing[0] as number) - 1]?.get(p.seq as number) ?? null)} at its seq)`)
    }
    const texts = [...h0?.values() ?? []].filter((t) => t !== '')
    twice.push(...texts.filter((t, i) => texts.indexOf(t) !== i).map((t) => `${room}: ${t}`))
  }
  if (lost.length > 0) failures.push(`${lost.length} acknowledged posts lost: ${lost.slice(0, SHOWN).join('; ')}`)
  if (twice.length > 0) failures.push(`${twice.length} posts stored twice: ${twice.slice(0, SHOWN).join('; ')}`)
  if (diverged.length > 0) failures.push(`${diverged.length} rooms diverged: ${diverged.slice(0, SHOWN).join('; ')}`)
  return { lost: lost.length, duplicated: twice.length, diverged: diverged.length }
}

/** Rooms with an acknowledged post that ListRooms does not list through some node. */
async function unlistedRooms (slots: readonly NodeSlot[], token: string, posts: readonly Post[], failures: string[], tally: CallTally): Promise<number> {
  const rooms = [...new Set(posts.filter((p) => p.seq !== undefined).map((p) => p.room))]
  const missing: string[] = []
  await Promise.all(slots.map(async (s, i) => {
    const client = chatClient(s.node.grpc, token)
    const t0 = performance.now()
    let last = ''
    try {
      while (performance.now() - t0 < HEAL_BOUND_MS) {
        try {
          const listed = new Set((await client.call<{ rooms?: Array<{ name: string }> }>('ListRooms', {})).rooms?.map((r) => r.name))
          for (const r of rooms) if (!listed.has(r)) missing.push(`${r} through node ${i + 1}`)
          return
        } catch (err) {
          tally.note(err)
          last = shownError(err)
        }
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      failures.push(`ListRooms through node ${i + 1} at the end: no answer but errors for ${HEAL_BOUND_MS} ms (${last})`)
    } finally {
      client.close()
    }
  }))
  if (missing.length > 0) failures.push(`${missing.length} rooms with acknowledged posts not listed: ${missing.slice(0, SHOWN).join('; ')}`)
  return missing.length
}

/** The nodes' warnings and errors, counted by message (the most frequent first), and how many of
 * their lines name a stale epoch: where to look when a run failed. */
function nodeWarnings (slots: readonly NodeSlot[]): string[] {
  const out: string[] = []
  for (const [i, s] of slots.entries()) {
    const counts = new Map<string, number>()
    let stale = 0
    for (const l of s.node.logs) {
      const line = JSON.stringify(l)
      if (line.includes('StaleEpoch')) stale++
      if (typeof l.level === 'number' && l.level >= 40) {
        const msg = String(l.msg).replace(/[0-9a-f]{8,}|\d+/gi, '#').slice(0, 120)
        counts.set(msg, (counts.get(msg) ?? 0) + 1)
      }
    }
    const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 6)
    if (top.length > 0 || stale > 0) out.push(`node ${i + 1} (${s.peerId.slice(-6)}): ${stale} lines name StaleEpoch; warnings: ${top.map(([m, n]) => `${n}× ${m}`).join(' | ') || 'none'}`)
  }
  return out
}
