/**
 * Chat post→deliver with a before-post hook against a node without plugins (part c): three
 * `plexi node start` processes, the same but for their plugins: none; the bench's gate plugin
 * (bench/fixtures/gate-plugin: a before-post hook alone, its verdict from memory: issue 37's goal);
 * the moderation example (its before-post hook judges every post against its list file, its
 * after-post hook counts every post into a file). Measured in interleaved rounds through gRPC as
 * bench/chat.ts measures post→deliver.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import { packPluginDir } from '../cli/plugin-pack.ts'
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

const GATE = fileURLToPath(new URL('./fixtures/gate-plugin', import.meta.url))

export interface HookSamples {
  /** post→deliver, ms, on the node without plugins. */
  readonly without: number[]
  /** The same on the node with the gate plugin's before-post hook alone. */
  readonly with: number[]
  /** The same on the node with moderation (both hooks, a file read and written per post). */
  readonly moderation: number[]
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
  const dirs = [await tempDir('plexi-bench-nohook-'), await tempDir('plexi-bench-gate-'), await tempDir('plexi-bench-hook-')]
  const nodes: NodeProcess[] = []
  const clients: Client[] = []
  try {
    for (const dir of dirs) nodes.push(await startNodeProcess(dir.path, [], 40_000))
    const [plain, gated, hooked] = nodes as [NodeProcess, NodeProcess, NodeProcess]
    await installPackage(gated, await packPluginDir(GATE))
    await writeWordList(hooked.dataDir)
    await installPackage(hooked, await examplePackage('moderation'))
    const pair = async (node: NodeProcess): Promise<[Client, Client]> => {
      const [a, b] = [chatClient(node.grpc, await addUser(node, 'alice')), chatClient(node.grpc, await addUser(node, 'bob'))]
      clients.push(a, b)
      return [a, b]
    }
    const [plainPoster, plainReader] = await pair(plain)
    const [gatePoster, gateReader] = await pair(gated)
    const [hookPoster, hookReader] = await pair(hooked)
    const refused = await awaitRefusal(gatePoster, 'warm-up') + await awaitRefusal(hookPoster, 'warm-up')
    log('  the gate and moderation judge the posts of their nodes')
    await postDeliver(plainPoster, plainReader, 'warm-up', 100)
    await postDeliver(gatePoster, gateReader, 'warm-up', 100)
    await postDeliver(hookPoster, hookReader, 'warm-up', 100)
    const samples: HookSamples = { without: [], with: [], moderation: [], refused }
    for (let round = 0; round < ROUNDS; round++) {
      samples.without.push(...await postDeliver(plainPoster, plainReader, `latency-${round}`, POSTS))
      samples.with.push(...await postDeliver(gatePoster, gateReader, `latency-${round}`, POSTS))
      samples.moderation.push(...await postDeliver(hookPoster, hookReader, `latency-${round}`, POSTS))
    }
    return samples
  } finally {
    for (const c of clients) c.close()
    for (const n of nodes) await n.stop()
    for (const d of dirs) await d.remove()
  }
}
