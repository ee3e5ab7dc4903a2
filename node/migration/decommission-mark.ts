import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DecommissionedError } from './errors.ts'

/** The file in a data dir whose node was decommissioned. */
export const DECOMMISSIONED_FILE = 'DECOMMISSIONED'

/** Refuses a data dir whose node was decommissioned: it left the cluster for good, and its
 * journals' partitions were handed to others (starting it again would bring back a member the
 * cluster forgot, with a stale copy of what it held). */
export async function refuseDecommissioned (dataDir: string): Promise<void> {
  let text: string
  try {
    text = await readFile(join(dataDir, DECOMMISSIONED_FILE), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  let mark: { peerId?: unknown, at?: unknown } = {}
  try { mark = JSON.parse(text) as typeof mark } catch { /* a damaged mark still refuses */ }
  throw new DecommissionedError(dataDir, typeof mark.peerId === 'string' ? mark.peerId : undefined, typeof mark.at === 'string' ? mark.at : undefined)
}

/** Marks `dataDir`: its node left the cluster for good (written whole, then renamed into place). */
export async function markDecommissioned (dataDir: string, peerId: string): Promise<void> {
  const path = join(dataDir, DECOMMISSIONED_FILE)
  await writeFile(`${path}.tmp`, `${JSON.stringify({ peerId, at: new Date().toISOString() })}\n`, { mode: 0o600 })
  await rename(`${path}.tmp`, path)
}
