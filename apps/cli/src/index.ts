export { run } from './run.js';
export { isToolName, type ToolModule, type ToolName, type ToolSpec, tools } from './tools.js';
