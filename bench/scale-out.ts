/**
 * Scale out (issue 41): the same cluster steps at each size in BENCH_SCALE_OUT_SIZES (5 and 30 by
 * default), real `plexi node start` processes, each in a network namespace of its own on one bridge
 * (or on a loopback address of its own where namespaces cannot be made: the log says which),
 * mixed roles (chat on every node, storage on a third, ai on a tenth), a chat load across the
 * cluster during every step:
 *
 * - idle: what each node sends per second with nothing to do but stay a member (its interface's
 *   packets and bytes; mesh envelopes), and its RSS;
 * - load: posts/s over the whole cluster and each node's CPU share, beside one node alone with the
 *   same load on the same machine (the machine, not the protocol, as the bound);
 * - activations: mesh envelopes per first post to a room never used (activation, fencing and the
 *   append), over and above the idle rate;
 * - join: a chat node more, under the load: until it is up in every view (from its start, and from
 *   its being ready), the entities that moved (migrations) against all that were active, and the
 *   client errors meanwhile;
 * - kill: a chat node SIGKILLed under the load: until it is down in every view, and until each of
 *   its rooms takes a post again after that.
 *
 * Figures at the largest size stand beside the smallest's (flat is the goal) or the issue's goal.
 * Knobs: BENCH_SCALE_OUT_SIZES (5,30), BENCH_SCALE_OUT_SECONDS (10: each idle and load window),
 * BENCH_SCALE_OUT_UP_S (60: how long the views are watched after the last join, every 10 s, before
 * every node must list every member up).
 */
import { readFile } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { ChatLoad } from '../test/helpers/chat-load.ts'
import { chatClient } from '../test/helpers/node-process.ts'
import { ProcessCluster } from '../test/helpers/process-cluster.ts'
import type { NodeSlot } from '../test/helpers/process-cluster.ts'
import { seriesValue } from '../test/helpers/metric-text.ts'
import { rssOf } from './scale-memory.ts'
import { collector, envNumber, figure } from './figure.ts'
import type { Bench, Figure } from './figure.ts'
import { cpuSeconds, entitiesActive, inEveryView, metricSum, placeNodes, sentByInterface } from './scale-out-lab.ts'

const MIB = 1024 * 1024
/** Limits lifted (the load comes from one address), llama.cpp on the CPU with one thread. */
const NODE_ARGS = ['--ip-rate', '0', '--user-rate', '0', '--chat-rate', '100000', '--chat-burst', '100000', '--gpu', 'off', '--inference-threads', '1',
  // (BENCH_SCALE_OUT_ARGS: more flags for every node, as `--no-versioned-fences`)
  ...(process.env.BENCH_SCALE_OUT_ARGS ?? '').split(' ').filter((a) => a !== '')]
/** Chat senders per node, and rooms per node, in the load. */
const SENDERS_PER_NODE = 2
const ROOMS_PER_NODE = 4
/** Rooms first posted to, to count what an activation costs (BENCH_SCALE_OUT_ACTIVATIONS). */
const ACTIVATIONS = envNumber('BENCH_SCALE_OUT_ACTIVATIONS', 40)
/** The envelope kinds (plexi_mesh_envelopes_sent_by_kind_total) a first post to a room sends: the
 * post to the room's owner, the room's registration in the rooms directory, the fences, appends and
 * summaries to the replicas of both, and a claim of a recent previous owner. */
const ACTIVATION_KINDS = ['entity room post', 'entity rooms register', 'actor shard replica fence', 'actor shard replica append', 'actor shard replica summary', 'actor migration claim']
/** The idle windows just before and just after the activations, whose envelope rate they are counted over. */
const IDLE_BEFORE_ACTIVATIONS_MS = 5_000
/** How long a view may take to see a join or a death before the bench gives up. */
const VIEW_TIMEOUT_MS = 60_000

/** What one cluster size measured. */
interface SizeResult {
  readonly n: number
  readonly idle: { packets: number[], bytes: number[], envelopes: number[], rssMiB: number[] }
  readonly load: { postsPerS: number, cpuShare: number[] }
  readonly envelopesPerActivation: number
  /** Fences the cluster's replicas answered per activation: how many nodes a take asks. */
  readonly fencesPerActivation: number
  /** The requests of the kinds an activation sends (ACTIVATION_KINDS) and as many replies, per
   * activation: the total above less what background work (anti-entropy, directory feeds) sent
   * in the same window. */
  readonly ownPerActivation: number
  readonly join: { upFromStartMs: number, upFromReadyMs: number, moved: number, active: number, errors: number }
  readonly kill: { downMs: number, postsAgainMs: number, rooms: number }
}

/** The roles of node i of n: chat everywhere, storage on the first third (at least 3), ai on the last tenth (at least 1). */
function rolesOf (i: number, n: number): string {
  const storage = Math.max(3, Math.round(n / 3))
  const ai = Math.max(1, Math.round(n / 10))
  return ['chat', ...(i < storage ? ['storage'] : []), ...(i >= n - ai && i >= storage ? ['ai'] : [])].join(',')
}

export const scaleOutBench: Bench = {
  name: 'scale-out',
  description: 'issue 41: 5 and 30 real nodes (a network namespace each): idle traffic per node, posts/s against one node alone, envelopes and fences per activation, a join and a SIGKILL under load (views, moves, errors, rooms back)',
  async run (log) {
    const sizes = (process.env.BENCH_SCALE_OUT_SIZES ?? '5,30').split(',').map((s) => Number(s.trim()))
    if (sizes.some((s) => !Number.isInteger(s) || s < 4 || s > 100)) throw new Error(`BENCH_SCALE_OUT_SIZES: sizes 4 to 100, comma-separated; got ${process.env.BENCH_SCALE_OUT_SIZES ?? ''}`)
    const seconds = envNumber('BENCH_SCALE_OUT_SECONDS', 10)
    const { figures, add } = collector(log)
    const senders = SENDERS_PER_NODE * Math.max(...sizes)
    const alone = await aloneRate(senders, seconds, log)
    const results: SizeResult[] = []
    for (const n of sizes) results.push(await measureSize(n, seconds, senders, log))
    for (const f of sizeFigures(results, alone)) add(f)
    return figures
  }
}

/** Posts/s of one node alone (chat and storage, no cluster key) with `senders` senders. */
async function aloneRate (senders: number, seconds: number, log: (line: string) => void): Promise<number> {
  const cluster = new ProcessCluster({ args: NODE_ARGS })
  try {
    await cluster.start(['chat,storage'])
    const token = await cluster.addUser('alone')
    const load = new ChatLoad({ tag: 'alone', rooms: Array.from({ length: ROOMS_PER_NODE * 4 }, (_, i) => `alone-${i}`), senders, tokens: [token], via: () => cluster.slots[0] as NodeSlot, tries: 3 })
    try {
      const { rate } = await measureLoad(load, [cluster.slots[0] as NodeSlot], seconds)
      log(`  one node alone, ${senders} senders: ${rate.toFixed(0)} posts/s`)
      return rate
    } finally {
      await load.stop()
    }
  } finally {
    await cluster.close()
  }
}

/** Waits (two minutes at most) until no storage node's roster names a partition whose hand-off is
 * not settled (plexi_roster_unsettled_partitions 0): what an activation fences then is the steady
 * state. Said when it did not. */
async function awaitHandOffsSettled (cluster: ProcessCluster, log: (line: string) => void): Promise<void> {
  const started = performance.now()
  let left = -1
  while (performance.now() - started < 120_000) {
    const values = await Promise.all(cluster.running().map(async (s) => seriesValue(await cluster.metrics(s), 'plexi_roster_unsettled_partitions')))
    left = values.reduce<number>((m, v) => Math.max(m, v ?? 0), 0)
    if (left === 0) return
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  log(`    hand-offs still not settled after 120 s: ${left} partitions on the node with the most`)
}

/** Posts acknowledged per second over `seconds` after a warm-up, and each node's CPU share (of one core). */
async function measureLoad (load: ChatLoad, slots: readonly NodeSlot[], seconds: number): Promise<{ rate: number, cpuShare: number[] }> {
  await load.awaitAcked(load.acked() + slots.length * 4)
  const acked = load.acked()
  const cpu = await Promise.all(slots.map(async (s) => await cpuSeconds(s.node.pid)))
  const t0 = performance.now()
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
  const elapsed = (performance.now() - t0) / 1000
  const cpuAfter = await Promise.all(slots.map(async (s) => await cpuSeconds(s.node.pid)))
  return { rate: (load.acked() - acked) / elapsed, cpuShare: cpuAfter.map((c, i) => (c - (cpu[i] as number)) / elapsed) }
}

async function measureSize (n: number, seconds: number, senders: number, log: (line: string) => void): Promise<SizeResult> {
  const placed = await placeNodes()
  log(`  ${n} nodes, each on ${placed.kind}${placed.why === undefined ? '' : ` (${placed.why})`}`)
  // the failure timeout users get by default (3 s), not the tests' short one
  const cluster = new ProcessCluster({ args: NODE_ARGS, placement: placed.placement, bootMs: 180_000, failureTimeout: 3_000 })
  let load: ChatLoad | undefined
  try {
    const booted = performance.now()
    // three first, then each of the others joining every member that runs (as an operator gives a
    // new node several members to join: the first member alone would take every join's dial)
    const roles = Array.from({ length: n }, (_, i) => rolesOf(i, n))
    await cluster.start(roles.slice(0, 3))
    for (const r of roles.slice(3)) await cluster.add(r)
    await watchViews(cluster, n, envNumber('BENCH_SCALE_OUT_UP_S', 60), log)
    await cluster.awaitUp(n)
    await cluster.awaitSettled(n)
    await cluster.awaitCaughtUp()
    await awaitHandOffsSettled(cluster, log)
    const slots = [...cluster.slots]
    log(`    ${n} nodes up and settled in ${((performance.now() - booted) / 1000).toFixed(0)} s: ${summarizeRoles(slots)}`)
    const tokens = [await cluster.addUser(`u${n}a`), await cluster.addUser(`u${n}b`)]
    const idle = await measureIdle(cluster, slots, seconds, log)
    log(`    idle, per node per second: ${mean(idle.packets).toFixed(0)} packets (max ${Math.max(...idle.packets).toFixed(0)}), ${(mean(idle.bytes) / 1024).toFixed(1)} KiB, ${mean(idle.envelopes).toFixed(1)} envelopes; RSS ${mean(idle.rssMiB).toFixed(0)} MiB (max ${Math.max(...idle.rssMiB).toFixed(0)})`)
    const { envelopes: envelopesPerActivation, fences: fencesPerActivation, own: ownPerActivation } = await activations(cluster, slots, tokens, log)
    log(`    ${envelopesPerActivation.toFixed(1)} envelopes (${ownPerActivation.toFixed(1)} of an activation's own kinds) and ${fencesPerActivation.toFixed(1)} fences answered per activation (first post to a room never used)`)
    const rooms = Array.from({ length: ROOMS_PER_NODE * n }, (_, i) => `so${n}-${i}`)
    load = new ChatLoad({ tag: `so${n}`, rooms, senders, tokens, via: (s) => slots[s % n] as NodeSlot, tries: 5, retryForMs: 30_000, retryVia: (s) => slots[(s + 1) % n] as NodeSlot })
    const measured = await measureLoad(load, slots, seconds)
    log(`    load: ${measured.rate.toFixed(0)} posts/s over ${n} nodes; CPU per node ${pct(mean(measured.cpuShare))} of a core (max ${pct(Math.max(...measured.cpuShare))})`)
    const join = await joinUnderLoad(cluster, load, n, log)
    const kill = await killUnderLoad(cluster, load, rooms, tokens[0] as string, log)
    return { n, idle, load: { postsPerS: measured.rate, cpuShare: measured.cpuShare }, envelopesPerActivation, fencesPerActivation, ownPerActivation, join, kill }
  } finally {
    await load?.stop().catch(() => undefined)
    await cluster.close()
    await placed.close()
  }
}

/** Until every node lists `n` members up, or `seconds` (then awaitUp says what each lists): every
 * 10 s the machine's load and how many members the nodes list up (lowest, median, highest), so
 * that a run at a size that does not converge shows whether it is converging slowly or falling apart. */
async function watchViews (cluster: ProcessCluster, n: number, seconds: number, log: (line: string) => void): Promise<void> {
  const started = performance.now()
  for (;;) {
    const counts = (await Promise.all(cluster.slots.map(async (s) => await cluster.upCount(s).catch(() => -1)))).sort((a, b) => a - b)
    const elapsed = (performance.now() - started) / 1000
    const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')
    log(`    ${elapsed.toFixed(0)} s after the last join: members listed up ${counts[0] ?? 0} / ${counts[Math.floor(counts.length / 2)] ?? 0} / ${counts[counts.length - 1] ?? 0} (lowest / median / highest of ${counts.length} views); load ${load}`)
    if (counts.every((c) => c === n) || elapsed >= seconds) return
    await new Promise((resolve) => setTimeout(resolve, 10_000))
  }
}

/** What each node sends per second while idle, and its RSS; the log says what the envelopes and
 * membership messages were (by kind, the whole cluster's, per node per second). */
async function measureIdle (cluster: ProcessCluster, slots: readonly NodeSlot[], seconds: number, log: (line: string) => void): Promise<SizeResult['idle']> {
  const read = async (): Promise<Array<{ packets: number, bytes: number, envelopes: number, kinds: Map<string, number> }>> => await Promise.all(slots.map(async (s) => {
    const sent = await sentByInterface(s.node.pid)
    const text = await cluster.metrics(s)
    return { packets: sent?.packets ?? Number.NaN, bytes: sent?.bytes ?? Number.NaN, envelopes: metricSum(text, 'plexi_mesh_envelopes_sent_total'), kinds: kindsOf(text) }
  }))
  const before = await read()
  const t0 = performance.now()
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
  const after = await read()
  const elapsed = (performance.now() - t0) / 1000
  const rss = await Promise.all(slots.map(async (s) => (await rssOf(s.node.pid)).rss / MIB))
  // the metrics read itself (one scrape per node per read) is in the packets: a few per node
  const per = (k: 'packets' | 'bytes' | 'envelopes'): number[] => after.map((a, i) => (a[k] - (before[i] as typeof a)[k]) / elapsed)
  const kinds = new Map<string, number>()
  after.forEach((a, i) => {
    for (const [kind, n] of a.kinds) kinds.set(kind, (kinds.get(kind) ?? 0) + (n - ((before[i] as typeof a).kinds.get(kind) ?? 0)) / elapsed / slots.length)
  })
  const top = [...kinds].filter(([, v]) => v > 0.05).sort((a, b) => b[1] - a[1]).slice(0, 8)
  log(`    idle, what each node sends per second by kind: ${top.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`)
  const byRoles = new Map<string, number[]>()
  slots.forEach((s, i) => { byRoles.set(s.roles, [...(byRoles.get(s.roles) ?? []), rss[i] as number]) })
  log(`    idle RSS by roles: ${[...byRoles].map(([roles, r]) => `${roles} ${mean(r).toFixed(0)} MiB (max ${Math.max(...r).toFixed(0)}, ${r.length} nodes)`).join('; ')}`)
  return { packets: per('packets'), bytes: per('bytes'), envelopes: per('envelopes'), rssMiB: rss }
}

/** Envelopes by kind and membership messages by kind, from a node's /metrics text. */
function kindsOf (text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const m of text.matchAll(/^plexi_mesh_(envelopes_sent_by_kind|membership_sent)_total\{kind="([^"]*)"\} (\S+)$/gm)) {
    out.set(`${m[1] === 'membership_sent' ? 'membership ' : ''}${m[2] ?? ''}`, Number(m[3]))
  }
  return out
}

/** Mesh envelopes per first post to a room never used, over and above the idle rate (measured in
 * the seconds just before and just after: background repairs vary over a run, and a rate from
 * minutes earlier subtracted too much or too little), and the fences the replicas answered per such
 * post (what an activation asks, whatever else the cluster sends meanwhile). Each count is stamped
 * at the middle of its read (30 nodes' metrics take a while to read), and the activations' window
 * runs from one stamp to the next: what the cluster sent while other metrics were read is idle
 * traffic in the window, subtracted with the rest. */
async function activations (cluster: ProcessCluster, slots: readonly NodeSlot[], tokens: readonly string[], log: (line: string) => void): Promise<{ envelopes: number, fences: number, own: number }> {
  const sum = async (name: string): Promise<number> => (await Promise.all(slots.map(async (s) => metricSum(await cluster.metrics(s), name)))).reduce((a, b) => a + b, 0)
  const mark = async (): Promise<{ sent: number, at: number }> => {
    const start = performance.now()
    const sent = await sum('plexi_mesh_envelopes_sent_total')
    return { sent, at: (start + performance.now()) / 2 }
  }
  const kindsNow = async (): Promise<Map<string, number>> => {
    const all = new Map<string, number>()
    for (const text of await Promise.all(slots.map(async (s) => await cluster.metrics(s)))) for (const [k, v] of kindsOf(text)) all.set(k, (all.get(k) ?? 0) + v)
    return all
  }
  const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }
  const idleFrom = await mark()
  await sleep(IDLE_BEFORE_ACTIVATIONS_MS)
  const kindsBefore = await kindsNow()
  const fencesBefore = await sum('plexi_replication_replica_fences_total')
  const before = await mark()
  for (let i = 0; i < ACTIVATIONS; i++) {
    const client = chatClient((slots[i % slots.length] as NodeSlot).node.grpc, tokens[0] as string)
    try {
      await client.call('Post', { room: `act-${slots.length}-${i}`, text: 'first', clientId: randomUUID() })
    } finally {
      client.close()
    }
  }
  const after = await mark()
  const fences = (await sum('plexi_replication_replica_fences_total') - fencesBefore) / ACTIVATIONS
  const kindsAfter = await kindsNow()
  await sleep(IDLE_BEFORE_ACTIVATIONS_MS)
  const idleTo = await mark()
  const idlePerS = (before.sent - idleFrom.sent + idleTo.sent - after.sent) / ((before.at - idleFrom.at + idleTo.at - after.at) / 1000)
  const elapsed = (after.at - before.at) / 1000
  // (what the activations' envelopes were, by kind, idle ones included: the figure subtracts those)
  const kinds = [...kindsAfter].filter(([k]) => !k.startsWith('membership ')).map(([k, v]): [string, number] => [k, (v - (kindsBefore.get(k) ?? 0)) / ACTIVATIONS]).filter(([, v]) => v >= 0.05).sort((a, b) => b[1] - a[1])
  log(`    per activation by kind (idle included, over ${elapsed.toFixed(1)} s; idle ${idlePerS.toFixed(1)} envelopes/s before and after): ${kinds.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`)
  // (each of those requests is answered once: a reply each)
  const own = 2 * kinds.filter(([k]) => ACTIVATION_KINDS.includes(k)).reduce((sum, [, v]) => sum + v, 0)
  return { envelopes: (after.sent - before.sent - idlePerS * elapsed) / ACTIVATIONS, fences, own }
}

/** A chat node more under the load: until every view has it up, the entities moved, the client errors. */
async function joinUnderLoad (cluster: ProcessCluster, load: ChatLoad, n: number, log: (line: string) => void): Promise<SizeResult['join']> {
  const slots = cluster.running()
  const active = await entitiesActive(cluster, slots[0] as NodeSlot)
  const migrations = async (): Promise<number> => (await Promise.all(slots.map(async (s) => metricSum(await cluster.metrics(s), 'plexi_migrations_total', 'trigger="rebalance"')))).reduce((a, b) => a + b, 0)
  const movedBefore = await migrations()
  const errorsBefore = load.errors.length
  const started = performance.now()
  const joined = await cluster.add('chat')
  const ready = performance.now()
  const upAt = await inEveryView(cluster, [...slots, joined], joined.peerId, (s) => s === 'up', VIEW_TIMEOUT_MS)
  // the new member takes its share once it has been up the settle time: wait for that, then the moves
  await cluster.awaitSettled(n + 1)
  await load.awaitAcked(load.acked() + n * 4)
  const moved = await migrations() - movedBefore
  const errors = load.errors.length - errorsBefore
  const result = { upFromStartMs: upAt - started, upFromReadyMs: Math.max(0, upAt - ready), moved, active, errors }
  log(`    join: up in every view ${result.upFromStartMs.toFixed(0)} ms after its start (${result.upFromReadyMs.toFixed(0)} ms after it was ready); ${moved} of ${active} entities moved (${pct(moved / Math.max(1, active))}, 1/${n + 1} = ${pct(1 / (n + 1))}); ${errors} failed tries`)
  return result
}

/** A chat-only node SIGKILLed under the load: until every other view has it down, and until each
 * room it owned takes a post again. */
async function killUnderLoad (cluster: ProcessCluster, load: ChatLoad, rooms: readonly string[], token: string, log: (line: string) => void): Promise<SizeResult['kill']> {
  const slots = cluster.running()
  // the chat-only node (not the first, which the bench adds users through) that owns most of the load's rooms
  const via = slots[0] as NodeSlot
  const owners = await Promise.all(rooms.map(async (room) => await cluster.ownerOf(via, 'room', 'chat', room)))
  const owning = (s: NodeSlot): string[] => rooms.filter((_, i) => owners[i] === s.peerId)
  const victim = slots.filter((s, i) => i > 0 && s.roles === 'chat').sort((a, b) => owning(b).length - owning(a).length)[0]
  if (victim === undefined) throw new Error('no chat-only node to kill')
  const owned = owning(victim)
  const others = slots.filter((s) => s !== victim)
  await load.moveOff(victim, (s) => others[s % others.length] as NodeSlot)
  const killedAt = performance.now()
  process.kill(victim.node.pid, 'SIGKILL')
  const back = owned.map(async (room) => await postsAgain(via, room, token))
  const downAt = await inEveryView(cluster, others, victim.peerId, (s) => s === 'down', VIEW_TIMEOUT_MS)
  const acceptedAt = owned.length === 0 ? downAt : Math.max(...await Promise.all(back))
  await victim.node.exited
  const result = { downMs: downAt - killedAt, postsAgainMs: acceptedAt - downAt, rooms: owned.length }
  log(`    kill: down in every view ${result.downMs.toFixed(0)} ms after the SIGKILL; its ${owned.length} rooms took posts again ${result.postsAgainMs.toFixed(0)} ms after that`)
  return result
}

/** When (performance.now()) a post to `room` is first acknowledged: a try every 100 ms with one
 * client id (a try that hangs on the dead owner does not hold the next back), at most 600 tries. */
async function postsAgain (via: NodeSlot, room: string, token: string): Promise<number> {
  const client = chatClient(via.node.grpc, token)
  const clientId = randomUUID()
  try {
    return await new Promise<number>((resolve, reject) => {
      let tries = 0
      let done = false
      const attempt = (): void => {
        if (done) return
        if (++tries > 600) { done = true; reject(new Error(`room ${room} took no post in 60 s`)); return }
        client.call('Post', { room, text: 'again', clientId }).then(() => { if (!done) { done = true; resolve(performance.now()) } }, () => {})
        setTimeout(attempt, 100)
      }
      attempt()
    })
  } finally {
    client.close()
  }
}

function sizeFigures (results: readonly SizeResult[], alone: number): Figure[] {
  const small = results[0] as SizeResult
  const out: Figure[] = []
  for (const r of results) {
    const at = `${r.n} nodes`
    out.push(figure(`scale-out ${at}: a joining node up in every view, from its being ready`, 'ms', r.join.upFromReadyMs, `at ${small.n} nodes`, small.join.upFromReadyMs, '<= 3000 ms'))
    out.push(figure(`scale-out ${at}: the same from its process's start (its boot included)`, 'ms', r.join.upFromStartMs, `at ${small.n} nodes`, small.join.upFromStartMs))
    out.push(figure(`scale-out ${at}: a SIGKILLed node down in every view`, 'ms', r.kill.downMs, `at ${small.n} nodes`, small.kill.downMs, '<= 3000 ms'))
    if (r.kill.rooms > 0) out.push(figure(`scale-out ${at}: its ${r.kill.rooms} rooms take posts again after that`, 'ms', r.kill.postsAgainMs, `at ${small.n} nodes`, small.kill.postsAgainMs, '<= 2000 ms'))
    out.push(figure(`scale-out ${at}: entities moved by a join, share of those active`, 'share', r.join.moved / Math.max(1, r.join.active), `1.5/${r.n}`, 1.5 / r.n, '<= 1.5/N'))
    out.push(figure(`scale-out ${at}: client errors during the join`, 'tries', r.join.errors, 'none', 0, '0'))
    out.push(figure(`scale-out ${at}: envelopes per activation`, 'envelopes', r.envelopesPerActivation, `at ${small.n} nodes`, small.envelopesPerActivation, '<= 1.2x'))
    out.push(figure(`scale-out ${at}: an activation's own envelopes (its requests' kinds, and their replies)`, 'envelopes', r.ownPerActivation, `at ${small.n} nodes`, small.ownPerActivation, '<= 1.2x'))
    out.push(figure(`scale-out ${at}: fences answered per activation (nodes a take asks)`, 'fences', r.fencesPerActivation, `at ${small.n} nodes`, small.fencesPerActivation, '<= 1.2x'))
    out.push(figure(`scale-out ${at}: packets sent per idle node per second`, 'packets/s', mean(r.idle.packets), `at ${small.n} nodes`, mean(small.idle.packets), '<= 1.2x'))
    out.push(figure(`scale-out ${at}: envelopes sent per idle node per second`, 'envelopes/s', mean(r.idle.envelopes), `at ${small.n} nodes`, mean(small.idle.envelopes), '<= 1.2x'))
    out.push(figure(`scale-out ${at}: posts/s, whole cluster (CPU per node ${pct(mean(r.load.cpuShare))} of a core)`, 'posts/s', r.load.postsPerS, 'one node alone (no replication), same load, same machine', alone, '>= 0.8x'))
    out.push(figure(`scale-out ${at}: posts/s, whole cluster, against the smallest cluster on the same machine`, 'posts/s', r.load.postsPerS, `at ${small.n} nodes`, small.load.postsPerS, '>= 0.8x'))
    out.push(figure(`scale-out ${at}: RSS per idle node (the largest)`, 'MiB', Math.max(...r.idle.rssMiB), `at ${small.n} nodes`, Math.max(...small.idle.rssMiB), '<= 150 MiB'))
  }
  return out
}

function summarizeRoles (slots: readonly NodeSlot[]): string {
  const count = new Map<string, number>()
  for (const s of slots) count.set(s.roles, (count.get(s.roles) ?? 0) + 1)
  return [...count].map(([roles, k]) => `${k} ${roles}`).join(', ')
}

function mean (values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)
}

function pct (share: number): string {
  return `${(share * 100).toFixed(0)}%`
}
