import { expect } from 'chai'
import { ROOM_NAME_PATTERN, USER_NAME_PATTERN, isRoomName, isUserName } from '../../protocols/index.ts'

describe('names', () => {
  it('should take lowercase user names of 1 to 32 characters starting with a letter, and nothing else', () => {
    for (const name of ['a', 'alice', 'bob_2', 'x-y', 'a'.repeat(32)]) expect(isUserName(name), name).to.equal(true)
    for (const name of ['', 'Alice', '2bob', '-opt', '_x', 'a'.repeat(33), 'al ice', 'ålice', 'a/b', 7, null]) expect(isUserName(name), String(name)).to.equal(false)
    expect(USER_NAME_PATTERN.test('alice')).to.equal(true)
  })

  it('should take lowercase room names of 1 to 64 characters starting with a letter or digit, dots allowed', () => {
    for (const name of ['general', '2026', 'team.eng', 'a_b-c', 'r'.repeat(64)]) expect(isRoomName(name), name).to.equal(true)
    for (const name of ['', 'General', '.hidden', '-x', 'r'.repeat(65), 'a b', 'a/b', undefined]) expect(isRoomName(name), String(name)).to.equal(false)
    expect(ROOM_NAME_PATTERN.test('general')).to.equal(true)
  })
})
