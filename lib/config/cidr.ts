/** IPv4 CIDR arithmetic for config validation. */
export interface Cidr {
  readonly text: string;
  readonly base: number; // network address as an unsigned 32-bit number
  readonly prefix: number;
  readonly size: number;
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,3})$/;

export function ipToString(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

/** Parses `a.b.c.d/n`; returns an error text when malformed or not the network address. */
export function parseCidr(text: string): Cidr | string {
  const m = IPV4_CIDR.exec(text);
  if (!m) {
    if (text.includes(":")) return "is an IPv6 range; the stacks are IPv4-only (the load balancer and VPC have no IPv6 addresses): list IPv4 CIDRs like 10.0.0.0/16";
    return "is not an IPv4 CIDR like 10.0.0.0/16";
  }
  if (m.slice(1).some((part) => part.length > 1 && part.startsWith("0"))) {
    return `has a leading zero, which AWS refuses (and some tools read as octal): write ${m.slice(1, 5).map(Number).join(".")}/${Number(m[5])}`;
  }
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255)) return "has an octet above 255";
  if (prefix > 32) return "has a prefix length above 32";
  const addr = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const size = 2 ** (32 - prefix);
  const base = prefix === 0 ? 0 : (addr - (addr % size)) >>> 0;
  if (base !== addr) return `is not a network address (did you mean ${ipToString(base)}/${prefix}?)`;
  return { text, base, prefix, size };
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}
