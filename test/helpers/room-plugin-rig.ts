import { Registry } from 'prom-client'
import { ActorSystem, ROOM, chatRoomType, postHooks, roomDirectory, userDirectory } from '../../actors/index.ts'
import type { ChatMessage, HooksTuning, PostAck, RoomInfo } from '../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../node/index.ts'
import { MeshRoomPlugins, roomPluginMetrics } from '../../node/room-plugins/index.ts'
import { StdioPluginHost } from './stdio-plugin-host.ts'
import { tempDir } from './temp-dir.ts'

/** What a rig's log lines were (the view's warnings, the entities' logs). */
export interface LoggedLine { readonly level: string, readonly obj: object, readonly msg: string | undefined }

/**
 * Rooms with plugins, as a node runs them, for specs: a real ActorSystem (strict) on a LevelDB
 * store through the local journal, the chat entities built with the node's MeshRoomPlugins over a
 * StdioPluginHost (fixture plugins as real processes, the SDK's client), and the plugin metrics on
 * a registry. `restart()` stops the system and the store and opens them again on the same data
 * (the plugins keep running, as they would on another node).
 */
export class RoomPluginRig {
  readonly host: StdioPluginHost
  readonly registry = new Registry()
  readonly plugins: MeshRoomPlugins
  readonly lines: LoggedLine[] = []
  system!: ActorSystem
  #store!: LevelStore
  readonly #dir: { path: string, remove: () => Promise<void> }
  readonly #tuning: Partial<HooksTuning>

  private constructor (dir: { path: string, remove: () => Promise<void> }, tuning: Partial<HooksTuning>) {
    this.#dir = dir
    this.#tuning = tuning
    this.host = new StdioPluginHost(dir.path)
    const log = this.#logger()
    this.plugins = new MeshRoomPlugins({ source: this.host, metrics: roomPluginMetrics(this.registry), log })
  }

  static async open (tuning: Partial<HooksTuning> = {}): Promise<RoomPluginRig> {
    const rig = new RoomPluginRig(await tempDir('plexi-rooms-'), tuning)
    await rig.#openSystem()
    return rig
  }

  async restart (): Promise<void> {
    await this.#closeSystem()
    await this.#openSystem()
  }

  async close (): Promise<void> {
    await this.#closeSystem()
    await this.host.close()
    await this.#dir.remove()
  }

  room (name: string): ReturnType<ActorSystem['entity']> {
    return this.system.entity(ROOM, name)
  }

  async post (room: string, user: string, text: string, clientId?: string): Promise<PostAck> {
    return await this.system.entity(ROOM, room).ask<PostAck>((replyTo) => ({ type: 'post', user, text, ...(clientId !== undefined && { clientId }), replyTo }))
  }

  async history (room: string, after = 0): Promise<ChatMessage[]> {
    return await this.system.entity(ROOM, room).ask<ChatMessage[]>((replyTo) => ({ type: 'history', after, limit: 1000, replyTo }))
  }

  async join (room: string, user: string): Promise<RoomInfo> {
    return await this.system.entity(ROOM, room).ask<RoomInfo>((replyTo) => ({ type: 'join', user, replyTo }))
  }

  /** A metric's value for the labels (0 when never counted). */
  async metric (name: string, labels: Record<string, string>): Promise<number> {
    const metric = (await this.registry.getMetricsAsJSON()).find((m) => m.name === name)
    const value = (metric?.values as Array<{ labels: Record<string, string | number>, value: number }> | undefined)
      ?.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    return value?.value ?? 0
  }

  async #openSystem (): Promise<void> {
    this.#store = await LevelStore.open(this.#dir.path + '/store')
    this.system = new ActorSystem({ journal: await openLocalJournal(this.#store), strictSerialization: true, logger: this.#logger() })
    this.system.registerEntity(chatRoomType({ plugins: this.plugins }))
    this.system.registerEntity(postHooks({ plugins: this.plugins, tuning: { tickMs: 20, retryFirstMs: 20, retryMaxMs: 200, unwatchAfterMs: 200, ...this.#tuning } }))
    this.system.registerEntity(roomDirectory)
    this.system.registerEntity(userDirectory)
  }

  async #closeSystem (): Promise<void> {
    await this.system.terminate()
    await this.#store.close()
  }

  #logger (): { debug: (o: object, m?: string) => void, info: (o: object, m?: string) => void, warn: (o: object, m?: string) => void, error: (o: object, m?: string) => void } {
    const line = (level: string) => (obj: object, msg?: string): void => { this.lines.push({ level, obj, msg }) }
    return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') }
  }
}
