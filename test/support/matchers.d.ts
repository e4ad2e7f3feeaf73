// cdktf 0.21 declares its jest matchers on `jest.Matchers<R>`; @types/jest 30 declares
// `Matchers<R, T>`, so the declarations do not merge. Re-declare them with the same parameters.
import type { TerraformConstructor } from "cdktf/lib/testing/matchers";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R, T = {}> {
      toHaveResource(resourceConstructor: TerraformConstructor): R;
      toHaveResourceWithProperties(resourceConstructor: TerraformConstructor, properties: Record<string, any>): R;
      toHaveDataSource(dataSourceConstructor: TerraformConstructor): R;
      toHaveDataSourceWithProperties(dataSourceConstructor: TerraformConstructor, properties: Record<string, any>): R;
      toHaveProvider(providerConstructor: TerraformConstructor): R;
      toHaveProviderWithProperties(providerConstructor: TerraformConstructor, properties: Record<string, any>): R;
    }
  }
}
export {};
