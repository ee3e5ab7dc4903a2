/** Inference on a node: the door agents and the OpenAI endpoint go through (limits, default
 * model), how models are found and run here, and how an agent's answer reaches its caller. */
export { AgentAsker } from './agent-asker.ts'
export { agentGateway } from './agent-gateway.ts'
export type { AgentCallSink, AgentGatewayMsg } from './agent-gateway.ts'
export { InferenceService } from './inference-service.ts'
export type { InferenceServiceDeps } from './inference-service.ts'
export { UsageLimiter } from './usage-limiter.ts'
export { bootstrapModels } from './model-bootstrap.ts'
export { createRuntime, planInference } from './inference-plan.ts'
export type { InferencePlan } from './inference-plan.ts'
export * from './errors.ts'
export { TokenCoalescer } from './token-coalescer.ts'
