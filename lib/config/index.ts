export { ConfigError, type ConfigProblem } from "./hcl";
export { loadAllEnvironmentConfigs, loadEnvironmentConfig, loadProjectConfig, parseEnvironmentConfig } from "./load";
export * from "./backend";
export * from "./types";
