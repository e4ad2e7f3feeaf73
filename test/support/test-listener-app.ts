/**
 * The test listener of the local endpoint, as a real HTTP server: every request goes to the
 * colour that the endpoint's test listener forwards to right now (as the ALB would), and each
 * colour is a small app whose behaviour a test sets (its version, a broken release, a slow one).
 * Listens on 127.0.0.1 only.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { ARNS, type AwsEndpoint } from "./aws-endpoint";

export interface ColourApp {
  /** What GET /version answers. */
  version: string;
  /** A broken release: /health and /api/* answer 500. */
  broken?: boolean;
  /** Added to every answer. */
  delayMs?: number;
}

export class TestListenerApp {
  /** Each request served: `<colour> <METHOD> <path>`. */
  readonly requests: string[] = [];
  private server?: http.Server;
  url = "";

  constructor(
    private readonly ep: AwsEndpoint,
    readonly apps: Record<"blue" | "green", ColourApp>,
    private readonly listenerArn: string = ARNS.testListener,
  ) {}

  /** The colour the test listener forwards to, from the endpoint's state. */
  colour(): "blue" | "green" | undefined {
    const a = this.ep.state.listeners[this.listenerArn]?.defaultActions[0];
    const tg = (a?.TargetGroupArn as string | undefined) ?? undefined;
    return tg === ARNS.blue ? "blue" : tg === ARNS.green ? "green" : undefined;
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const colour = this.colour();
        this.requests.push(`${colour} ${req.method} ${req.url}`);
        const json = (status: number, v: unknown) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(v));
        };
        const answer = () => {
          if (!colour) return json(503, { message: "no healthy target" });
          const app = this.apps[colour];
          const url = new URL(req.url ?? "/", "http://local");
          if (url.pathname === "/health") return app.broken ? json(500, { status: "error" }) : json(200, { status: "ok" });
          if (url.pathname === "/version") return json(200, { version: app.version, colour });
          if (url.pathname === "/api/orders" && req.method === "POST") {
            if (app.broken) return json(500, { error: "database connection refused" });
            let order: unknown;
            try {
              order = JSON.parse(body);
            } catch {
              return json(400, { error: "body is not JSON" });
            }
            return json(201, { status: "created", order, auth: req.headers.authorization ?? null });
          }
          return json(404, { error: `no route ${req.method} ${url.pathname}` });
        };
        const delay = colour ? (this.apps[colour].delayMs ?? 0) : 0;
        if (delay > 0) setTimeout(answer, delay);
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
