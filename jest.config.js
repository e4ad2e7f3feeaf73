/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // Transpile only (type-checking is `npm run typecheck`, once for the whole tree).
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: false }] },
  setupFiles: ["<rootDir>/test/support/env.ts"],
  setupFilesAfterEnv: ["<rootDir>/test/support/jest-setup.ts"],
  testTimeout: 120000,
  // Three workers on CI's 2 cores: jest's default (cores - 1) runs the suites one after another,
  // and much of their time is waiting (the local AWS rehearsal on the provider's fixed waits,
  // ecs-shift's fault tests on held calls and bakes), not computing.
  maxWorkers: 3,
};
