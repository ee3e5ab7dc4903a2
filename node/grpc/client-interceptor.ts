import * as grpc from '@grpc/grpc-js'
import type protobuf from 'protobufjs'
import { clientAddress } from '../limits/index.ts'
import type { ClientLimits, TrustedProxies } from '../limits/index.ts'
import { statusOf } from './grpc-status.ts'

/**
 * The node's limits per client address on every gRPC call (chat, agent and reflection alike),
 * applied before its handler runs: a call over its address's request rate, or one carrying a token
 * from an address with too many failed authentications, is answered RESOURCE_EXHAUSTED with
 * retry info (as a user's chat rate limit is); a streaming call beyond its address's stream cap is
 * answered RESOURCE_EXHAUSTED. A call that carried a token and was answered UNAUTHENTICATED is a
 * failed authentication of its address (a call with no token is no attempt). A stream's slot is
 * freed however its call ends: a status sent, the client gone, the server closing. A call whose
 * connection comes from one of `proxies` is from the client its `x-forwarded-for` metadata names.
 */
export function clientInterceptor (limits: ClientLimits, retryTypes: protobuf.Root, proxies?: TrustedProxies): grpc.ServerInterceptor {
  return (method, call) => {
    // getConnectionInfo, not getPeer: grpc-js writes an IPv6 peer as `::1:5555`, which is itself a
    // valid IPv6 address
    const peer = call.getConnectionInfo().remoteAddress
    let address = clientAddress(peer)
    let token = false
    let release: (() => void) | undefined
    const end = (): void => {
      release?.()
      release = undefined
    }
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, pass) => {
            token = metadata.get('authorization').length > 0
            if (proxies !== undefined && proxies.size > 0) {
              const forwarded = metadata.get('x-forwarded-for').filter((v): v is string => typeof v === 'string')
              address = proxies.clientOf(peer, forwarded.length === 0 ? undefined : forwarded.join(','))
            }
            try {
              limits.request('grpc', address)
              if (token) limits.checkAuthentication('grpc', address)
              if (method.responseStream) release = limits.openStream('grpc', address)
            } catch (err) {
              // straight to the call, past this interceptor's sendStatus: a refusal is no failure
              call.sendStatus(statusOf(err, retryTypes).status)
              return
            }
            pass(metadata)
          },
          // every end of a call comes here, after its status or without one
          onCancel: end
        })
      },
      sendStatus: (status, next) => {
        end()
        if (status.code === grpc.status.UNAUTHENTICATED && token) limits.failedAuthentication('grpc', address)
        next(status)
      }
    })
  }
}
