import { expect } from 'chai'
import { REFUSALS_LOGGED_PER_MINUTE } from '../../../node/mesh/constants.ts'
import { RefusalLog } from '../../../node/mesh/refusal-log.ts'

describe('RefusalLog', () => {
  it('should say at most REFUSALS_LOGGED_PER_MINUTE refusals a minute, and say them again the next minute', () => {
    const said: Array<{ peer: string, msg: string }> = []
    const refusals = new RefusalLog({ warn: (obj: object, msg: string) => { said.push({ peer: (obj as { peer: string }).peer, msg }) } })
    const minute = 60_000 * 1_000
    for (let i = 0; i < REFUSALS_LOGGED_PER_MINUTE + 5; i++) refusals.refused('p1', `bad frame ${i}`, minute + i)
    expect(said).to.have.length(REFUSALS_LOGGED_PER_MINUTE)
    expect(said[0]).to.deep.equal({ peer: 'p1', msg: 'bad frame 0' })
    refusals.refused('p2', 'next minute', minute + 60_000)
    expect(said.at(-1)).to.deep.equal({ peer: 'p2', msg: 'next minute' })
  })
})
