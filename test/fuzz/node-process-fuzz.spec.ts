import { FuzzNode } from './fuzz-node.ts'
import { expectPassed } from './fuzz-target.ts'
import { fuzzGarbagePeer } from './garbage-peer.ts'
import { fuzzGrpc } from './grpc-fuzz.ts'

/**
 * The fuzz targets that need a real node process, on one node (a cluster key, one user), at a
 * small budget and a fixed seed: its gRPC services, then a member holding the cluster key that
 * spews garbage on every protocol of the node. `npm run fuzz -- --only grpc,garbage-peer` runs
 * them longer.
 */
describe('a node process under fuzzing', function () {
  this.timeout(120_000)
  const node = new FuzzNode()
  before(async () => { await node.start() })
  after(async () => { await node.close() })

  it('should answer every gRPC method, whatever bytes or text a request holds, with a status that is not INTERNAL or UNKNOWN, changing nothing when it refuses', async () => {
    expectPassed('grpc', await fuzzGrpc(node, { numRuns: 100, seed: 20261122 }))
  })

  it('should stay alive, serve chat with its histories intact, and restart no actor while a member holding the cluster key spews garbage on every protocol', async () => {
    expectPassed('garbage-peer', await fuzzGarbagePeer(node, { numRuns: 300, seed: 20261122 }))
  })
})
