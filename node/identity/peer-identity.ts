import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PEER_KEY_FILE } from '../constants.ts'


/**
 * The node's libp2p identity (Ed25519), kept in `<data-dir>/peer-key` (mode 0600) so that its peer
 * id survives restarts: other nodes, placement and operators' scripts know a node by it.
 */
export async function loadPeerIdentity (dataDir: string): Promise<{ privateKey: PrivateKey, peerId: string, created: boolean }> {
  const path = join(dataDir, PEER_KEY_FILE)
  let bytes: Uint8Array | undefined
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (bytes !== undefined) {
    let privateKey: PrivateKey
    try {
      privateKey = privateKeyFromProtobuf(bytes)
    } catch (err) {
      throw new Error(`${path} is not a libp2p private key (${(err as Error).message}); move it away to let the node make a new identity`)
    }
    return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString(), created: false }
  }
  const privateKey = await generateKeyPair('Ed25519')
  await writeFile(path, privateKeyToProtobuf(privateKey), { mode: 0o600, flag: 'wx' })
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString(), created: true }
}
