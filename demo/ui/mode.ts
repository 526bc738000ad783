/**
 * The form's mode switch: the research agent (plan, retrieve, draft, approve) or the agent with
 * tools (an AI SDK tool loop). In the agent mode on the built-in models, a line under the form
 * says what is scripted there.
 */
import { AGENT_WORKFLOW, WORKFLOW } from '../shared.ts';
import { SCRIPTED_NOTE } from './agent-card.ts';
import { $ } from './dom.ts';

export function selectedWorkflow(): string {
  return $('#mode-agent', HTMLInputElement).checked ? AGENT_WORKFLOW : WORKFLOW;
}

export function initModeSwitch(): void {
  const note = $('#agent-scripted');
  note.textContent = SCRIPTED_NOTE;
  const sync = () => {
    const agent = selectedWorkflow() === AGENT_WORKFLOW;
    $('#ask-submit').textContent = agent ? 'Start the agent' : 'Start research';
    note.hidden = !(agent && $('#backend-local', HTMLInputElement).checked);
  };
  for (const input of document.querySelectorAll('input[name="mode"], input[name="backend"]')) input.addEventListener('change', sync);
  // Setting an endpoint checks its radio from code, which fires no change event.
  new MutationObserver(sync).observe($('#backend-api-label'), { childList: true, characterData: true, subtree: true });
  sync();
}
