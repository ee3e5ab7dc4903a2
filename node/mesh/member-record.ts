import type { Member } from '../../protocols/index.ts'
import { MAX_RECORD_MODELS, MAX_RECORD_PLUGINS } from './membership.ts'
import type { MemberRecord, MemberView } from './membership.ts'

/** What the admin API shows of another member, from the view membership keeps. */
export function memberOf (view: MemberView): Member {
  return {
    peerId: view.peerId,
    roles: [...view.roles],
    status: view.status,
    addresses: { grpc: view.addresses.grpc, admin: view.addresses.admin, p2p: [...view.addresses.p2p], ...(view.addresses.web !== undefined && { web: view.addresses.web }) },
    load: view.load,
    startedAt: view.incarnation,
    version: view.version,
    capacity: view.capacity,
    lastSeen: view.lastSeen,
    ...(view.settled !== undefined && { settled: view.settled }),
    ...(view.models !== undefined && { models: [...view.models] }),
    ...(view.plugins !== undefined && { plugins: view.plugins.map((p) => ({ name: p.name, version: p.version })) }),
    ...(view.servers !== undefined && { servers: [...view.servers] }),
    ...(view.rosterVersion !== undefined && { rosterVersion: view.rosterVersion })
  }
}

/** This node's record for heartbeats, from what the admin API shows of it: a member says of
 * itself only joining, up or draining (suspect and down are the others' verdicts); its start time
 * is its incarnation. */
export function recordOf (self: Member): MemberRecord {
  const status = self.status === 'joining' || self.status === 'up' ? self.status : 'draining'
  return {
    peerId: self.peerId,
    roles: self.roles,
    addresses: self.addresses,
    load: self.load,
    capacity: self.capacity,
    status,
    incarnation: self.startedAt,
    version: self.version,
    ...(self.settled !== undefined && { settled: self.settled }),
    ...(self.models !== undefined && self.models.length > 0 && { models: self.models.slice(0, MAX_RECORD_MODELS) }),
    ...(self.plugins !== undefined && self.plugins.length > 0 && { plugins: self.plugins.slice(0, MAX_RECORD_PLUGINS) }),
    ...(self.servers !== undefined && self.servers.length > 0 && { servers: self.servers.slice(0, MAX_RECORD_PLUGINS) }),
    ...(self.rosterVersion !== undefined && { rosterVersion: self.rosterVersion })
  }
}
