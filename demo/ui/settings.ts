/**
 * The model endpoint settings: base URL, model and API key of an OpenAI-compatible endpoint.
 * The key is kept in this module's memory and handed to the worker over the control channel:
 * never written to storage, the run input, headers or the URL. After a reload it is gone, and
 * a run that needs it waits until the person enters it again.
 */
import type { ApiBackend } from '../schemas.ts';
import { $ } from './dom.ts';
import type { WorkerControl } from './control.ts';

let endpoint: ApiBackend | undefined;

export function apiBackend(): ApiBackend | undefined {
  return endpoint;
}

export function initSettings(control: WorkerControl, onChange: () => void): void {
  const form = $('#endpoint-form', HTMLFormElement);
  const baseURL = $('#endpoint-url', HTMLInputElement);
  const model = $('#endpoint-model', HTMLInputElement);
  const key = $('#endpoint-key', HTMLInputElement);
  const status = $('#endpoint-status');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    let url: URL;
    try {
      url = new URL(baseURL.value.trim());
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      status.textContent = 'The base URL must be an http(s) URL, such as https://api.openai.com/v1.';
      baseURL.focus();
      return;
    }
    const root = url.href.replace(/\/+$/, '');
    const apiKey = key.value;
    endpoint = { kind: 'api', baseURL: root, model: model.value.trim() || 'gpt-4o-mini', needsKey: apiKey !== '' };
    if (apiKey !== '') control.setKey(root, apiKey);
    key.value = '';
    status.textContent = `Using ${endpoint.model} at ${url.host}${apiKey ? ' (key held in memory)' : ' (no key)'}. New runs can use it.`;
    onChange();
  });
}

/** Asks the person for the key a run waits for (pre-filling its endpoint). */
export function askForKey(url: string): void {
  const baseURL = $('#endpoint-url', HTMLInputElement);
  if (baseURL.value.trim().replace(/\/+$/, '') !== url) baseURL.value = url;
  $('#endpoint-status').textContent = `A run is waiting for the key of ${url}: enter it and press “Use endpoint”.`;
  const details = $('#endpoint-form', HTMLFormElement).closest('details');
  if (details && !details.open) details.open = true;
}
