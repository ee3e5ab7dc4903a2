import { expect } from 'chai'
import { RECORDS_EVERY_BEAT_UP_TO, RECORDS_PER_HEARTBEAT } from '../../../node/mesh/constants.ts'
import { RecordPacing, heartbeatMs, refreshBeats } from '../../../node/mesh/record-pacing.ts'

describe('RecordPacing (when a member sends its record)', () => {
  it(`should send an unchanged record every heartbeat up to ${RECORDS_EVERY_BEAT_UP_TO} members, and the cluster about ${RECORDS_PER_HEARTBEAT} a heartbeat beyond`, () => {
    expect(refreshBeats(1)).to.equal(1)
    expect(refreshBeats(RECORDS_EVERY_BEAT_UP_TO)).to.equal(1)
    expect(refreshBeats(RECORDS_EVERY_BEAT_UP_TO + 1)).to.equal(Math.ceil((RECORDS_EVERY_BEAT_UP_TO + 1) / RECORDS_PER_HEARTBEAT))
    expect(refreshBeats(30)).to.equal(Math.ceil(30 / RECORDS_PER_HEARTBEAT))
    for (const n of [30, 100, 1_000]) expect(n / refreshBeats(n)).to.be.within(RECORDS_PER_HEARTBEAT * 0.8, RECORDS_PER_HEARTBEAT)
  })

  it('should send a changed record at once, and an unchanged one in its turn', () => {
    const p = new RecordPacing(() => 0.5)
    const sends = (content: string, members: number, beats: number): number => {
      let n = 0
      for (let i = 0; i < beats; i++) if (p.due(content, members)) n++
      return n
    }
    expect(sends('a', 30, 1)).to.equal(1)
    expect(sends('a', 30, refreshBeats(30) - 1)).to.equal(0)
    expect(sends('a', 30, 1)).to.equal(1)
    expect(sends('b', 30, 1)).to.equal(1)
    expect(sends('b', 3, 4)).to.equal(4)
    // 10 members: each sends every ceil(10 / RECORDS_PER_HEARTBEAT) heartbeats
    expect(sends('c', 10, 1)).to.equal(1)
    expect(sends('c', 10, 10)).to.equal(10 / refreshBeats(10))
  })

  it('should draw each turn between half and one and a half of refreshBeats, so members that sent together drift apart', () => {
    let r = 0
    const p = new RecordPacing(() => r)
    const turn = (): number => {
      let beats = 1
      while (!p.due('a', 100)) beats++
      return beats
    }
    p.due('a', 100)
    r = 0
    expect(turn()).to.equal(Math.round(0.5 * refreshBeats(100)))
    r = 0.999
    turn()
    expect(turn()).to.equal(Math.round(1.499 * refreshBeats(100)))
  })

  it('should send at the next heartbeat after a newcomer was heard, and wait a full turn after a send out of turn', () => {
    const p = new RecordPacing(() => 0.5)
    expect(p.due('a', 1_000)).to.equal(true)
    expect(p.due('a', 1_000)).to.equal(false)
    p.newcomer()
    expect(p.due('a', 1_000)).to.equal(true)
    p.sent('a')
    expect(p.due('a', 1_000)).to.equal(false)
  })

  it('should beat six times per failure timeout, within 100 ms and 1 s', () => {
    expect(heartbeatMs(3_000)).to.equal(500)
    expect(heartbeatMs(60_000)).to.equal(1_000)
    expect(heartbeatMs(300)).to.equal(100)
  })
})
