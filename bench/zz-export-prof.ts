import { startNodeProcess } from '../test/helpers/node-process.ts'
import { mkdtempSync } from 'node:fs'
import { exportRooms, loadRooms } from './conversations-transfer.ts'
const dir = mkdtempSync('/tmp/prof/node-')
const names = Array.from({ length: 6 }, (_, i) => `p-${i}`)
{
  const node = await startNodeProcess(dir, ['--no-search'], 60_000)
  const t = { admin: node.admin, adminToken: node.adminToken, grpc: node.grpc }
  console.log('import', await loadRooms([t], { rooms: 6, postsPerRoom: 20_000, roomName: (i) => names[i] ?? '', concurrency: 2 }))
  await node.stop('SIGTERM', 30_000)
}
process.env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=/tmp/prof/cpu`
const node = await startNodeProcess(dir, ['--no-search'], 60_000)
delete process.env.NODE_OPTIONS
const t = { admin: node.admin, adminToken: node.adminToken, grpc: node.grpc }
for (let i = 0; i < 3; i++) console.log('export', await exportRooms([t], names, 2))
await node.stop('SIGTERM', 30_000)
