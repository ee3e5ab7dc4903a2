import { AGENT, ActorSystem, chatRoom, erasureLog, retentionPolicy, roomDirectory, userDirectory } from '../../actors/index.ts'
import type { AgentMsg, EntityType, PostAck } from '../../actors/index.ts'
import { STORE_COMPACTION_PATH, storeCompaction } from '../../node/erasure/index.ts'
import { KV_CACHE_PATH } from '../../node/inference/index.ts'
import { Jobs } from '../../node/jobs/index.ts'
import { LevelStore, openLocalJournal } from '../../node/index.ts'
import { UserAccounts } from '../../node/users/index.ts'
import { tempDir } from './temp-dir.ts'

/** An agent that only answers `erase` (what an erasure asks of it), counting them. */
function erasableAgent (erased: string[]): EntityType<AgentMsg, null, never> {
  return {
    type: AGENT.type,
    role: 'ai',
    initialState: () => null,
    applyEvent: (s) => s,
    receive (ctx, msg) {
      if (msg.type === 'erase') {
        erased.push(msg.user)
        ctx.reply(msg.replyTo, { turns: 3 })
      }
    }
  }
}

/**
 * One node's worth of what erasure and retention touch, on a real LevelDB: rooms, the room, user
 * and erasure directories, the retention settings, a stand-in agent, a KV cache actor that counts
 * what it is told to forget, and the store compaction over the real store.
 */
export class ErasureRig {
  dir!: { path: string, remove: () => Promise<void> }
  store!: LevelStore
  system!: ActorSystem
  jobs!: Jobs
  users!: UserAccounts
  readonly agentsErased: string[] = []
  readonly kvForgotten: string[] = []
  readonly compacted: Array<[string, string]> = []
  /** Called when a compaction waits for the search index (after its ranges); it answers once the
   * returned promise resolves. Default: at once. */
  indexSettled: () => Promise<void> = async () => {}
  /** Called before each range is compacted; the compaction goes on once the returned promise
   * resolves. Default: at once. */
  compacting: (gte: string) => Promise<void> = async () => {}

  async open (): Promise<this> {
    this.dir = await tempDir()
    this.store = await LevelStore.open(this.dir.path)
    this.system = new ActorSystem({ journal: await openLocalJournal(this.store), strictSerialization: true })
    for (const type of [chatRoom, roomDirectory, userDirectory, erasureLog, retentionPolicy, erasableAgent(this.agentsErased)] as const) this.system.registerEntity(type as never)
    this.system.spawn<{ type: string, cacheKey: string, replyTo: never }, undefined>({
      receive: (_s, msg, ctx) => { this.kvForgotten.push(msg.cacheKey); ctx.reply(msg.replyTo, 1); return undefined }
    }, { name: KV_CACHE_PATH.slice(1) })
    const store = this.store
    const compacted = this.compacted
    this.system.spawn(storeCompaction({
      store: { compactRange: async (gte, lte) => { await this.compacting(gte); compacted.push([gte, lte]); await store.compactRange(gte, lte) } },
      partitionOf: () => 0,
      indexSettled: async () => { await this.indexSettled() }
    }), { name: STORE_COMPACTION_PATH.slice(1) })
    this.jobs = new Jobs({ node: this.system.node })
    this.users = new UserAccounts(this.system)
    return this
  }

  async post (room: string, user: string, text: string): Promise<PostAck> {
    return await this.system.entity(chatRoom, room).ask<PostAck>((replyTo) => ({ type: 'post', user, text, replyTo }))
  }

  async close (): Promise<void> {
    await this.system.terminate()
    await this.store.close()
    await this.dir.remove()
  }
}
