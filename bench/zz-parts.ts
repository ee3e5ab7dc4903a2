import { ClassicLevel } from 'classic-level'
import { createHash, hash } from 'node:crypto'
import { Packr } from 'msgpackr'
const dir = '/tmp/prof/' + (await import('node:fs')).readdirSync('/tmp/prof').filter((d) => d.startsWith('db-')).sort().at(-1)
const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' })
await db.open()
const packr = new Packr({ useRecords: false })
for (let round = 0; round < 3; round++) {
  let t = performance.now()
  const it = db.iterator({ gte: 'r', lte: 'r\xff' })
  const all: Array<[string, Uint8Array]> = []
  for (;;) { const e = await it.nextv(1000); if (e.length === 0) break; for (const x of e) all.push(x) }
  await it.close()
  const iterMs = performance.now() - t
  const n = all.length
  t = performance.now()
  for (const [k, v] of all) createHash('sha256').update(k).update(v.subarray(33)).digest()
  const shaMs = performance.now() - t
  t = performance.now()
  for (const [k, v] of all) hash('sha256', Buffer.concat([Buffer.from(k), v.subarray(33)]), 'buffer')
  const sha2Ms = performance.now() - t
  t = performance.now()
  let ok = 0
  for (const [, v] of all) { try { packr.unpack(v.subarray(33)); ok++ } catch {} }
  const unpackMs = performance.now() - t
  const it2 = db.iterator({ gte: 'r', lte: 'r\xff', keyEncoding: 'view' })
  t = performance.now()
  let m = 0
  for (;;) { const e = await it2.nextv(1000); if (e.length === 0) break; m += e.length }
  await it2.close()
  const iterViewMs = performance.now() - t
  const us = (ms: number) => (ms * 1000 / n).toFixed(2)
  console.log(`${n} entries: iterate ${us(iterMs)} us, iterate (view keys) ${us(iterViewMs)}, sha createHash ${us(shaMs)}, sha one-shot ${us(sha2Ms)}, msgpack ${us(unpackMs)} (${ok} ok)`)
}
await db.close()
