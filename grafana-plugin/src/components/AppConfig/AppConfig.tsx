import React from 'react';
import type { AppPluginMeta, PluginConfigPageProps } from '@grafana/data';
import { testIds } from '../testIds';

export interface AppConfigProps extends PluginConfigPageProps<AppPluginMeta<{}>> {}

// Replaced by the alert-rule installer in the next step.
const AppConfig = (_props: AppConfigProps) => <div data-testid={testIds.appConfig.container}>Configuration</div>;

export default AppConfig;
