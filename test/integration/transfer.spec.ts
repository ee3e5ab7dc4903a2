import { expect } from 'chai'
import { chatClient } from '../helpers/node-process.ts'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { NodeSlot } from '../helpers/process-cluster.ts'

interface Report { added: number, skipped: number, notImportable: number, records: number, dryRun: boolean, firstSeq?: number, lastSeq?: number }
interface Message { seq: number, user: string, text: string, kind: string }

describe('export and import across nodes (real processes, real gRPC, real libp2p)', function () {
  this.timeout(180_000)
  const cluster = new ProcessCluster()
  before(async () => { await cluster.start(['chat,storage', 'chat,storage', 'chat,storage']) })
  after(async () => { await cluster.close() })

  /** The admin API of a slot, with a body of any type (an export). */
  const admin = async (slot: NodeSlot, method: string, path: string, body?: string): Promise<{ status: number, text: string }> => {
    const res = await fetch(`http://${slot.node.admin}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${slot.node.adminToken}`, ...(body !== undefined && { 'content-type': 'application/x-ndjson' }) },
      ...(body !== undefined && { body })
    })
    return { status: res.status, text: await res.text() }
  }

  it('should export a room through one node and import it through another once, a dry run first, a bad record refused with nothing written', async () => {
    const [a, b, c] = cluster.slots as [NodeSlot, NodeSlot, NodeSlot]
    const token = await cluster.addUser('ann', a)
    const chat = chatClient(c.node.grpc, token)
    try {
      for (let i = 1; i <= 250; i++) await chat.call('Post', { room: 'origin', text: `post ${i}`, clientId: `p-${i}` })
      await chat.call('Join', { room: 'origin' })
      const exported = await admin(a, 'GET', '/rooms/origin/export?format=ndjson')
      expect(exported.status, exported.text).to.equal(200)
      const lines = exported.text.trim().split('\n')
      expect(lines).to.have.length(252)
      expect(JSON.parse(lines[1] ?? '')).to.deep.include({ seq: 1, kind: 'message', user: 'ann', text: 'post 1', clientId: 'p-1' })

      const dry = JSON.parse((await admin(b, 'POST', '/rooms/copy/import?dryRun=true', exported.text)).text) as Report
      expect(dry).to.deep.include({ dryRun: true, records: 251, added: 250, skipped: 0, notImportable: 1, firstSeq: 1, lastSeq: 250 })
      const history = async (): Promise<Message[]> => (await chat.call<{ messages: Message[] }>('History', { room: 'copy', after: 0, limit: 1000 })).messages
      expect(await history()).to.deep.equal([])

      const first = JSON.parse((await admin(b, 'POST', '/rooms/copy/import?as=ann', exported.text)).text) as Report
      expect(first).to.deep.include({ added: 250, skipped: 0 })
      const second = JSON.parse((await admin(b, 'POST', '/rooms/copy/import?as=ann', exported.text)).text) as Report
      expect(second).to.deep.include({ added: 0, skipped: 250 })
      const copied = await history()
      expect(copied.map((m) => m.text)).to.deep.equal(Array.from({ length: 250 }, (_, i) => `post ${i + 1}`))

      const bad = exported.text.replace('"text":"post 7"', '"text":""')
      const refused = await admin(c, 'POST', '/rooms/other/import', bad)
      expect(refused.status).to.equal(400)
      expect(JSON.parse(refused.text)).to.deep.include({ message: 'record 7: text: expected text that is not empty, got ""; nothing was imported' })
      expect((await chat.call<{ messages: Message[] }>('History', { room: 'other', after: 0, limit: 10 })).messages).to.deep.equal([])
    } finally {
      chat.close()
    }
  })
})
