import { Testing } from "cdktf";

// Registers cdktf's jest matchers: toHaveResource, toHaveResourceWithProperties, toBeValidTerraform, ...
Testing.setupJest();
