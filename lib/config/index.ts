export { ConfigError, type ConfigProblem } from "./hcl";
export { ConfigBug, loadAllEnvironmentConfigs, loadEnvironmentConfig, loadProjectConfig, parseEnvironmentConfig } from "./load";
export * from "./backend";
export * from "./types";
