import { Metadata } from '@grpc/grpc-js'
import { AGENT_NODE_HEADER } from '../../protocols/grpc/index.ts'

/** The gRPC address of the node that owns `user`'s agent when that is another node a client can
 * dial (node/mesh OwnerAddresses), else undefined. */
export type AgentNode = (user: string) => string | undefined

/**
 * Names the node that owns the caller's agent in the call's response headers (AGENT_NODE_HEADER),
 * when this node is not it: the call is answered here all the same (forwarded over the mesh), and
 * a client that makes more calls can make them there. Sent once the caller is known, before any
 * answer.
 */
export function tellAgentNode (call: { sendMetadata (metadata: Metadata): void }, agentNode: AgentNode | undefined, user: string): void {
  const address = agentNode?.(user)
  if (address === undefined) return
  const metadata = new Metadata()
  metadata.set(AGENT_NODE_HEADER, address)
  call.sendMetadata(metadata)
}
