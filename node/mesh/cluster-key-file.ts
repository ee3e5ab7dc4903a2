import { readFile } from 'node:fs/promises'
import { tooOpen } from '../identity/index.ts'
import { PSK_HEADER } from './constants.ts'
import { ClusterKeyError } from './errors.ts'

/**
 * Reads and checks a cluster key file: the libp2p pnet format that `plexi cluster keygen` writes
 * (`/key/swarm/psk/1.0.0/`, `/base16/`, 64 hex digits), readable by its owner alone (mode 0600 or
 * stricter). A wrong file is a clear error, never a node that silently cannot talk to anyone.
 */
export async function readClusterKey (path: string): Promise<Uint8Array> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ClusterKeyError(`cannot read the cluster key file ${path}: ${(err as Error).message}`)
  }
  // as ssh refuses a private key others may read: whoever reads it can join the cluster
  const open = await tooOpen(path)
  if (open !== undefined) throw new ClusterKeyError(`${open} (whoever reads the cluster key can join the cluster)`)
  const lines = text.trim().split(/\r?\n/)
  if (lines[0] !== PSK_HEADER || lines[1] !== '/base16/' || !/^[0-9a-fA-F]{64}$/.test(lines[2] ?? '') || lines.length !== 3) {
    throw new ClusterKeyError(`${path} is not a cluster key: expected the three lines that \`plexi cluster keygen\` prints (${PSK_HEADER}, /base16/, 64 hex digits)`)
  }
  return new TextEncoder().encode(`${lines.join('\n')}\n`)
}
