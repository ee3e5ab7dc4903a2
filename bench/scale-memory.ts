/**
 * The memory part of `npm run bench -- scale`: every user holds a live chat subscription (a gRPC
 * Subscribe stream, user i to node i mod 3, in one of USERS / USERS_PER_ROOM rooms) and an active
 * agent (activated by the agents part, which runs first), and each node's resident memory is read
 * from /proc (VmRSS, and VmHWM: its peak since it started). Goal: < 2 GiB per node. The baseline is
 * the same node's RSS before the users were added.
 */
import { readFile } from 'node:fs/promises'
import * as grpc from '@grpc/grpc-js'
import { loadChatService } from '../protocols/grpc/index.ts'

/** Users per room: a room of a small team. */
export const USERS_PER_ROOM = 10
export const RSS_GOAL_BYTES = 2 * 1024 ** 3
/** Subscriptions opened at once (each asks its room for its info and history first). */
const OPENING = 64
/** Streams per connection: HTTP/2 multiplexes them; a few connections per node, as a gateway's
 * load balancer in front of many clients would give. */
const STREAMS_PER_CHANNEL = 1_000
const LIVE_TIMEOUT_MS = 60_000

/** Resident memory of a process now and at its peak (bytes), from /proc/PID/status. */
export async function rssOf (pid: number): Promise<{ rss: number, hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') }
}

/** Opens a Subscribe stream per user and waits until each one is live; `close()` cancels them all. */
export async function subscribeAll (nodes: readonly string[], tokens: readonly string[]): Promise<{ seconds: number, close: () => void }> {
  const { Client } = loadChatService()
  const channels = new Map<string, grpc.Client>()
  const clientFor = (i: number): grpc.Client => {
    const node = nodes[i % nodes.length] as string
    const key = `${node}#${Math.floor(i / nodes.length / STREAMS_PER_CHANNEL)}`
    let client = channels.get(key)
    if (client === undefined) {
      client = new Client(node, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }) as grpc.Client
      channels.set(key, client)
    }
    return client
  }
  const streams: Array<grpc.ClientReadableStream<unknown>> = []
  const close = (): void => {
    for (const s of streams) s.cancel()
    for (const c of channels.values()) c.close()
  }
  const started = performance.now()
  let next = 0
  try {
    await Promise.all(Array.from({ length: OPENING }, async () => {
      while (next < tokens.length) {
        const i = next++
        const md = new grpc.Metadata()
        md.set('authorization', `Bearer ${tokens[i] as string}`)
        const client = clientFor(i) as grpc.Client & { Subscribe: (req: unknown, md: grpc.Metadata) => grpc.ClientReadableStream<{ live?: unknown }> }
        const stream = client.Subscribe({ room: `scale-${Math.floor(i / USERS_PER_ROOM)}`, after: 0 }, md)
        streams.push(stream)
        await live(stream, i)
      }
    }))
  } catch (err) {
    close()
    throw err
  }
  return { seconds: (performance.now() - started) / 1000, close }
}

function live (stream: grpc.ClientReadableStream<{ live?: unknown }>, i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`user ${i}'s subscription was not live within ${LIVE_TIMEOUT_MS} ms`)) }, LIVE_TIMEOUT_MS)
    stream.on('data', (event: { live?: unknown }) => {
      if (event.live != null) {
        clearTimeout(timer)
        resolve()
      }
    })
    stream.on('error', (err: grpc.ServiceError) => {
      clearTimeout(timer)
      // a cancel at the end of the bench is no failure
      if (err.code !== grpc.status.CANCELLED) reject(new Error(`user ${i}'s subscription failed: ${err.details}`))
    })
  })
}
