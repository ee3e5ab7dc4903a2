import { expect } from 'chai'
import { ModelEmbedder } from '../../../node/search/index.ts'

describe('ModelEmbedder', () => {
  it('should wait for its model manager, embed with the model it names, and check the vectors\' width', async () => {
    const embedder = new ModelEmbedder('nomic', 2)
    const asked: Array<[string, readonly string[]]> = []
    const pending = embedder.embed(['early'])
    embedder.bind({ embed: async (name, texts) => { asked.push([name, texts]); return texts.map((t) => Float32Array.from(t === 'wide' ? [1, 2, 3] : [1, 0])) } })
    expect((await pending).map((v) => Array.from(v))).to.deep.equal([[1, 0]])
    expect(asked).to.deep.equal([['nomic', ['early']]])
    await embedder.embed(['wide']).then(() => expect.fail('embedded'), (err: Error) => { expect(err.message).to.equal('model nomic gave a vector of 3 dimensions, not 2') })
    embedder.close()
    await embedder.embed(['late']).then(() => expect.fail('embedded'), (err: Error) => { expect(err.name).to.equal('SearchUnavailableError') })
    expect(() => new ModelEmbedder('x', 0)).to.throw(RangeError)
  })
})
