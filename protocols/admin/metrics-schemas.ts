/** A node's rates and memory as `/api/v1/stats` samples them (the dashboard's metrics view). */

const memberLoadSchema = {
  type: 'object',
  required: ['peerId', 'status', 'rssBytes', 'actors', 'entities', 'mailbox'],
  properties: {
    peerId: { type: 'string' },
    status: { type: 'string' },
    rssBytes: { type: 'number' },
    actors: { type: 'number' },
    entities: { type: 'number' },
    mailbox: { type: 'number' }
  }
} as const

export const statsSampleSchema = {
  $id: 'StatsSample',
  type: 'object',
  required: ['ts', 'postsPerSec', 'deliveriesPerSec', 'asksPerSec', 'askMeanMs', 'askP99Ms', 'tokensPerSec', 'rssBytes', 'heapUsedBytes', 'actors', 'entities', 'members'],
  properties: {
    ts: { type: 'integer', description: 'ms since the epoch: the end of the interval' },
    postsPerSec: { type: 'number', description: 'chat messages posted and acknowledged through this node' },
    deliveriesPerSec: { type: 'number', description: 'chat messages written to Subscribe streams on this node' },
    asksPerSec: { type: 'number', description: 'actor asks that ended (reply, error or timeout)' },
    askMeanMs: { type: ['number', 'null'], description: 'null: no ask ended in the interval' },
    askP99Ms: { type: ['number', 'null'], description: 'the histogram bucket bound the 99th percentile falls in' },
    tokensPerSec: { type: 'number', description: 'tokens generated on this node' },
    rssBytes: { type: 'number' },
    heapUsedBytes: { type: 'number' },
    actors: { type: 'number' },
    entities: { type: 'number' },
    members: { type: 'array', items: memberLoadSchema, description: 'this node first, then every member it knows, with the load its record last said' }
  }
} as const
