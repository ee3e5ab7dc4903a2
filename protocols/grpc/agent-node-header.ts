/**
 * The response header (initial metadata) of an Agent call answered by a node that does not own
 * the caller's agent: the gRPC address (`host:port`, as the owner's member record gives it) of
 * the node that does. The call itself was answered in full (its node forwarded it over the mesh);
 * a client that makes more calls sends them there and saves that hop, and goes back to the
 * address it was given on any failure there (the owner moved or stopped; the node it was given
 * names the owner again). Absent: the node that answered owns the agent, or knows no address of
 * its owner a client could dial.
 */
export const AGENT_NODE_HEADER = 'plexi-agent-node'
