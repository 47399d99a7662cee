// Internet checksum (RFC 1071) and the pseudo-headers that upper-layer checksums cover.
// Pure: bytes in, numbers or bytes out.

/**
 * One's complement sum (RFC 1071 §1) of several buffers taken as one byte stream,
 * folded to 16 bits. Parts may have odd lengths: a part that ends mid-word continues
 * the word into the next part, exactly as if the parts had been concatenated.
 */
export function onesComplementSum(parts: readonly Uint8Array[], initial = 0): number {
  let sum = initial;
  let odd = false; // true when the previous part left a high byte waiting for its low byte
  for (const p of parts) {
    let i = 0;
    const n = p.length;
    if (odd && n > 0) {
      sum += p[0]!;
      i = 1;
      odd = false;
    }
    for (; i + 1 < n; i += 2) sum += (p[i]! << 8) | p[i + 1]!;
    if (i < n) {
      sum += p[i]! << 8;
      odd = true;
    }
  }
  // Deferred carries (RFC 1071 §2(B)): the sum is exact in a double up to 2^53, far beyond
  // any packet; fold with arithmetic, not 32-bit bit operators, which would drop high bits.
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/** The value to store in a checksum field: the complement of the sum, with that field zeroed in `parts`. */
export function internetChecksum(...parts: Uint8Array[]): number {
  return ~onesComplementSum(parts) & 0xffff;
}

/** True when the sum over data that includes its checksum field is all ones (RFC 1071 §1 verification). */
export function checksumValid(...parts: Uint8Array[]): boolean {
  return onesComplementSum(parts) === 0xffff;
}

/**
 * IPv4 pseudo-header (RFC 768 / RFC 793 form): source, destination, zero, protocol,
 * upper-layer length (16 bits). VRRPv3 over IPv4 uses this form (RFC 5798 §5.2.8).
 */
export function ipv4PseudoHeader(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): Buffer {
  if (src.length !== 4 || dst.length !== 4) throw new RangeError('IPv4 pseudo-header needs 4-byte addresses');
  const b = Buffer.alloc(12);
  b.set(src, 0);
  b.set(dst, 4);
  b[9] = protocol & 0xff;
  b.writeUInt16BE(length & 0xffff, 10);
  return b;
}

/**
 * IPv6 pseudo-header (RFC 8200 §8.1): source, destination, upper-layer packet length
 * (32 bits), three zero bytes, next header.
 */
export function ipv6PseudoHeader(
  src: Uint8Array,
  dst: Uint8Array,
  nextHeader: number,
  length: number,
): Buffer {
  if (src.length !== 16 || dst.length !== 16)
    throw new RangeError('IPv6 pseudo-header needs 16-byte addresses');
  const b = Buffer.alloc(40);
  b.set(src, 0);
  b.set(dst, 16);
  b.writeUInt32BE(length >>> 0, 32);
  b[39] = nextHeader & 0xff;
  return b;
}

/** The pseudo-header for either family, chosen by the address length. */
export function pseudoHeader(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): Buffer {
  return src.length === 4
    ? ipv4PseudoHeader(src, dst, protocol, length)
    : ipv6PseudoHeader(src, dst, protocol, length);
}

/**
 * onesComplementSum([buf.subarray(start, end)], initial) without making the view: the
 * receive path's form (one buffer, an even start).
 */
export function rangeSum(buf: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * onesComplementSum([pseudoHeader(src, dst, protocol, length)]) without building it (both
 * forms are an even number of bytes, so the sum may be the initial value of the rest's).
 */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  if (src.length !== dst.length || (src.length !== 4 && src.length !== 16))
    throw new RangeError('pseudo-header needs two 4-byte or two 16-byte addresses');
  let sum = rangeSum(src, 0, src.length, rangeSum(dst, 0, dst.length)) + (protocol & 0xff);
  if (src.length === 4) sum += length & 0xffff;
  else sum += ((length >>> 16) & 0xffff) + (length & 0xffff);
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}
