/**
 * The read routes of one item for the web part of `npm run bench -- scale`: what each names is made
 * first, as an admin would (a repair job, a backup and its job, the example `clock` plugin, an MCP
 * server registered as a stdio command, the model the node serves), so that every route answers
 * 200 with a real item: `/repairs/{id}`, `/jobs/{id}`, `/backups/{id}`, `/plugins/{name}`,
 * `/plugins/{name}/logs`, `/mcp-servers/{name}`, `/actors/{type}/{key}` (in scale-web.ts) and the
 * OpenAI endpoint's `/v1/models/{model}`; and the routes that are not listings: `/metrics`, `/livez`,
 * `/readyz`, and those that work in proportion to what they read, on a room of 20 posts: search,
 * the room's, the user's and the agent's exports, `audit/verify` (the trail of the bench's admin
 * writes).
 */
import { examplePackage } from '../test/helpers/example-plugins.ts'
import { MEMORY_SERVER } from '../test/helpers/lone-servers.ts'
import { chatClient } from '../test/helpers/node-process.ts'
import type { ProcessCluster, NodeSlot } from '../test/helpers/process-cluster.ts'
import { waitFor } from '../test/helpers/wait-for.ts'
import { installPackage } from './plugins-cluster.ts'
import type { WebRoute } from './scale-web.ts'

/** A backup of the bench's few rooms ends in seconds; this is the bound on a slow machine. */
const JOB_MS = 120_000
/** The room search and the exports read, and its posts (user0's). */
const ROOM = 'bench-room'
const POSTS = 20

interface JobRow { readonly id: string, readonly state: string }

/** Makes the items on `slot` (started with `--backup-key-file`) and answers their routes, `openai`
 * the node's OpenAI endpoint (host:port) and `userToken` a user's bearer for it. */
export async function itemRoutes (cluster: ProcessCluster, slot: NodeSlot, dir: string, openai: string, userToken: string, log: (line: string) => void): Promise<WebRoute[]> {
  const ended = async (path: string): Promise<JobRow> => {
    let last: JobRow | undefined
    await waitFor(async () => { last = await cluster.api<JobRow>(slot, path); return last.state !== 'running' && last.state !== 'queued' }, `${path} to end`, { timeout: JOB_MS, interval: 200 })
    if (last?.state !== 'done') throw new Error(`bench: ${path} ended ${last?.state ?? 'unknown'}`)
    return last
  }
  const repair = await cluster.api<JobRow>(slot, '/repairs', { method: 'POST', body: {} })
  await ended(`/repairs/${repair.id}`)
  const backupJob = await cluster.api<JobRow>(slot, '/backups', { method: 'POST', body: { note: 'bench scale' } })
  await ended(`/jobs/${backupJob.id}`)
  const backups = await cluster.api<Array<{ id: string, state: string }>>(slot, '/backups')
  const backup = backups.find((b) => b.state === 'done')
  if (backup === undefined) throw new Error(`bench: no done backup listed after ${backupJob.id}: ${JSON.stringify(backups)}`)
  await installPackage(slot.node, await examplePackage('clock', undefined, dir))
  await cluster.api(slot, '/mcp-servers', { method: 'POST', body: { name: 'mem', transport: { kind: 'stdio', command: process.execPath, args: [MEMORY_SERVER] } } })
  // every plugins-role member runs both before the load: a route read while they start measures their start
  await waitFor(async () => {
    const [plugin, server] = await Promise.all([
      cluster.api<{ nodes: Array<{ state: string }> }>(slot, '/plugins/clock'),
      cluster.api<{ nodes: Array<{ state: string }> }>(slot, '/mcp-servers/mem')
    ])
    return plugin.nodes.length === cluster.slots.length && plugin.nodes.every((n) => n.state === 'running') &&
      server.nodes.length === cluster.slots.length && server.nodes.every((n) => n.state === 'up')
  }, 'the clock plugin running and the mem MCP server connected on every member', { timeout: JOB_MS, interval: 200 })
  const models = await (await fetch(`http://${openai}/v1/models`, { headers: { authorization: `Bearer ${userToken}` } })).json() as { data: Array<{ id: string }> }
  const model = models.data[0]?.id
  if (model === undefined) throw new Error('bench: the OpenAI endpoint lists no model')
  const posted = await postSome(slot, userToken)
  const metricsBytes = (await (await fetch(`http://${slot.node.admin}/metrics`)).arrayBuffer()).byteLength
  log(`  items made: ${repair.id}, ${backupJob.id}, backup ${backup.id}, plugin clock, MCP server mem, model ${model}, ${posted} posts in ${ROOM}`)
  const at = (path: string, kind: WebRoute['kind']): WebRoute => ({ name: `GET /api/v1/${path}`, url: `http://${slot.node.admin}/api/v1/${path}`, token: slot.node.adminToken, kind })
  return [
    at(`repairs/${repair.id}`, 'memory'), at(`jobs/${backupJob.id}`, 'memory'), at(`backups/${backup.id}`, 'asks'),
    at('plugins/clock', 'asks'), at('plugins/clock/logs', 'asks'), at('mcp-servers/mem', 'asks'),
    { name: `GET /v1/models/${model}`, url: `http://${openai}/v1/models/${encodeURIComponent(model)}`, token: userToken, kind: 'memory' },
    { name: 'GET /metrics', url: `http://${slot.node.admin}/metrics`, token: slot.node.adminToken, kind: 'memory' },
    // beside the bare route answering as many bytes: the floor the answer's size sets
    { name: 'GET /metrics (bare of as many bytes)', url: `http://${slot.node.admin}/metrics`, token: slot.node.adminToken, kind: 'memory', bytes: metricsBytes },
    // as Prometheus scrapes: it always asks for gzip
    { name: 'GET /metrics (accept-encoding gzip)', url: `http://${slot.node.admin}/metrics`, token: slot.node.adminToken, kind: 'memory', headers: { 'accept-encoding': 'gzip' } },
    { name: 'GET /livez', url: `http://${slot.node.admin}/livez`, token: slot.node.adminToken, kind: 'memory' },
    { name: 'GET /readyz', url: `http://${slot.node.admin}/readyz`, token: slot.node.adminToken, kind: 'memory' },
    at('search?q=bench', 'work'), at(`rooms/${ROOM}/export`, 'work'), at('users/user0/export', 'work'),
    at('users/user0/agent/export', 'work'), at('audit/verify', 'work')
  ]
}

/** POSTS posts to ROOM through `slot` as the user of `token`: what search and the exports read. */
async function postSome (slot: NodeSlot, token: string): Promise<number> {
  const client = chatClient(slot.node.grpc, token)
  try {
    for (let i = 0; i < POSTS; i++) await client.call('Post', { room: ROOM, text: `bench post ${i}: the routes of one item read what is here` })
    return POSTS
  } finally {
    client.close()
  }
}
