/**
 * Chat post→deliver with the moderation example's hooks against a node without plugins (part c):
 * two `plexi node start` processes, the same but for the moderation plugin installed on one of them
 * (its before-post hook judges every post, its after-post hook counts every post), measured in
 * interleaved rounds through gRPC as bench/chat.ts measures post→deliver.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import { examplePackage } from '../test/helpers/example-plugins.ts'
import { chatClient, startNodeProcess } from '../test/helpers/node-process.ts'
import type { NodeProcess } from '../test/helpers/node-process.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { bounded, watch } from './chat.ts'
import { installPackage } from './plugins-cluster.ts'
import type { Client } from './plugins-load.ts'

const POSTS = 300
const ROUNDS = 3
/** The word the bench's list refuses (and no post of the bench holds). */
export const LISTED_WORD = 'scam'

export interface HookSamples {
  /** post→deliver, ms, on the node without plugins. */
  readonly without: number[]
  /** The same on the node with moderation. */
  readonly with: number[]
  /** The posts moderation refused while the bench made sure it was on (more than 0). */
  readonly refused: number
}

async function addUser (node: NodeProcess, name: string): Promise<string> {
  const res = await fetch(`http://${node.admin}/api/v1/users`, { method: 'POST', headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name }) })
  if (!res.ok) throw new Error(`bench: adding ${name}: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { token: string }).token
}

/** Writes the moderation word list into `dataDir`'s plugin folder, before the plugin starts. */
export async function writeWordList (dataDir: string): Promise<void> {
  const folder = join(dataDir, 'plugins-data', 'moderation')
  await mkdir(folder, { recursive: true })
  await writeFile(join(folder, 'words.txt'), `${LISTED_WORD}\nspam\n`)
}

/** Posts a listed word to `room` until moderation refuses it (its hooks are then on in the room's
 * node: rooms read the cluster's plugins every 2 s); the refusals. Bounded. */
export async function awaitRefusal (client: Client, room: string, timeout = 30_000): Promise<number> {
  const end = performance.now() + timeout
  let refused = 0
  while (performance.now() < end) {
    try {
      await client.call('Post', { room, text: `a ${LISTED_WORD} to see whether moderation is on` })
    } catch (err) {
      if ((err as grpc.ServiceError).code !== grpc.status.PERMISSION_DENIED) throw err
      refused++
      return refused
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`bench: moderation did not refuse a listed word in ${room} within ${timeout} ms`)
}

async function postDeliver (poster: Client, reader: Client, room: string, n: number): Promise<number[]> {
  const feed = watch(reader, room)
  await bounded(feed.live, 'the subscription')
  const samples: number[] = []
  for (let i = 0; i < n; i++) {
    const start = performance.now()
    const ack = await poster.call<{ seq: number }>('Post', { room, text: `latency ${i}` })
    await bounded(feed.reached(Number(ack.seq)), 'the delivery')
    samples.push(performance.now() - start)
  }
  feed.cancel()
  return samples
}

export async function measureHooks (log: (line: string) => void): Promise<HookSamples> {
  const dirs = [await tempDir('plexi-bench-nohook-'), await tempDir('plexi-bench-hook-')]
  const nodes: NodeProcess[] = []
  const clients: Client[] = []
  try {
    for (const dir of dirs) nodes.push(await startNodeProcess(dir.path, [], 40_000))
    const [plain, hooked] = nodes as [NodeProcess, NodeProcess]
    await writeWordList(hooked.dataDir)
    await installPackage(hooked, await examplePackage('moderation'))
    const pair = async (node: NodeProcess): Promise<[Client, Client]> => {
      const [a, b] = [chatClient(node.grpc, await addUser(node, 'alice')), chatClient(node.grpc, await addUser(node, 'bob'))]
      clients.push(a, b)
      return [a, b]
    }
    const [plainPoster, plainReader] = await pair(plain)
    const [hookPoster, hookReader] = await pair(hooked)
    const refused = await awaitRefusal(hookPoster, 'warm-up')
    log('  moderation judges the posts of the hooked node')
    await postDeliver(plainPoster, plainReader, 'warm-up', 100)
    await postDeliver(hookPoster, hookReader, 'warm-up', 100)
    const samples: HookSamples = { without: [], with: [], refused }
    for (let round = 0; round < ROUNDS; round++) {
      samples.without.push(...await postDeliver(plainPoster, plainReader, `latency-${round}`, POSTS))
      samples.with.push(...await postDeliver(hookPoster, hookReader, `latency-${round}`, POSTS))
    }
    return samples
  } finally {
    for (const c of clients) c.close()
    for (const n of nodes) await n.stop()
    for (const d of dirs) await d.remove()
  }
}
