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
    if (d) {
      return d;
    }
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

// jsdom has no IntersectionObserver; Scenes' lazy grid loader needs one.
// This one reports every observed element as visible at once, as a tall
// browser window would, so every panel activates.
if (typeof global.IntersectionObserver === 'undefined') {
  class ImmediateIntersectionObserver {
    constructor(callback) {
      this.callback = callback;
    }
    observe(target) {
      this.callback([{ target, isIntersecting: true, intersectionRatio: 1 }], this);
    }
    unobserve() {}
    disconnect() {}
    takeRecords() {
      return [];
    }
  }
  Object.assign(global, { IntersectionObserver: ImmediateIntersectionObserver });
}

// jsdom has no layout: ResizeObserver reports a fixed 1200x800 box so
// panels measure a size and render, as they would in a browser window.
if (typeof global.ResizeObserver === 'undefined') {
  class FixedSizeResizeObserver {
    constructor(callback) {
      this.callback = callback;
    }
    observe(target) {
      const contentRect = { width: 1200, height: 800, top: 0, left: 0, right: 1200, bottom: 800, x: 0, y: 0 };
      this.callback(
        [
          {
            target,
            contentRect,
            borderBoxSize: [{ inlineSize: 1200, blockSize: 800 }],
            contentBoxSize: [{ inlineSize: 1200, blockSize: 800 }],
          },
        ],
        this
      );
    }
    unobserve() {}
    disconnect() {}
  }
  Object.assign(global, { ResizeObserver: FixedSizeResizeObserver });
}

// jsdom has no canvas; @grafana/ui measures text through a 2D context.
// Text is measured as 7 px per character.
HTMLCanvasElement.prototype.getContext = () => ({
  measureText: (text) => ({ width: String(text).length * 7 }),
  font: '',
});
