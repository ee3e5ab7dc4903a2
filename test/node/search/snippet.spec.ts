import { expect } from 'chai'
import { makeSnippet, snippetTerms } from '../../../node/search/snippet.ts'

describe('makeSnippet', () => {
  it('should mark each word that matches the query, folded as the index folds it, in a short post whole', () => {
    expect(makeSnippet('we decided to use Postgres for the ledger', snippetTerms('postgres'))).to.deep.equal({ snippet: 'we decided to use Postgres for the ledger', marks: [[18, 8]] })
    expect(makeSnippet('Café at noon, cafe later', snippetTerms('CAFÉ'))).to.deep.equal({ snippet: 'Café at noon, cafe later', marks: [[0, 4], [14, 4]] })
    expect(makeSnippet('the deployment deploys', snippetTerms('deploy*'))).to.deep.equal({ snippet: 'the deployment deploys', marks: [[4, 10], [15, 7]] })
    expect(makeSnippet('foo_bar here', snippetTerms('foo_bar')).marks, 'a word with _ is the index\'s two tokens').to.deep.equal([[0, 3], [4, 3]])
  })

  it('should show the window of words holding the most of the query\'s terms, cut with an ellipsis', () => {
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`)
    words[30] = 'alpha'
    words[33] = 'beta'
    words[5] = 'alpha'
    const { snippet, marks } = makeSnippet(words.join(' '), snippetTerms('alpha beta'), 8)
    expect(snippet).to.equal('…w26 w27 w28 w29 alpha w31 w32 beta…')
    expect(marks.map(([s, l]) => snippet.slice(s, s + l))).to.deep.equal(['alpha', 'beta'])
    expect(makeSnippet(words.join(' '), snippetTerms('zeta'), 4).snippet, 'no match: the start').to.equal('w0 w1 w2 w3…')
  })

  it('should show a semantic hit\'s start unmarked, and never more than the longest snippet', () => {
    expect(makeSnippet('x'.repeat(500), [])).to.deep.equal({ snippet: 'x'.repeat(400), marks: [] })
    const long = `${'a '.repeat(300)}target`
    const cut = makeSnippet(long, snippetTerms('target'), 16, 20)
    expect(cut.snippet.length).to.equal(20)
    expect(cut.snippet.startsWith('…a a')).to.equal(true)
    expect(cut.marks, 'a mark past the cut is dropped').to.deep.equal([])
  })
})
