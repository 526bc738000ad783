import { defineConfig } from 'vite';
import { stepwise } from 'stepwise/vite';

export default defineConfig({
  // Builds the worker imported with `?worker&url` as a module worker, in development and in
  // production, and stops a worker URL that would only work in development.
  plugins: [stepwise()],
});
