/**
 * Chat post→deliver with a before-post hook against a node without plugins (part c): `plexi node
 * start` processes, the same but for their plugins: none; the bench's gate plugin
 * (bench/fixtures/gate-plugin: a before-post hook alone, its verdict from memory: issue 37's goal);
 * the moderation example (its before-post hook judges every post against its list file, its
 * after-post hook counts every post into a file). Each is measured against the node without plugins
 * with only those two nodes running, in interleaved rounds through gRPC as bench/chat.ts measures
 * post→deliver.
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
  /** post→deliver, ms, on the node without plugins, measured beside the gated node. */
  readonly without: number[]
  /** The same on the node with the gate plugin's before-post hook alone. */
  readonly with: number[]
  /** post→deliver on the node without plugins, measured beside the moderation node. */
  readonly withoutBesideModeration: number[]
  /** The same on the node with moderation (both hooks, a file read and written per post). */
  readonly moderation: number[]
  /** The posts the gate and moderation refused while the bench made sure they were on (2). */
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

/**
 * Two comparisons, each of two node processes alone on the machine (a third node and its plugin
 * processes beside them, idle, would add their timers and wake-ups to one side's figures): the node
 * without plugins against the gated node, then against the moderation node; each in interleaved
 * rounds of POSTS posts.
 */
export async function measureHooks (log: (line: string) => void): Promise<HookSamples> {
  const plainDir = await tempDir('plexi-bench-nohook-')
  const clients: Client[] = []
  const pair = async (node: NodeProcess): Promise<[Client, Client]> => {
    const [a, b] = [chatClient(node.grpc, await addUser(node, 'alice')), chatClient(node.grpc, await addUser(node, 'bob'))]
    clients.push(a, b)
    return [a, b]
  }
  let plain: NodeProcess | undefined
  try {
    plain = await startNodeProcess(plainDir.path, [], 40_000)
    const [plainPoster, plainReader] = await pair(plain)
    await postDeliver(plainPoster, plainReader, 'warm-up', 100)
    /** Interleaved rounds: the plain node's samples and the other's. */
    const against = async (install: (node: NodeProcess) => Promise<void>, name: string): Promise<{ without: number[], with: number[], refused: number }> => {
      const dir = await tempDir(`plexi-bench-${name}-`)
      let node: NodeProcess | undefined
      try {
        node = await startNodeProcess(dir.path, [], 40_000)
        await install(node)
        const [poster, reader] = await pair(node)
        const refused = await awaitRefusal(poster, 'warm-up')
        log(`  ${name} judges the posts of its node`)
        await postDeliver(poster, reader, 'warm-up', 100)
        const out = { without: [] as number[], with: [] as number[], refused }
        for (let round = 0; round < ROUNDS; round++) {
          out.without.push(...await postDeliver(plainPoster, plainReader, `latency-${name}-${round}`, POSTS))
          out.with.push(...await postDeliver(poster, reader, `latency-${round}`, POSTS))
        }
        return out
      } finally {
        await node?.stop()
        await dir.remove()
      }
    }
    const gate = await against(async (node) => { await installPackage(node, await packPluginDir(GATE)) }, 'gate')
    const moderation = await against(async (node) => {
      await writeWordList(node.dataDir)
      await installPackage(node, await examplePackage('moderation'))
    }, 'moderation')
    return { without: gate.without, with: gate.with, withoutBesideModeration: moderation.without, moderation: moderation.with, refused: gate.refused + moderation.refused }
  } finally {
    for (const c of clients) c.close()
    await plain?.stop()
    await plainDir.remove()
  }
}
