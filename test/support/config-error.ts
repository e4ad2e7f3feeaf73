import { ConfigError } from "../../lib/config";

/** The ConfigError the promise rejects with; fails the test when it resolves or throws anything else. */
export async function configErrorOf(promise: Promise<unknown>): Promise<ConfigError> {
  const outcome = await promise.then(
    (value) => ({ accepted: value }),
    (e: unknown) => e,
  );
  expect(outcome).toBeInstanceOf(ConfigError);
  return outcome as ConfigError;
}
