import { join } from 'node:path'
import { ActorSystem } from '../../actors/index.ts'
import type { EntityType } from '../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../node/index.ts'
import type { ReplicatedJournal } from '../../node/index.ts'
import { tempDir } from './temp-dir.ts'

/** What `useLocalEntities` takes: an entity type to register. */
export const entity = <M, S, E, V>(type: EntityType<M, S, E, V>) => (system: ActorSystem): void => { system.registerEntity(type) }

/**
 * Entity types (each given as `entity(type)`) on one node's actor system over a real LevelDB journal in a temp dir, set up before
 * each test and removed after it. `restart()` stops the system and starts a new one on the same
 * store, as a node that restarts would (entities recover from their journals).
 */
export function useLocalEntities (...types: ReadonlyArray<(system: ActorSystem) => void>): { readonly system: ActorSystem, readonly journal: ReplicatedJournal, restart (): Promise<void> } {
  let dir: { path: string, remove: () => Promise<void> }
  let store: LevelStore
  let system: ActorSystem
  let journal: ReplicatedJournal
  const open = async (): Promise<void> => {
    system = new ActorSystem({ journal: journal = await openLocalJournal(store), strictSerialization: true })
    for (const register of types) register(system)
  }
  beforeEach(async () => {
    dir = await tempDir()
    store = await LevelStore.open(join(dir.path, 'store'))
    await open()
  })
  afterEach(async () => {
    await system.terminate()
    await store.close()
    await dir.remove()
  })
  return {
    get system () { return system },
    get journal () { return journal },
    restart: async () => {
      await system.terminate()
      await open()
    }
  }
}
