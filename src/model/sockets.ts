/** A socket that accepts traffic: a TCP socket in LISTEN state or a bound, unconnected UDP socket. */
export interface ListeningSocket {
  protocol: 'tcp' | 'udp';
  family: 4 | 6;
  address: string;
  port: number;
  /** Bound to 127.0.0.0/8 or ::1, so unreachable from the network. */
  loopback: boolean;
  inode: string;
}

const TCP_LISTEN = '0A';
const UDP_UNCONNECTED = '07';

/** Decode /proc/net's address: 32-bit words in host byte order (little-endian on x86 and arm64). */
function decodeAddress(hex: string): { address: string; loopback: boolean } {
  if (hex.length === 8) {
    const bytes = (Buffer.from(hex, 'hex').reverse() as Buffer);
    const address = [...bytes].join('.');
    return { address, loopback: bytes[0] === 127 };
  }
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) words.push(Buffer.from(hex.slice(i, i + 8), 'hex').reverse().toString('hex'));
  const full = words.join('');
  const groups = full.match(/.{4}/g) ?? [];
  const address = groups.map((group) => group.replace(/^0+(?=.)/, '')).join(':');
  const mappedV4 = full.startsWith('00000000000000000000ffff');
  const loopback = full === '00000000000000000000000000000001' || (mappedV4 && full.slice(24, 26) === '7f');
  return { address, loopback };
}

/** Parse one of /proc/net/{tcp,tcp6,udp,udp6}. NOTE: assumes a little-endian kernel. */
export function parseProcNet(source: string, protocol: 'tcp' | 'udp', family: 4 | 6): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const line of source.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const [localHex, portHex] = (fields[1] ?? '').split(':');
    const remote = fields[2] ?? '';
    const state = fields[3];
    if (localHex === undefined || portHex === undefined) continue;
    const listening = protocol === 'tcp' ? state === TCP_LISTEN : state === UDP_UNCONNECTED && /^0+:0000$/.test(remote);
    if (!listening) continue;
    const { address, loopback } = decodeAddress(localHex);
    sockets.push({ protocol, family, address, port: parseInt(portHex, 16), loopback, inode: fields[9] ?? '' });
  }
  return sockets;
}
