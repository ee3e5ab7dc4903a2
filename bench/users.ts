/**
 * The user directory as it grows (issue 12): users added through the directory entity on a real
 * LevelDB journal (fsync on), 64 at a time; the cost of each thousand at the start against the
 * cost of the thousands ending at the 100,000th user, without and with the snapshots of the whole
 * directory (taken after as many adds as the last one held users). Before the directory kept its
 * users in buckets, each add copied every user: 1.2 s per 1,000 at first, 8 s per 1,000 at 10,000.
 */
import { ActorSystem, userDirectory } from '../actors/index.ts'
import { LevelStore, UserAccounts, openLocalJournal } from '../node/index.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { figure, median } from './figure.ts'
import type { Bench } from './figure.ts'

const USERS = 100_000
const IN_FLIGHT = 64
const WINDOW = 1_000

export const usersBench: Bench = {
  name: 'users',
  description: 'adding users: ms per 1,000 at the start against ms per 1,000 at the 100,000th',
  async run (log) {
    const dir = await tempDir()
    const store = await LevelStore.open(dir.path)
    const system = new ActorSystem({ journal: await openLocalJournal(store) })
    system.registerEntity(userDirectory)
    const accounts = new UserAccounts(system)
    try {
      const windows: number[] = []
      let next = 0
      let windowStart = performance.now()
      let done = 0
      await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
        while (next < USERS) {
          const i = next++
          await accounts.add(`user${i}`)
          if (++done % WINDOW === 0) {
            const now = performance.now()
            windows.push(now - windowStart)
            windowStart = now
            if (done % 20_000 === 0) log(`  ${done} users: the last 1,000 took ${(windows[windows.length - 1] as number).toFixed(0)} ms`)
          }
        }
      }))
      // medians of five thousands at each end (one of them may hold a snapshot of the whole
      // directory, taken every 10,000 users); the very first thousand pays for warming up
      const first = median(windows.slice(1, 6))
      const last = median(windows.slice(-5))
      // and with the snapshots counted: the mean of the last 40 thousands (the snapshot at 80,000
      // among them) against the 40 after the first (those at 10,000, 20,000 and 40,000)
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
      return [
        figure('ms per 1,000 users added, 95,000th-100,000th', 'ms (lower is better)', last, 'ms per 1,000, 1,000th-6,000th', first, '~1× (the 100,000th costs what the first did)'),
        figure('mean ms per 1,000 with snapshots, 60,000th-100,000th', 'ms (lower is better)', mean(windows.slice(-40)), 'mean, 1,000th-41,000th', mean(windows.slice(1, 41)), '~1×')
      ]
    } finally {
      await system.terminate()
      await store.close()
      await dir.remove()
    }
  }
}
