// With --experimental-transform-types (the sources use parameter properties),
// lets unit tests import a package's TypeScript sources directly: the
// sources name their siblings `./x.js` (what the build emits), which Node's
// type stripping does not map back to `./x.ts`. Registered with --import.
// In-thread hooks (registerHooks), not register(): those run on a loader
// thread, and a test counts the process's threads.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, next) {
    const fromSource = context.parentURL?.includes('/src/') && context.parentURL.endsWith('.ts');
    if (fromSource && specifier.startsWith('.') && specifier.endsWith('.js')) {
      try {
        return next(specifier.slice(0, -3) + '.ts', context);
      } catch {
        // not a TypeScript sibling: resolved as written
      }
    }
    return next(specifier, context);
  },
});
