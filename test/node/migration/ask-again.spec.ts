import { expect } from 'chai'
import { MOVE_ASK_RETRIES } from '../../../node/migration/constants.ts'
import { askAgainIfLinkBroke } from '../../../node/migration/ask-again.ts'
import { PeerUnreachableError } from '../../../node/mesh/index.ts'
import { rejection } from '../../helpers/thrown.ts'

describe('askAgainIfLinkBroke (an admin migration\'s asks)', () => {
  const broke = (): Error => new PeerUnreachableError('p2', 'its stream closed')

  it('should ask again when the link to a member still up broke, and answer what the next ask answers', async () => {
    let asks = 0
    const again: unknown[] = []
    const answer = await askAgainIfLinkBroke(async () => { if (++asks < 3) throw broke(); return 'moved' }, () => true, (err) => { again.push(err) })
    expect(answer).to.equal('moved')
    expect(asks).to.equal(3)
    expect(again.map((e) => (e as Error).name)).to.deep.equal(['PeerUnreachableError', 'PeerUnreachableError'])
  })

  it(`should give up after ${MOVE_ASK_RETRIES} more asks, at once for a member that is down, and never repeat other failures`, async () => {
    let asks = 0
    expect((await rejection(() => askAgainIfLinkBroke(async () => { asks++; throw broke() }, () => true))).name).to.equal('PeerUnreachableError')
    expect(asks, 'the first ask and its retries').to.equal(1 + MOVE_ASK_RETRIES)
    asks = 0
    expect((await rejection(() => askAgainIfLinkBroke(async () => { asks++; throw broke() }, () => false))).name).to.equal('PeerUnreachableError')
    expect(asks, 'a member down: no retry').to.equal(1)
    asks = 0
    const timeout = Object.assign(new Error('ask timed out'), { name: 'AskTimeoutError' })
    expect((await rejection(() => askAgainIfLinkBroke(async () => { asks++; throw timeout }, () => true))).name).to.equal('AskTimeoutError')
    expect(asks, 'an ask that may have run: not repeated').to.equal(1)
  })
})
