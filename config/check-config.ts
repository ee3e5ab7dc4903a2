import { ConfigError } from './config-error.ts'
import type { NodeConfig } from './config-schema.ts'

/**
 * The checks across keys that a node's configuration must pass before anything starts or is
 * written; each failure is a ConfigError naming the key (the CLI exits 2 with it).
 */
export function checkNodeConfig (config: NodeConfig): void {
  if (config.role === undefined || config.role.length === 0) {
    throw new ConfigError('role', 'no role given: pass --role with chat, ai, storage, backup, plugins (comma-separated) or all; npm start uses all')
  }
  if (config.join.length > 0 && config.clusterKeyFile === undefined) {
    throw new ConfigError('join', 'joining a cluster needs its key: pass --cluster-key-file (the file `plexi cluster keygen` made, the same on every node)')
  }
  if (config.mdns && config.clusterKeyFile === undefined) {
    throw new ConfigError('mdns', 'finding nodes by mDNS needs a cluster key: pass --cluster-key-file')
  }
  if (config.agentMaxTokens >= config.contextSize) {
    throw new ConfigError('agent-max-tokens', `${config.agentMaxTokens} leaves no room for the prompt in a context of ${config.contextSize} tokens (context-size); lower it or raise context-size`)
  }
  if (!isHttpUrl(config.modelHub)) {
    throw new ConfigError('model-hub', `${JSON.stringify(config.modelHub)} is not an http or https URL (the default is https://huggingface.co)`)
  }
  if (config.otlpEndpoint !== undefined && !isHttpUrl(config.otlpEndpoint)) {
    throw new ConfigError('otlp-endpoint', `${JSON.stringify(config.otlpEndpoint.slice(0, 80))} is not an http or https URL without a query (the receiver's base, e.g. http://127.0.0.1:4318: spans go to its /v1/traces)`)
  }
  if (config.webAdvertise !== undefined && config.webListen === undefined) {
    throw new ConfigError('web-advertise', 'web-listen is off: this node serves no chat page and no gRPC-Web to advertise; drop web-advertise or turn web-listen on')
  }
  if (config.writeQuorum !== undefined && config.writeQuorum > config.replicationFactor) {
    throw new ConfigError('write-quorum', `${config.writeQuorum} is more than replication-factor ${config.replicationFactor}: a write cannot wait for more replicas than there are`)
  }
  if (config.replicaReplaceAfter > 0 && config.replicaReplaceAfter < 2 * config.failureTimeout) {
    throw new ConfigError('replica-replace-after', `${config.replicaReplaceAfter} ms is less than twice failure-timeout (${config.failureTimeout} ms): a node would be replaced before it is surely down; raise it, or 0 never to replace`)
  }
  try {
    if (config.backupSchedule !== undefined) scheduleMs(config.backupSchedule)
  } catch (err) {
    throw new ConfigError('backup-schedule', (err as Error).message)
  }
  try {
    if (config.retentionSchedule !== undefined) scheduleMs(config.retentionSchedule, 'retention run')
  } catch (err) {
    throw new ConfigError('retention-schedule', (err as Error).message)
  }
  try {
    if (config.backupAuditInterval !== undefined) scheduleMs(config.backupAuditInterval, 'audit')
  } catch (err) {
    throw new ConfigError('backup-audit-interval', (err as Error).message)
  }
  if (config.backupSchedule !== undefined && config.backupSchedule !== 'off' && config.backupKeyFile === undefined) {
    throw new ConfigError('backup-schedule', 'scheduled backups are made with the backup key: pass --backup-key-file too (plexi backup keygen makes one)')
  }
  // one without the other would serve nothing anyone can check, or leave a key lying unused
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    const [given, missing] = config.tlsCert === undefined ? ['tls-key', 'tls-cert'] : ['tls-cert', 'tls-key']
    throw new ConfigError(missing, `${given} is set but ${missing} is not: TLS needs both, the certificate chain (--tls-cert) and its private key (--tls-key); give both, or neither to serve without TLS`)
  }
  if (config.openaiListen !== undefined && !config.role.includes('ai')) {
    throw new ConfigError('openai-listen', 'the OpenAI-compatible endpoint needs the ai role on this node')
  }
}

/** The interval of `backup-schedule` in ms: `30m`, `6h`, `1d` (5 minutes to a year); undefined for
 * `off`. Throws RangeError saying what it expected. */
export function scheduleMs (text: string, what = 'backup'): number | undefined {
  if (text === 'off') return undefined
  const m = /^([1-9][0-9]{0,5})(m|h|d)$/.exec(text)
  if (m === null) throw new RangeError(`expected an interval such as 30m, 6h or 1d (minutes, hours, days), or off; got ${JSON.stringify(text.slice(0, 40))}`)
  const ms = Number(m[1]) * (m[2] === 'm' ? 60_000 : m[2] === 'h' ? 3_600_000 : 86_400_000)
  if (ms < 5 * 60_000) throw new RangeError(`at most one ${what} every 5 minutes; got ${text}`)
  if (ms > 366 * 86_400_000) throw new RangeError(`at least one ${what} a year; got ${text}`)
  return ms
}

function isHttpUrl (text: string): boolean {
  try {
    const url = new URL(text)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === ''
  } catch {
    return false
  }
}
