/** LangGraph's checkpoint saver conformance suite, in Node on fake-indexeddb. */
import './validation-suite.ts';
