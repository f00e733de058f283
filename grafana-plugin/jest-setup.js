// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';
import { MessageChannel as NodeMessageChannel } from 'node:worker_threads';

// React 19's react-dom/server.browser (pulled in by @grafana/ui) and its
// scheduler need MessageChannel; jsdom does not provide it. Node's ports
// hold the event loop open once a handler is set, so they are unref'd
// after every assignment: an idle channel must not keep Jest from exiting.
function findSetter(obj, key) {
  for (let o = obj; o; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, key);
    if (d) return d;
  }
  return undefined;
}

class MessageChannel extends NodeMessageChannel {
  constructor() {
    super();
    for (const port of [this.port1, this.port2]) {
      const d = findSetter(port, 'onmessage');
      Object.defineProperty(port, 'onmessage', {
        configurable: true,
        get: () => d.get.call(port),
        set: (fn) => {
          d.set.call(port, fn);
          port.unref();
        },
      });
      port.unref();
    }
  }
}

if (typeof global.MessageChannel === 'undefined') {
  Object.assign(global, { MessageChannel });
}
