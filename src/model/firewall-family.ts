import * as path from 'node:path';

/**
 * The address family of an iptables-restore file, which the format itself does not record:
 * iptables-restore and ip6tables-restore read the same syntax.
 */

/** Read the family from the file name; undefined when the name says nothing. */
export function familyFromPath(filePath: string): 4 | 6 | undefined {
  const name = path.basename(filePath).toLowerCase();
  if (/ip6tables|rules6|\.v6$|ipv6|(^|[^a-z0-9])v6([^a-z0-9]|$)/.test(name)) return 6;
  if (/iptables|rules-save|\.v4$|ipv4|(^|[^a-z0-9])v4([^a-z0-9]|$)/.test(name)) return 4;
  return undefined;
}

const IPV6_MARKERS = [/--icmpv6-type/, /-p (ipv6-icmp|icmpv6|icmp6)\b/, /\s-[sd] [0-9a-f]*:[0-9a-f:]*(\/\d+)?\s/i, /--hl-(eq|lt|gt)/, /icmp6-/];
const IPV4_MARKERS = [/--icmp-type/, /-p icmp\b/, /\s-[sd] \d+\.\d+\.\d+\.\d+(\/\d+)?\s/, /--ttl-(eq|lt|gt)/, /--reject-with icmp-/];

/** Guess the family from the options the file uses. A file with no family-specific option counts as IPv4. */
export function familyFromContent(content: string): 4 | 6 {
  const count = (markers: RegExp[]): number => markers.filter((marker) => marker.test(content)).length;
  return count(IPV6_MARKERS) > count(IPV4_MARKERS) ? 6 : 4;
}
