// The udp, dns, smtp, ping and file checks of the config → their probe specs (pure).
import type { ProbeSpec } from '../check/manager.js';
import type { DnsCheck, FileCheck, PingCheck, RealServer, SmtpCheck, UdpCheck } from '../config/model.js';

export function probeOfMore(
  check: UdpCheck | DnsCheck | SmtpCheck | PingCheck | FileCheck,
  rs: RealServer,
): ProbeSpec {
  const bind =
    check.type !== 'file' && check.bindAddress !== undefined ? { bindAddress: check.bindAddress } : {};
  switch (check.type) {
    case 'udp':
      return {
        type: 'udp',
        host: rs.address,
        port: check.port,
        connectTimeoutMs: check.connectTimeoutMs,
        ...bind,
        ...(check.payloadHex !== undefined ? { payloadHex: check.payloadHex } : {}),
        requireReply: check.requireReply,
        ...(check.replyHex !== undefined ? { replyHex: check.replyHex } : {}),
        minReplyLength: check.minReplyLength,
        maxReplyLength: check.maxReplyLength,
      };
    case 'dns':
      return {
        type: 'dns',
        host: rs.address,
        port: check.port,
        connectTimeoutMs: check.connectTimeoutMs,
        ...bind,
        queryType: check.queryType,
        name: check.queryName,
      };
    case 'smtp':
      return {
        type: 'smtp',
        host: rs.address,
        port: check.port,
        connectTimeoutMs: check.connectTimeoutMs,
        ...bind,
        heloName: check.heloName,
      };
    case 'ping':
      return { type: 'ping', host: rs.address, connectTimeoutMs: check.connectTimeoutMs, ...bind };
    case 'file':
      return { type: 'file', path: check.file, reverse: check.reverse };
  }
}
