import { expect } from 'chai'
import { AdminWrites } from '../../../node/admin/admin-writes.ts'
import { BurstKept, burstKept } from '../../../node/admin/burst-kept.ts'
import { ADMIN_BURST_READS, ADMIN_BURST_REUSE_MS } from '../../../node/admin/constants.ts'
import { pluginApp } from '../../helpers/admin-plugin.ts'

describe('BurstKept', () => {
  /** Reads at `now`, each making the next number when it makes one. */
  const reader = () => {
    let now = 0
    let made = 0
    const kept = new BurstKept<number>({ now: () => now })
    return { kept, read: (key = '') => kept.read(key, () => ++made), at: (t: number) => { now = t }, made: () => made }
  }

  it('should make an answer for every read below ADMIN_BURST_READS a second, however close together', () => {
    const r = reader()
    // spread over more than a second: never a burst
    for (let i = 0; i < 3 * ADMIN_BURST_READS; i++) {
      r.at(i * (1_000 / (ADMIN_BURST_READS - 1)))
      expect(r.read()).to.equal(i + 1)
    }
  })

  it('should, in a burst, send the answer made under ADMIN_BURST_REUSE_MS ago again, per key, and make a new one after', () => {
    const r = reader()
    for (let i = 0; i < ADMIN_BURST_READS; i++) r.read()
    expect(r.made(), 'the reads that made the burst each made its own').to.equal(ADMIN_BURST_READS)
    const kept = r.read()
    expect(kept, 'the first read in the burst makes one and keeps it').to.equal(ADMIN_BURST_READS + 1)
    r.at(ADMIN_BURST_REUSE_MS - 1)
    expect(r.read()).to.equal(kept)
    expect(r.read('other'), 'another key makes its own').to.equal(kept + 1)
    r.at(ADMIN_BURST_REUSE_MS)
    expect(r.read(), 'kept that long: made again').to.equal(kept + 2)
  })

  it('should drop what it keeps at forget(), and keep nothing once the burst is over', () => {
    const r = reader()
    for (let i = 0; i <= ADMIN_BURST_READS; i++) r.read()
    const kept = r.read()
    r.kept.forget()
    expect(r.read(), 'forgotten: made again').to.equal(kept + 1)
    expect(r.read()).to.equal(kept + 1)
    // a second later, the reads of the burst are over a second old: the next read is no burst
    r.at(1_050)
    expect(r.read()).to.equal(kept + 2)
    expect(r.read(), 'one read after a quiet second is no burst').to.equal(kept + 3)
  })

  it('should drop its answers at every write answered through the admin API (burstKept)', async () => {
    let made = 0
    const writes = new AdminWrites()
    const app = await pluginApp(async (api) => {
      api.addHook('onSend', writes.hook())
      const kept = burstKept<number>(api, writes, { now: () => 0 })
      api.get('/thing', async () => ({ n: kept.read('', () => ++made) }))
      api.post('/thing', async () => ({ ok: true }))
    })
    try {
      const read = async (): Promise<number> => ((await app.inject({ method: 'GET', url: '/api/v1/thing' })).json() as { n: number }).n
      for (let i = 0; i <= ADMIN_BURST_READS; i++) await read()
      const kept = await read()
      expect(await read()).to.equal(kept)
      await app.inject({ method: 'POST', url: '/api/v1/thing', payload: {} })
      expect(await read(), 'a write answered here drops it').to.equal(kept + 1)
    } finally {
      await app.close()
    }
  })
})
