import { expect } from 'chai'
import { plexiInProcess } from '../../helpers/plexi-in-process.ts'

describe('transferCommands', function () {
  this.timeout(30_000)

  it('should refuse a bad format or a missing room before it connects, naming the flag', async () => {
    for (const [args, message] of [
      [['chat', 'export', '--room', 'r', '--format', 'xml'], /--format: expected one of json, ndjson, md, got "xml"/],
      [['agent', 'export', '--format', 'csv'], /--format: expected one of json, ndjson, md, got "csv"/],
      [['chat', 'export', '--room', 'Bad Room'], /--room: "Bad Room" is not a room name/]
    ] as const) {
      const result = await plexiInProcess([...args, '--addr', '127.0.0.1:1', '--token', 't'])
      expect(result.code, args.join(' ')).to.equal(2)
      expect(result.stderr, args.join(' ')).to.match(message)
    }
  })

  it('should need a room to import into, and say when no node answers', async () => {
    expect((await plexiInProcess(['chat', 'import', 'file.json', '--addr', '127.0.0.1:1', '--token', 't'])).code).to.equal(2)
    const none = await plexiInProcess(['agent', 'export', '--addr', '127.0.0.1:1', '--token', 't'])
    expect(none.code).to.equal(1)
    expect(none.stderr).to.match(/127\.0\.0\.1:1/)
  })
})
