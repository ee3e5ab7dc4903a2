import { backupChunksPart, backupsPart, holderRepairPart } from './backup-parts.ts'
import { erasurePart } from './erasure-parts.ts'
import { modelPullPart } from './model-pull-parts.ts'
import { adminPart, clientLimitsPart, directoryViewPart, grpcPart, openAiPart, statsPart } from './endpoint-parts.ts'
import { inferencePart, modelsPart } from './inference-parts.ts'
import { actorsPart, entitiesPart } from './kernel-parts.ts'
import { meshPart, p2pPart, selfPart, writeQuorumPart } from './mesh-parts.ts'
import { leavePart, migrationPart } from './migration-parts.ts'
import type { NodeBase, NodeComponents } from './node-components.ts'
import type { PartSpec } from './part-list.ts'
import { checkPluginManifest } from '../../protocols/index.ts'
import { pluginHostPart, postHooksResumePart, toolsPart } from './plugin-parts.ts'
import { pluginRegistryPart } from './plugin-registry-parts.ts'
import { searchIndexPart, searchPart } from './search-parts.ts'
import { tracingPart } from './tracing-parts.ts'
import { transferPart } from './transfer-parts.ts'
import { webPart } from './web-parts.ts'
import { antiEntropyPart, catchUpPart, handOffPart, scrubPart } from './repair-parts.ts'
import { catchUpStatePart, journalPart, metricsPart, modelRegistryPart, storePart } from './storage-parts.ts'
import { rosterVersionsPart } from './roster-parts.ts'
import { settlePart } from './settle-parts.ts'

/**
 * The parts of a node, in start order; they stop right to left (node/lifecycle.ts). Each starts
 * after the parts whose components it needs (checked before anything starts: checkPartList), so a
 * start that fails half-way and a graceful stop undo things in the same order, and the journal is
 * flushed last. docs/architecture.md ("A node's lifecycle") lists them; a spec holds the two equal.
 */
export const NODE_PARTS: ReadonlyArray<PartSpec<NodeComponents>> = [
  storePart,
  modelRegistryPart,
  metricsPart,
  tracingPart,
  searchIndexPart,
  journalPart,
  actorsPart,
  catchUpStatePart,
  modelsPart,
  inferencePart,
  entitiesPart,
  selfPart,
  p2pPart,
  meshPart,
  searchPart,
  pluginHostPart,
  toolsPart,
  postHooksResumePart,
  writeQuorumPart,
  migrationPart,
  leavePart,
  antiEntropyPart,
  scrubPart,
  handOffPart,
  catchUpPart,
  rosterVersionsPart,
  settlePart,
  directoryViewPart,
  erasurePart,
  modelPullPart,
  backupChunksPart,
  backupsPart,
  holderRepairPart,
  statsPart,
  clientLimitsPart,
  pluginRegistryPart(checkPluginManifest),
  transferPart,
  adminPart,
  grpcPart,
  webPart,
  openAiPart
]

/** The components known before any part starts (NodeBase's names), for checkPartList. */
export const NODE_BASE: ReadonlyArray<keyof NodeBase> = ['config', 'log', 'logTail', 'preflight', 'roles', 'state', 'startedAt', 'reach', 'pins', 'membership', 'kernel', 'moves', 'shutdown', 'repairs', 'serviceFailures', 'toolsPort', 'roomPluginsPort', 'traceLog']
