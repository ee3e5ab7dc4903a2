import type * as grpc from '@grpc/grpc-js'
import type protobuf from 'protobufjs'
import { AGENT, checkSettingsChange } from '../../actors/index.ts'
import type { ActorSystem, AgentSettings, AgentTurn, Logger } from '../../actors/index.ts'
import { InvalidRequestError, MAX_AGENT_TURNS } from '../../protocols/index.ts'
import type { ToolPolicy } from '../users/index.ts'
import { askCall } from './agent-ask.ts'
import type { AgentAskDeps } from './agent-ask.ts'
import { settingsChange, wireSettings, wireTools, wireTurn } from './agent-wire.ts'
import type { AgentHistoryRequest, AgentRequest, AskRequest, ConfigureRequest, ToolsRequest } from './agent-wire.ts'
import { tellAgentNode } from './agent-node.ts'
import { agentCaller } from './call-auth.ts'
import { AGENT_HISTORY_DEFAULT } from './constants.ts'
import { ToolsNotSetUpError } from './errors.ts'
import { failureOf, unaryCall } from './grpc-status.ts'
import { TransferCalls } from './transfer-calls.ts'
import type { Exporter } from '../transfer/index.ts'

export interface AgentServiceDeps extends AgentAskDeps {
  readonly system: ActorSystem
  readonly retryTypes: protobuf.Root
  readonly log: Logger
  /** The users' tool policies: absent, Tools answers UNIMPLEMENTED. */
  readonly toolPolicy?: Pick<ToolPolicy, 'view' | 'switch'>
  /** Exports (node/transfer): absent, one that asks agents' owners for every page. */
  readonly exporter?: Exporter | undefined
}

/**
 * The `plexi.agent.v1.Agent` handlers. Every call authenticates, then may only reach the caller's
 * own agent (PERMISSION_DENIED otherwise). Ask streams the answer as the agent makes it.
 */
export function agentServiceHandlers (deps: AgentServiceDeps): grpc.UntypedServiceImplementation {
  const failure = failureOf('agent', deps)
  const unary = <Req extends AgentRequest, Res>(name: string, body: (deps: AgentServiceDeps, req: Req, user: string) => Promise<Res>): grpc.handleUnaryCall<Req, Res> =>
    unaryCall<Req, Res>(name, async (call) => {
      const user = await agentCaller(call, deps, call.request.user)
      tellAgentNode(call, deps.agentNode, user)
      return await body(deps, call.request, user)
    }, failure)
  const transfer = new TransferCalls(deps, failure)
  return {
    Export: transfer.exportHandler('agent'),
    Import: transfer.importHandler('agent'),
    Ask: (call: grpc.ServerWritableStream<AskRequest, unknown>) => {
      // askCall answers every failure on the call itself: nothing is left to reject
      void askCall(deps, failure, call)
    },
    History: unary('History', history),
    GetSettings: unary('GetSettings', getSettings),
    Configure: unary('Configure', configure),
    Reset: unary('Reset', reset),
    Tools: unary('Tools', tools)
  }
}

const agent = (deps: AgentServiceDeps, user: string) => deps.system.entity(AGENT, user)

async function history (deps: AgentServiceDeps, req: AgentHistoryRequest, user: string): Promise<{ turns: unknown[] }> {
  const limit = req.limit === 0 ? AGENT_HISTORY_DEFAULT : req.limit
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AGENT_TURNS) throw new InvalidRequestError(`limit: must be 1 to ${MAX_AGENT_TURNS} (0 means ${AGENT_HISTORY_DEFAULT})`)
  const turns = await agent(deps, user).ask<AgentTurn[]>((replyTo) => ({ type: 'history', user, limit, replyTo }))
  return { turns: turns.map(wireTurn) }
}

/** The settings with the models the agent's node can run (what a client offers to choose from). */
async function getSettings (deps: AgentServiceDeps, _req: AgentRequest, user: string): Promise<unknown> {
  const [settings, models] = await Promise.all([
    agent(deps, user).ask<AgentSettings>((replyTo) => ({ type: 'settings', user, replyTo })),
    agent(deps, user).ask<readonly string[]>((replyTo) => ({ type: 'models', user, replyTo }))
  ])
  return wireSettings(settings, models)
}

async function configure (deps: AgentServiceDeps, req: ConfigureRequest, user: string): Promise<unknown> {
  const change = settingsChange(req)
  // checked here, before the agent (which checks again: its messages may come from anywhere)
  checkSettingsChange(change)
  const [settings, models] = await Promise.all([
    agent(deps, user).ask<AgentSettings>((replyTo) => ({ type: 'configure', user, change, replyTo })),
    agent(deps, user).ask<readonly string[]>((replyTo) => ({ type: 'models', user, replyTo }))
  ])
  return wireSettings(settings, models)
}

async function reset (deps: AgentServiceDeps, _req: AgentRequest, user: string): Promise<{ turnsRemoved: number }> {
  const turnsRemoved = await agent(deps, user).ask<number>((replyTo) => ({ type: 'reset', user, replyTo }))
  return { turnsRemoved }
}

/** The caller's tool policy, after the switches it asks for, and the tools its agent is offered. */
async function tools (deps: AgentServiceDeps, req: ToolsRequest, user: string): Promise<unknown> {
  const policy = deps.toolPolicy
  if (policy === undefined) throw new ToolsNotSetUpError('this node has no tools set up for agents')
  const enable = req.enable ?? []
  const disable = req.disable ?? []
  // the names are checked by the policy (INVALID_ARGUMENT, naming the first bad one)
  const view = enable.length + disable.length > 0 ? await policy.switch(user, { enable, disable }) : await policy.view(user)
  return wireTools(view, deps.toolProvider === undefined ? [] : await deps.toolProvider.tools(user))
}
