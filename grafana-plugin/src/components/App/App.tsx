import React from 'react';
import type { AppRootProps } from '@grafana/data';
import { Alert } from '@grafana/ui';
import { useSceneApp } from '@grafana/scenes';
import { currentAccess, type Access } from '../../access/access';
import { sceneApp } from '../../scenes/app';
import { testIds } from '../testIds';

export interface AppProps extends Partial<AppRootProps> {
  /** Overrides the signed-in user's access (tests). */
  access?: Access;
}

function App({ access }: AppProps) {
  const resolved = access ?? currentAccess();
  const factory = React.useMemo(() => () => sceneApp(resolved), [resolved.read, resolved.audit]); // eslint-disable-line react-hooks/exhaustive-deps
  const scene = useSceneApp(factory);
  if (!resolved.read) {
    return (
      <Alert title="No access" severity="warning" data-testid={testIds.app.denied}>
        You need the MCP conservation reader role to see these pages.
      </Alert>
    );
  }
  return (
    <div data-testid={testIds.app.container}>
      <scene.Component model={scene} />
    </div>
  );
}

export default App;
