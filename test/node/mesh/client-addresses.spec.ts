import { expect } from 'chai'
import { clientAddresses } from '../../../node/mesh/client-addresses.ts'
import type { MemberView } from '../../../node/mesh/membership.ts'

const view = (grpc: string, web: string | undefined, status: MemberView['status'] = 'up'): Pick<MemberView, 'status' | 'addresses'> => ({
  status, addresses: { grpc, admin: '127.0.0.1:1', p2p: [], ...(web !== undefined && { web }) }
})

describe('clientAddresses', () => {
  it('should list this node first, then every member up with an address a client reaches, when asked where clients may go', () => {
    const members = [
      view('10.0.0.2:7400', 'https://chat2.example.com'),
      view('0.0.0.0:7400', 'https://chat3.example.com'),
      view('10.0.0.4:7400', undefined),
      view('[::]:7400', undefined)
    ]
    expect(clientAddresses({ grpc: '10.0.0.1:7400', web: 'https://chat1.example.com' }, members)).to.deep.equal([
      { web: 'https://chat1.example.com', grpc: '10.0.0.1:7400', self: true },
      { web: 'https://chat2.example.com', grpc: '10.0.0.2:7400', self: false },
      { web: 'https://chat3.example.com', grpc: '', self: false },
      { web: '', grpc: '10.0.0.4:7400', self: false }
    ])
  })

  it('should leave out members suspect, draining, joining or down, when they would send a client away again', () => {
    const members = (['suspect', 'draining', 'joining', 'down'] as const).map((status, i) => view(`10.0.0.${i + 2}:7400`, `https://chat${i + 2}.example.com`, status))
    expect(clientAddresses({ grpc: '0.0.0.0:7400' }, members)).to.deep.equal([{ web: '', grpc: '', self: true }])
  })
})
