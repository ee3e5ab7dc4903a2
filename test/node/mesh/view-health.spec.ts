import { expect } from 'chai'
import { viewHealth } from '../../../node/mesh/view-health.ts'
import type { MemberView } from '../../../node/mesh/membership.ts'

type Seen = Pick<MemberView, 'status' | 'gone' | 'unhearing' | 'left'>
const up: Seen = { status: 'up' }
const silent: Seen = { status: 'down' }
const gone: Seen = { status: 'down', gone: true }

describe('viewHealth (is this node the minority side of a cut?)', () => {
  it('should find a lone node, and every node hearing a majority, whole', () => {
    expect(viewHealth([])).to.deep.equal({ known: 1, reached: 1, partial: false })
    expect(viewHealth([up, up, silent]).partial, '3 of 4').to.equal(false)
    expect(viewHealth([up, up, silent, silent]).partial, '3 of 5, the majority side of a 3|2 cut').to.equal(false)
  })

  it('should find the minority side of a cut, and both sides of an even split, partial', () => {
    expect(viewHealth([up, silent, silent, silent]).partial, '2 of 5').to.equal(true)
    expect(viewHealth([silent, silent]).partial, 'cut off from both others').to.equal(true)
    expect(viewHealth([silent]).partial, '1 of 2: either side of a two-node cut').to.equal(true)
    expect(viewHealth([up, silent, silent]).partial, '2 of 4').to.equal(true)
  })

  it('should not count members whose process is gone, or that left, however many', () => {
    expect(viewHealth([gone]).partial, 'the other of two was killed').to.equal(false)
    expect(viewHealth([gone, gone, gone, up]).partial).to.equal(false)
    expect(viewHealth([{ status: 'down', left: true }, silent, up]).partial, '2 of 3 once the one that left is not counted').to.equal(false)
  })

  it('should count a member that says it does not hear this node as not reached', () => {
    expect(viewHealth([up, { status: 'up', unhearing: true }]).partial).to.equal(false)
    expect(viewHealth([{ status: 'up', unhearing: true }, { status: 'suspect', unhearing: true }]).partial).to.equal(true)
  })
})
