import { expect } from 'chai'
import { ModelPullError, parseModelSource } from '../../../node/model-pull/index.ts'
import { thrown } from '../../helpers/thrown.ts'

const HUB = 'https://huggingface.co'

describe('parseModelSource', () => {
  it('should read hf:OWNER/REPO/FILE.gguf as the hub\'s resolve URL on main, named after the file', () => {
    expect(parseModelSource('hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf', HUB)).to.deep.equal({
      source: 'hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf',
      url: 'https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf',
      name: 'qwen2.5-0.5b-instruct-q4_k_m'
    })
  })

  it('should take a file in a folder of the repository, a #REVISION, a mirror as the hub, and a name given', () => {
    const s = parseModelSource('hf:o/r/sub dir/m.gguf#v1.2', 'http://127.0.0.1:9/mirror/', 'mine')
    expect(s.url).to.equal('http://127.0.0.1:9/mirror/o/r/resolve/v1.2/sub%20dir/m.gguf')
    expect(s.name).to.equal('mine')
  })

  it('should take an http(s) URL of a .gguf file', () => {
    expect(parseModelSource('https://example.com/models/tiny.gguf?download=1', HUB)).to.deep.include({ url: 'https://example.com/models/tiny.gguf?download=1', name: 'tiny' })
  })

  for (const [source, name, says] of [
    ['', undefined, 'expected a URL'],
    ['ftp://example.com/m.gguf', undefined, 'http or https'],
    ['not a url', undefined, 'expected a URL'],
    ['https://user:secret@example.com/m.gguf', undefined, 'user or password'],
    ['https://example.com/model.bin', undefined, 'does not end in .gguf'],
    ['https://example.com/bad%20name!.gguf', undefined, 'cannot be a model\'s name'],
    ['https://example.com/m.gguf', '../x', 'name: expected'],
    ['hf:owner/repo', undefined, 'expected hf:OWNER/REPO/FILE.gguf'],
    ['hf:owner/repo:Q4_K_M', undefined, 'expected hf:OWNER/REPO/FILE.gguf'],
    ['hf:owner/repo/../x.gguf', undefined, 'cannot be a file name'],
    ['hf:ow ner/repo/x.gguf', undefined, 'OWNER and REPO'],
    ['hf:o/r/x.gguf#a/b', undefined, '#REVISION'],
    ['hf:o/r/x.gguf#bad rev', undefined, '#REVISION'],
    [`https://example.com/${'a'.repeat(3000)}.gguf`, undefined, 'at most 2048']
  ] as const) {
    it(`should refuse ${JSON.stringify(source.slice(0, 60))}${name === undefined ? '' : ` named ${name}`} saying what to write`, () => {
      const err = thrown(() => parseModelSource(source, HUB, name))
      expect(err).to.be.instanceOf(ModelPullError)
      expect((err as ModelPullError).kind).to.equal('invalid')
      expect((err as Error).message).to.include(says)
    })
  }
})
