import { GENESIS, auditHash } from '../../actors/index.ts'
import type { AuditEntry, AuditRecord } from '../../actors/index.ts'

// Audit entries and chains as the audit log writes them, for its specs (test/actors/entities).

/** The `n`-th entry of a run of user additions. */
export const auditEntry = (n: number): AuditEntry => ({
  actor: 'admin', node: 'n1', ip: '127.0.0.1', action: 'POST /api/v1/users', target: '/api/v1/users', outcome: 'ok', status: 201, detail: `{"name":"u${n}"}`
})

/** A chain of `n` records as the entity writes them. */
export function auditChain (n: number): AuditRecord[] {
  const out: AuditRecord[] = []
  let prev = GENESIS
  for (let seq = 1; seq <= n; seq++) {
    const e = auditEntry(seq)
    const hash = auditHash(prev, 1_000 + seq, e)
    out.push({ seq, ts: 1_000 + seq, ...e, prev, hash })
    prev = hash
  }
  return out
}
