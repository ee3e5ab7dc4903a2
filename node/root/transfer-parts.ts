import { Exporter } from '../transfer/index.ts'
import type { PartComponents } from './components.ts'
import type { NodeComponents } from './node-components.ts'
import type { PartSpec } from './part-list.ts'

type C = PartComponents<NodeComponents>

/**
 * Exports (node/transfer): one exporter for the admin API and the gRPC services, which reads what
 * this node's replicas hold of a room from its own store (the room says up to which seq) and asks
 * the room's owner only for the rest: an export through a node holding a replica crosses no hop.
 */
export const transferPart: PartSpec<NodeComponents> = {
  id: 'transfer',
  needs: ['system', 'journal'],
  gives: ['exporter'],
  start: (c: C) => {
    const journal = c.get('journal')
    const node = journal.self
    c.provide('exporter', new Exporter({
      system: c.get('system'),
      local: {
        node,
        read: async (entity, from, limit) => await journal.call(node, { op: 'read', entity, from, limit }),
        // (a room's JSON export made from the bytes the store keeps: node/transfer/packed-json.ts)
        readPacked: async (entity, from, limit) => await journal.readPacked(entity, from, limit),
        packedEvent: (entity, record) => journal.packedEvent(entity, record)
      }
    }), 'transfer')
    return { stop: () => undefined }
  }
}
