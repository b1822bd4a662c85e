// CIDR blocks ("address/prefix", IPv4 or IPv6), as the settings (loadBalancerSourceRanges) and
// NetworkPolicy ipBlocks write them: one parser, so both accept the same texts.
import { isIPv4, isIPv6 } from "node:net";

export interface Cidr {
  text: string;
  family: 4 | 6;
  /** IPv4 network address as an unsigned number; unused for IPv6 (an IPv4 address never falls in an IPv6 block). */
  network: number;
  prefix: number;
}

/** The CIDR a text spells, or undefined when it is not one. */
export function parseCidr(text: string): Cidr | undefined {
  const [address = "", prefixText = "", ...rest] = text.split("/");
  if (rest.length > 0 || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (isIPv4(address) && prefix <= 32) return { text, family: 4, network: ipv4ToNumber(address), prefix };
  if (isIPv6(address) && prefix <= 128) return { text, family: 6, network: 0, prefix };
  return undefined;
}

function ipv4ToNumber(address: string): number {
  // Multiplication instead of bit shifts keeps the value unsigned (JS bit operators are signed 32-bit).
  return address.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
}

/** Whether an IPv4 address lies inside the block; host bits of the block address are ignored. */
export function cidrContains(cidr: Cidr, ip: string): boolean {
  if (cidr.family !== 4 || !isIPv4(ip)) return false; // an IPv4 client is never inside an IPv6 block
  const blockSize = 2 ** (32 - cidr.prefix);
  return Math.floor(ipv4ToNumber(ip) / blockSize) === Math.floor(cidr.network / blockSize);
}
