/**
 * `stepwise/langgraph`: LangGraph.js on the Stepwise database. `IndexedDBSaver` is a checkpoint
 * saver whose tables live in the Stepwise database (worker, page, or Node with
 * fake-indexeddb); `graphWorkflow(graph)` runs a compiled graph as a durable workflow.
 * Needs the optional peers `@langchain/langgraph` and `@langchain/langgraph-checkpoint`.
 */
export { IndexedDBSaver, type IndexedDBSaverOptions } from './langgraph/saver.ts';
export { graphWorkflow, interruptKey, pendingInterrupts, type GraphWorkflowOptions, type RunnableGraph } from './langgraph/graph-workflow.ts';
export { interruptWith } from './langgraph/interrupt.ts';
export type { LangGraphProgress } from './langgraph/progress.ts';
