/** The user listener (issue 42): gRPC-Web for browsers over the gRPC server's own handlers, and the
 * chat page. Only the composition root listens. */
export { buildWebServer } from './web-server.ts'
export type { WebServerDeps } from './web-server.ts'
export { webMetrics } from './web-metrics.ts'
export type { WebMetrics } from './web-metrics.ts'
export { messageFrame, trailerFrame, requestMessage, decodeText, percentEncoded } from './grpc-web-frame.ts'
export { PAGE_DIR } from './web-page.ts'
export { MemberOrigins } from './member-origins.ts'
export type { OriginMember } from './member-origins.ts'
export { webOrigin } from './web-origin.ts'
