/**
 * The directories as they grow (issue 12, issue 39): users added through the user directory entity
 * on a real LevelDB journal (fsync on), 64 at a time; the cost of each thousand at the start
 * against the cost of the thousands ending at the 100,000th user, without and with the snapshots
 * of the whole directory (taken after as many adds as the last one held users). Then rooms
 * registered in the room directory the same way, 30,000 of them. Before the directories kept their
 * entries in buckets, each event copied every entry: 1.2 s per 1,000 users at first, 8 s per 1,000
 * at 10,000; 148 room registrations a second at 10,000 rooms, 2,396 for the first 2,000.
 */
import { ActorSystem, ROOMS, ROOM_DIRECTORY_KEY, roomDirectory, userDirectory } from '../actors/index.ts'
import { LevelStore, UserAccounts, openLocalJournal } from '../node/index.ts'
import { tempDir } from '../test/helpers/temp-dir.ts'
import { figure, median } from './figure.ts'
import type { Bench } from './figure.ts'

const USERS = 100_000
const ROOM_COUNT = 30_000
const IN_FLIGHT = 64
const WINDOW = 1_000

/** Runs `add(i)` for i < count, IN_FLIGHT at once; the ms each WINDOW of them took, in order. */
async function windowsOf (count: number, add: (i: number) => Promise<unknown>, log: (line: string) => void, what: string): Promise<number[]> {
  const windows: number[] = []
  let next = 0
  let windowStart = performance.now()
  let done = 0
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < count) {
      await add(next++)
      if (++done % WINDOW === 0) {
        const now = performance.now()
        windows.push(now - windowStart)
        windowStart = now
        if (done % 20_000 === 0 || done === count) log(`  ${done} ${what}: the last 1,000 took ${(windows[windows.length - 1] as number).toFixed(0)} ms`)
      }
    }
  }))
  return windows
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length

export const usersBench: Bench = {
  name: 'users',
  description: 'the user and room directories: ms per 1,000 added at the start against at 100,000 users and 30,000 rooms',
  async run (log) {
    const dir = await tempDir()
    const store = await LevelStore.open(dir.path)
    const system = new ActorSystem({ journal: await openLocalJournal(store) })
    system.registerEntity(userDirectory)
    system.registerEntity(roomDirectory)
    const accounts = new UserAccounts(system)
    try {
      const users = await windowsOf(USERS, async (i) => await accounts.add(`user${i}`), log, 'users')
      const directory = system.entity(ROOMS, ROOM_DIRECTORY_KEY)
      const rooms = await windowsOf(ROOM_COUNT, async (i) => await directory.ask<boolean>((replyTo) => ({ type: 'register', name: `room-${i}`, by: 'bench', ts: Date.now(), replyTo })), log, 'rooms')
      // medians of five thousands at each end (one of them may hold a snapshot of the whole
      // directory); the very first thousand pays for warming up
      return [
        figure('ms per 1,000 users added, 95,000th-100,000th', 'ms (lower is better)', median(users.slice(-5)), 'ms per 1,000, 1,000th-6,000th', median(users.slice(1, 6)), '~1× (the 100,000th costs what the first did)'),
        // and with the snapshots counted: the mean of the last 40 thousands (the snapshot at 80,000
        // among them) against the 40 after the first (those at 10,000, 20,000 and 40,000)
        figure('mean ms per 1,000 with snapshots, 60,000th-100,000th', 'ms (lower is better)', mean(users.slice(-40)), 'mean, 1,000th-41,000th', mean(users.slice(1, 41)), '~1×'),
        figure('ms per 1,000 rooms registered, 25,000th-30,000th (mean, snapshots counted)', 'ms (lower is better)', mean(rooms.slice(-5)), 'mean ms per 1,000, 1,000th-6,000th', mean(rooms.slice(1, 6)), '~1×')
      ]
    } finally {
      await system.terminate()
      await store.close()
      await dir.remove()
    }
  }
}
