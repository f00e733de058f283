/** Package name and version, the instrumentation scope. Kept in step with package.json by a test. */
export const PACKAGE_NAME = '@mcp-conservation/instrumentation';
export const PACKAGE_VERSION = '0.1.0';
