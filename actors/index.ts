/**
 * actors/: the actor kernel (kernel/: a library with no I/O of its own) and, apart from it, the
 * entity behaviours of the card (entities/: chat rooms, directories, agents; soon shard holders).
 */
export * from './kernel/index.ts'
export * from './entities/index.ts'
