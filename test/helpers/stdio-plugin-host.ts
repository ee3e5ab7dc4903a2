import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { ErrorCode, McpError, ResultSchema } from '@modelcontextprotocol/sdk/types.js'
import { PluginDeadlineError } from '../../actors/index.ts'
import type { RoomPluginInfo, RoomPluginSource } from '../../node/room-plugins/index.ts'
import type { FixtureConfig } from './plexi-plugin-fixture.ts'

const FIXTURE = fileURLToPath(new URL('./plexi-plugin-fixture.ts', import.meta.url))

interface Running {
  info: RoomPluginInfo
  readonly config: FixtureConfig
  client: Client | undefined
  transport: StdioClientTransport | undefined
}

/** One request the fixture logged. */
export interface LoggedRequest {
  readonly method: string
  readonly params: Record<string, unknown>
}

/**
 * A minimal stand-in for the plugin host (node/plugins, built apart): it starts the fixture plugin
 * as real processes, connects the official SDK's client to each over stdio, reads the capability
 * each declares, and sends plexi/* requests with the SDK's per-request timeout. It is the
 * RoomPluginSource the node's MeshRoomPlugins takes; a plugin can be killed (its requests then fail
 * until it is started again) and started again, as a crash and a supervisor's restart would.
 */
export class StdioPluginHost implements RoomPluginSource {
  readonly #dir: string
  readonly #running = new Map<string, Running>()
  #list: readonly RoomPluginInfo[] = []

  constructor (dir: string) {
    this.#dir = dir
  }

  /** Starts plugin `name` (the fixture declaring what `declare` says), with manifest settings. */
  async start (name: string, declare: Omit<FixtureConfig, 'log'>, manifest: Omit<RoomPluginInfo, 'name' | 'capability'> = {}): Promise<void> {
    const config: FixtureConfig = { ...declare, log: this.logPath(name) }
    const running: Running = { info: { name, capability: undefined, ...manifest }, config, client: undefined, transport: undefined }
    this.#running.set(name, running)
    await this.#connect(name, running)
  }

  /** Kills the plugin's process (it stays listed: its requests fail, as a crashed plugin's do). */
  async kill (name: string): Promise<void> {
    const running = this.#need(name)
    const pid = running.transport?.pid
    running.client = undefined
    if (pid !== undefined && pid !== null) process.kill(pid, 'SIGKILL')
    await running.transport?.close()
    running.transport = undefined
  }

  /** Starts the killed plugin again. */
  async restart (name: string): Promise<void> {
    await this.#connect(name, this.#need(name))
  }

  /** Kills it and lists it no longer (uninstalled). */
  async remove (name: string): Promise<void> {
    await this.kill(name)
    this.#running.delete(name)
    this.#list = [...this.#running.values()].map((r) => r.info)
  }

  async close (): Promise<void> {
    for (const name of [...this.#running.keys()]) await this.remove(name)
  }

  plugins (): readonly RoomPluginInfo[] {
    return this.#list
  }

  async request (plugin: string, method: string, params: Readonly<Record<string, unknown>>, deadlineMs: number): Promise<unknown> {
    const client = this.#running.get(plugin)?.client
    if (client === undefined) throw Object.assign(new Error(`plugin ${plugin} is down`), { kind: 'unavailable' })
    try {
      return await client.request({ method, params: { ...params } }, ResultSchema, { timeout: deadlineMs })
    } catch (err) {
      // as the host says it: a deadline is a deadline, whoever noticed it first
      if (err instanceof McpError && err.code === ErrorCode.RequestTimeout) throw new PluginDeadlineError(plugin, method, deadlineMs)
      throw err
    }
  }

  logPath (name: string): string {
    return join(this.#dir, `${name}.log`)
  }

  /** What the plugin was sent so far (every process of it), oldest first. */
  async logged (name: string, method?: string): Promise<LoggedRequest[]> {
    const text = await readFile(this.logPath(name), 'utf8').catch(() => '')
    const all = text.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as LoggedRequest)
    return method === undefined ? all : all.filter((r) => r.method === method)
  }

  async #connect (name: string, running: Running): Promise<void> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [FIXTURE],
      env: { PLEXI_FIXTURE: JSON.stringify(running.config), PATH: process.env.PATH ?? '' },
      stderr: 'ignore'
    })
    const client = new Client({ name: 'plexi-test-host', version: '1.0.0' })
    await client.connect(transport)
    running.client = client
    running.transport = transport
    const experimental = client.getServerCapabilities()?.experimental as Record<string, unknown> | undefined
    running.info = { ...running.info, capability: experimental?.plexi }
    this.#list = [...this.#running.values()].map((r) => r.info)
  }

  #need (name: string): Running {
    const running = this.#running.get(name)
    if (running === undefined) throw new Error(`no plugin ${name}`)
    return running
  }
}
