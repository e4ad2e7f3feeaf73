import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { Construct } from "constructs";
import { LOG_RETENTION_DAYS } from "./config/schema";
import { COLOURS, type PerColour } from "./config/types";

export interface ServiceLogGroupsProps {
  /** e.g. `webapp-dev`; groups are `/ecs/<namePrefix>/<colour>`. */
  readonly namePrefix: string;
  /** Days to keep logs; one of CloudWatch's allowed values. */
  readonly retentionInDays: number;
  /** Customer-managed KMS key. @default - CloudWatch Logs' own encryption */
  readonly kmsKeyArn?: string;
}

/** One log group per colour, so each colour's logs and retention stand on their own. */
export class ServiceLogGroups extends Construct {
  public readonly byColour: PerColour<CloudwatchLogGroup>;

  constructor(scope: Construct, id: string, props: ServiceLogGroupsProps) {
    super(scope, id);
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(props.retentionInDays)) {
      throw new Error(`ServiceLogGroups: retentionInDays ${props.retentionInDays} is not allowed by CloudWatch; use one of ${LOG_RETENTION_DAYS.join(", ")}`);
    }
    const make = (colour: string) =>
      new CloudwatchLogGroup(this, colour, {
        name: `/ecs/${props.namePrefix}/${colour}`,
        retentionInDays: props.retentionInDays,
        kmsKeyId: props.kmsKeyArn,
        tags: { Color: colour },
      });
    const [blue, green] = COLOURS.map(make);
    this.byColour = { blue, green };
  }
}
