/**
 * Fault injection ("Inject a fault" on the page), as wrappers around the runners and the hook,
 * so that no step knows about it.
 *
 * A wrapped model call does its work (and its runner memoizes the answer), then the step attempt
 * fails as if the worker crashed right after the model answered: the worst moment to lose an
 * attempt. The retry calls the model again, and the runner answers from the memo: the timeline
 * shows the memo hit, and nothing is paid twice. Out of attempts, the step is dead-lettered.
 */
import type { Llm } from 'stepwise/runners/llm';
import type { Transformers } from 'stepwise/runners/transformers';
import { StepError, type Step, type TerminalHook } from 'stepwise/worker';
import { faultEverything, takeFault } from './control.ts';

/** The transformers.js runner, failing the attempt after a model call while a fault is set. */
export function withFaults(tx: Transformers): Transformers {
  return {
    version: tx.version,
    preload: (task, model) => tx.preload(task, model),
    generate: async (step, request) => afterCall(step, await tx.generate(step, request)),
    embed: async (step, request) => afterCall(step, await tx.embed(step, request)),
  };
}

/** The LLM runner, failing the attempt after a chat call while a fault is set. */
export function llmWithFaults(llm: Llm): Llm {
  return { chat: async (step, request, options) => afterCall(step, await llm.chat(step, request, options)) };
}

/** A terminal hook that fails (and is retried, then dead-lettered) while faults are on for every attempt. */
export function hookWithFaults(hook: TerminalHook): TerminalHook {
  return {
    ...hook,
    async onTerminal(outcome, effects, signal) {
      if (faultEverything()) throw StepError.transient(`injected fault: the ${hook.name} hook is unavailable`);
      await hook.onTerminal(outcome, effects, signal);
    },
  };
}

function afterCall<T extends { replayed: boolean }>(step: Step, result: T): T {
  const fault = takeFault();
  if (fault === 'off') return result;
  const answer = result.replayed ? 'answered from the memo' : 'answered, and the answer is in the memo';
  throw StepError.transient(`injected fault (${fault === 'once' ? 'once' : 'every attempt'}): step ${step.stepNumber} failed after a model call (${answer})`);
}
