export { ConfigError, loadAllEnvironmentConfigs, loadEnvironmentConfig, parseEnvironmentConfig, type ConfigProblem } from "./load";
export * from "./types";
