/** Limits per client: token buckets by key, and the node's limits per client address (request
 * rate, failed-authentication throttling, open streams) that every endpoint applies; the depth of
 * JSON bodies the HTTP endpoints take, and their schemas compiled on first use. */
export { RateLimiter } from './rate-limiter.ts'
export type { Allowance } from './rate-limiter.ts'
export { CLIENT_ENDPOINTS, ClientLimits, REFUSAL_REASONS } from './client-limits.ts'
export type { ClientEndpoint, ClientLimitsOptions, ClientLimitsStats, RefusalReason } from './client-limits.ts'
export { UNKNOWN_CLIENT, clientAddress, clientKey } from './client-address.ts'
export * from './errors.ts'
export { TrustedProxies, trusting } from './trusted-proxies.ts'
export { depthLimited, jsonDepth } from './json-depth.ts'
export { MAX_CLIENTS, MAX_HOPS, MAX_JSON_DEPTH } from './constants.ts'
export type { JsonBodyParser } from './json-depth.ts'
export { LAZY_SCHEMA_CONTROLLER, lazyValidator } from './lazy-schemas.ts'
