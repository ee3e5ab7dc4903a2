/**
 * An agent's KV cache moves with the agent (issue 15), on real node processes with real llama.cpp
 * on the generated model: a user's agent answers three turns on A; an admin migrates it to B; its
 * fourth turn on B evaluates only the new question, its earlier turns coming from the state A
 * sent ahead of the hand-off (measured by the tokens taken from the cache, not by time).
 */
import { expect } from 'chai'
import { agentClient, agentTurn } from '../helpers/node-process.ts'
import type { AskEvent } from '../helpers/node-process.ts'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { NodeSlot } from '../helpers/process-cluster.ts'
import { waitFor } from '../helpers/wait-for.ts'

const INFERENCE = ['--gpu', 'off', '--inference-threads', '1', '--agent-max-tokens', '32']

type Done = NonNullable<AskEvent['done']>

describe('an agent\'s KV cache that moves with it (real processes, real llama.cpp)', function () {
  this.timeout(180_000)
  const cluster = new ProcessCluster()
  const ai = { roles: 'ai,chat,storage', args: INFERENCE }

  before(async () => {
    await cluster.start([ai, ai, 'chat,storage'])
  })

  after(async () => {
    await cluster.close()
  })

  it('should answer the first turn on the new node from the cache its old node sent ahead', async () => {
    const [a, b] = cluster.slots as [NodeSlot, NodeSlot]
    // a user whose agent lives on A
    const user = await cluster.keyOwnedBy(b, 'agent', 'ai', a, 'talker')
    const token = await cluster.addUser(user, b)
    const client = agentClient(b.node.grpc, token)
    const ask = async (text: string): Promise<Done> => (await agentTurn(client, text)).done
    try {
      await client.call('Configure', { temperature: 0 })
      const turns: Done[] = []
      for (const text of ['First question.', 'Second question.', 'Third question.']) turns.push(await ask(text))
      expect(turns[2], 'the third turn on A').to.deep.include({ cache: 'memory' })
      const third = turns[2] as Done
      expect(third.cachedTokens).to.be.at.least((turns[1] as Done).promptTokens)

      // B has the model loaded, so it answers itself (a member without it would have A, which has
      // it loaded, answer for it: warm-forwarding.spec)
      await cluster.api(b, '/models/plexi-tiny-f16/load', { method: 'POST' })
      const job = await cluster.api<{ id: string }>(a, `/actors/agent/${user}/migrate`, { method: 'POST', body: { to: b.peerId } })
      await waitFor(async () => (await cluster.api<{ state: string }>(a, `/jobs/${job.id}`)).state !== 'running', 'the migrate job to end', { timeout: 30_000, interval: 100 })
      const ended = await cluster.api<{ state: string, message?: string }>(a, `/jobs/${job.id}`)
      expect(ended.state, JSON.stringify(ended)).to.equal('done')
      const agents = await cluster.api<Array<{ key: string, node: string }>>(b, '/actors?type=agent')
      expect(agents.find((x) => x.key === user)?.node, 'where the agent lives now').to.equal(b.peerId)

      const fourth = await ask('Fourth question.')
      // everything up to the third answer came from A's cache: only the new question was evaluated
      expect(fourth.cache, 'where the fourth turn found its cache').to.equal('disk')
      expect(fourth.cachedTokens).to.be.at.least(third.promptTokens + third.completionTokens - 1)
      expect(fourth.promptTokens - (fourth.cachedTokens ?? 0)).to.be.lessThan(60)
      expect(await cluster.metrics(a)).to.match(/plexi_kv_cache_moved_bytes_total\{direction="sent"\} [1-9]/)
      expect(await cluster.metrics(b)).to.match(/plexi_kv_cache_moved_bytes_total\{direction="received"\} [1-9]/)
    } finally {
      client.close()
    }
  })
})
