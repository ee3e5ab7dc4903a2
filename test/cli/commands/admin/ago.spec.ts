import { expect } from 'chai'
import { ago } from '../../../../cli/commands/admin/ago.ts'

describe('ago', () => {
  it('should say how old a time is in the unit a reader takes in at a glance', () => {
    const now = Date.parse('2026-01-10T12:00:00Z')
    const before = (s: number): string => new Date(now - s * 1000).toISOString()
    expect([0, 12, 119, 120, 7_199, 7_200, 172_799, 172_800, 864_000].map((s) => ago(before(s), now)))
      .to.deep.equal(['0s ago', '12s ago', '119s ago', '2m ago', '120m ago', '2h ago', '48h ago', '2d ago', '10d ago'])
    expect(ago(new Date(now + 5_000).toISOString(), now), 'a clock ahead').to.equal('0s ago')
  })
})
