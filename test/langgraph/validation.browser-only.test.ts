/** LangGraph's checkpoint saver conformance suite, in Chromium on its real IndexedDB. */
import './validation-suite.ts';
