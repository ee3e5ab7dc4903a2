import { mkdir } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import type { PrivateKey } from '@libp2p/interface'
import { ConfigError, checkNodeConfig } from '../../config/index.ts'
import type { NodeConfig } from '../../config/index.ts'
import { loadBackupKey } from '../backup/index.ts'
import type { BackupKey } from '../backup/index.ts'
import { AdminTokenFileError, AdminTokens, TlsFileError, loadPeerIdentity, loadTlsIdentity, resolveAdminToken } from '../identity/index.ts'
import type { AdminTokenSource, TlsIdentity } from '../identity/index.ts'
import { refuseDecommissioned } from '../migration/index.ts'
import { readClusterKey } from '../mesh/index.ts'
import { missingDriver } from '../../runtimes/index.ts'
import { checkDataDir, checkListenAddresses, listenAddresses } from './listen-check.ts'

/** What a node knows before any part starts: checked configuration, keys and identity. */
export interface NodePreflight {
  readonly capacity: number
  /** The cluster's pre-shared key (undefined: the node runs alone, with no p2p host). */
  readonly clusterKey: Uint8Array | undefined
  readonly backupKey: BackupKey | undefined
  readonly tls: TlsIdentity | undefined
  readonly identity: { readonly privateKey: PrivateKey, readonly peerId: string }
  readonly adminToken: { readonly token: string, readonly source: AdminTokenSource, readonly path: string }
  /** Named admin tokens, each read-only or full (plexi admin tokens add). */
  readonly adminTokens: AdminTokens
}

/**
 * Everything a node checks and reads before it starts a part: configuration checks across keys,
 * the cluster and backup keys, the TLS pair, the data dir (refused when it is a file, made, and
 * refused when decommissioned), the addresses to listen on (refused when taken: listen-check.ts),
 * the peer identity and the admin tokens. A bad file fails the start as a ConfigError naming its
 * key, before anything listens or is written beyond the data dir itself.
 */
export async function nodePreflight (config: NodeConfig): Promise<NodePreflight> {
  checkNodeConfig(config)
  const asConfig = (key: string) => (err: Error): never => { throw new ConfigError(key, err.message) }
  const clusterKey = config.clusterKeyFile === undefined ? undefined : await readClusterKey(config.clusterKeyFile).catch(asConfig('cluster-key-file'))
  const backupKey = config.backupKeyFile === undefined ? undefined : await loadBackupKey(config.backupKeyFile).catch(asConfig('backup-key-file'))
  // checked before anything listens or is written: a wrong pair fails the start, naming the file
  const tls = config.tlsCert === undefined || config.tlsKey === undefined ? undefined : await loadTlsIdentity(config.tlsCert, config.tlsKey).catch((err: unknown) => {
    throw err instanceof TlsFileError ? new ConfigError(err.key, err.message) : err
  })
  // gpu cuda on a machine without the CUDA driver: refused before anything is written (the rest of
  // the backend's check, loading llama.cpp's CUDA binary, is the inference part's)
  if (config.gpu === 'cuda' && (config.role ?? []).includes('ai')) {
    const missing = missingDriver('cuda')
    if (missing !== undefined) throw new ConfigError('gpu', cudaRefusal(missing))
  }
  // a data dir that cannot be one, and an address taken, refused before anything is written
  await checkDataDir(config.dataDir)
  await checkListenAddresses(listenAddresses(config))
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError('data-dir', `cannot make ${config.dataDir} (${err.code ?? err.message}): give --data-dir a directory this user may write`)
  })
  await refuseDecommissioned(config.dataDir)
  const identity = await loadPeerIdentity(config.dataDir)
  const adminToken = await resolveAdminToken(config.dataDir, config.adminToken).catch((err: unknown) => {
    throw err instanceof AdminTokenFileError ? new ConfigError('admin-token', err.message) : err
  })
  const adminTokens = await AdminTokens.open(config.dataDir).catch(asConfig('data-dir'))
  return { capacity: config.capacity ?? availableParallelism(), clusterKey, backupKey, tls, identity, adminToken, adminTokens }
}

/** Why `gpu cuda` cannot start here, and what to do: one line. */
export function cudaRefusal (why: string): string {
  return `gpu cuda, but ${why}: install the NVIDIA driver and the CUDA 12 or 13 runtime, or give --gpu auto (the CPU where there is no GPU) or --gpu off`
}
