import { expect } from 'chai'
import { MAX_ROOM_POSTERS, mayHavePosted, notePoster } from '../../../actors/entities/room-posters.ts'
import type { RoomPosters } from '../../../actors/entities/room-posters.ts'

describe('room posters', () => {
  it('should keep posters sorted and once, and rule out only who never posted', () => {
    let p: RoomPosters = []
    for (const name of ['carol', 'alice', "bob's agent", 'alice']) p = notePoster(p, name)
    expect(p).to.deep.equal(['alice', "bob's agent", 'carol'])
    expect(mayHavePosted(p, 'alice')).to.equal(true)
    expect(mayHavePosted(p, 'bob'), 'their agent posted').to.equal(true)
    expect(mayHavePosted(p, 'dave')).to.equal(false)
  })

  it('should stop telling past MAX_ROOM_POSTERS, and never rule anyone out then or for a state without posters', () => {
    let p: RoomPosters = []
    for (let i = 0; i < MAX_ROOM_POSTERS; i++) p = notePoster(p, `u${i}`)
    expect(p?.length).to.equal(MAX_ROOM_POSTERS)
    p = notePoster(p, 'one-more')
    expect(p).to.equal(null)
    expect(mayHavePosted(p, 'anyone')).to.equal(true)
    expect(notePoster(p, 'x')).to.equal(null)
    expect(mayHavePosted(undefined, 'anyone')).to.equal(true)
    expect(notePoster(undefined, 'x')).to.equal(null)
  })
})
