/**
 * The index thread's entry (a worker_threads Worker, index-thread.ts): it holds the node's
 * LocalIndex and answers one request at a time, in order, so that SQLite's work (transactions of
 * thousands of rows, a BM25 ranking over a million posts) never runs on the event loop. Requests
 * and replies: IndexThreadRequest, IndexThreadReply (index-thread.ts).
 */
import { parentPort } from 'node:worker_threads'
import { errorData } from '../../protocols/index.ts'
import type { IndexThreadReply, IndexThreadRequest } from './index-thread.ts'
import { LocalIndex } from './local-index.ts'

let index: LocalIndex | undefined

function handle (req: IndexThreadRequest): unknown {
  if (req.op === 'open') {
    index = new LocalIndex(req.opts)
    return { verdict: index.verdict, complete: index.fts.complete, vectorsLoaded: index.vectorsLoaded }
  }
  if (index === undefined) throw new Error('the index thread was asked before it opened an index')
  switch (req.op) {
    case 'apply': return index.apply(req.ops)
    case 'vectors': index.addVectors(req.ids, req.vectors); return null
    case 'search': return index.search(req.search)
    case 'reset': index.reset(); return null
    case 'complete': index.fts.setComplete(req.complete); return null
    case 'stats': return index.stats()
    case 'rowsAfter': return index.fts.rowsAfter(req.afterId, req.limit)
    case 'touched': return index.fts.touchedBy(req.users)
    case 'close': index.close(req.vectorsWhole); index = undefined; return null
  }
}

parentPort?.on('message', (msg: { id: number, req: IndexThreadRequest }) => {
  let reply: IndexThreadReply
  try {
    reply = { id: msg.id, value: handle(msg.req) }
  } catch (err) {
    reply = { id: msg.id, err: errorData(err) }
  }
  parentPort?.postMessage(reply)
})
