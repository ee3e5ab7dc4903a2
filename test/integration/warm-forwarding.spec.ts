/**
 * No cold model load when a warm member can answer (issue 15), on real node processes with real
 * llama.cpp: A has the model loaded, B has not; a user's agent on B has its questions answered by
 * A (the model stays unloaded on B), its turns meeting their KV cache there; once A unloads the
 * model, B loads it and answers itself.
 */
import { expect } from 'chai'
import { agentClient, agentTurn } from '../helpers/node-process.ts'
import type { AskEvent } from '../helpers/node-process.ts'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { MemberRow, NodeSlot } from '../helpers/process-cluster.ts'
import { waitFor } from '../helpers/wait-for.ts'

const MODEL = 'plexi-tiny-f16'
const INFERENCE = ['--gpu', 'off', '--inference-threads', '1', '--agent-max-tokens', '24']

type Done = NonNullable<AskEvent['done']>
interface ModelRow { readonly name: string, readonly loaded: readonly string[] }

describe('a member with a model loaded answering for one without it (real processes, real llama.cpp)', function () {
  this.timeout(180_000)
  const cluster = new ProcessCluster()
  const ai = { roles: 'ai,chat,storage', args: INFERENCE }

  before(async () => {
    await cluster.start([ai, ai, 'chat,storage'])
  })

  after(async () => {
    await cluster.close()
  })

  it('should answer a cold member\'s agent on the warm member, then on its own once the warm member unloads the model', async () => {
    const [a, b] = cluster.slots as [NodeSlot, NodeSlot]
    await cluster.api(a, `/models/${MODEL}/load`, { method: 'POST' })
    const warm = async (): Promise<boolean> => ((await cluster.api<MemberRow[]>(b, '/nodes')).find((m) => m.peerId === a.peerId) as { models?: string[] } | undefined)?.models?.includes(MODEL) === true
    await waitFor(warm, 'B to see A with the model loaded', { timeout: 20_000, interval: 50 })
    // a user whose agent lives on B
    const user = await cluster.keyOwnedBy(b, 'agent', 'ai', b, 'cold')
    const token = await cluster.addUser(user, b)
    const client = agentClient(b.node.grpc, token)
    const ask = async (text: string): Promise<{ done: Done, text: string }> => await agentTurn(client, text)
    const loadedOn = async (): Promise<readonly string[]> => (await cluster.api<ModelRow[]>(b, '/models')).find((m) => m.name === MODEL)?.loaded ?? []
    try {
      await client.call('Configure', { temperature: 0 })
      const first = await ask('Who answers me?')
      expect(first.done).to.include({ completionTokens: 24, model: MODEL })
      expect(first.text).to.have.length(24)
      const second = await ask('And now?')
      // A keeps the conversation's cache: the second turn evaluates only its new tokens there
      expect(second.done.cache).to.equal('memory')
      expect(second.done.cachedTokens).to.be.at.least(first.done.promptTokens)
      expect(await loadedOn(), 'where the model is loaded').to.deep.equal([a.peerId])
      expect(await cluster.metrics(b)).to.match(new RegExp(`plexi_inference_forwarded_total\\{model="${MODEL}",direction="sent"\\} 2`))
      expect(await cluster.metrics(a)).to.match(new RegExp(`plexi_inference_forwarded_total\\{model="${MODEL}",direction="served"\\} 2`))
      const { turns } = await client.call<{ turns: Array<{ role: string, content: string }> }>('History', {})
      expect(turns.map((t) => t.content)).to.deep.equal(['Who answers me?', first.text, 'And now?', second.text])

      await cluster.api(a, `/models/${MODEL}/unload`, { method: 'POST' })
      const third = await ask('And after?')
      expect(third.done.completionTokens).to.equal(24)
      // B's own entry comes first (A's record may still say it has the model for a moment)
      expect((await loadedOn())[0], 'where the model is loaded now').to.equal(b.peerId)
    } finally {
      client.close()
    }
  })
})
