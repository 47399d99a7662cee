// IPVS failures in words an operator can act on. The kernel answers IPVS requests with
// a bare errno (ip_vs_ctl.c); what it means depends on what was asked, so the words are
// chosen here per command. Pure.
import type { IpvsSyncDaemon } from '../netlink/ipvs.js';
import type { IpvsOp } from './reconcile.js';

/** A refused IPVS request: `code` is the errno name, `request` what was asked. */
export class IpvsError extends Error {
  constructor(
    readonly code: string,
    readonly errno: number,
    readonly request: string,
    readonly advice: string,
    readonly kernelMessage?: string,
  ) {
    super(`${request}: ${advice} (${code}${kernelMessage ? `: ${kernelMessage}` : ''})`);
    this.name = 'IpvsError';
  }
}

/** What an errno means for this request, and what to do about it. */
export function describeIpvsFailure(code: string, op?: IpvsOp, daemon?: IpvsSyncDaemon): string {
  if (code === 'EPERM' || code === 'EACCES') return 'not permitted: vrrpd needs CAP_NET_ADMIN';
  if (code === 'ENOBUFS')
    return 'netlink answers were lost (receive buffer overrun); the next pass re-reads the table';
  if (code === 'ETIMEDOUT') return 'the kernel did not answer in time';
  if (daemon) {
    if (code === 'EEXIST') return `a sync daemon is already running as ${daemon.state}`;
    if (code === 'ENODEV') return `interface '${daemon.ifname}' does not exist`;
    if (code === 'EINVAL')
      return 'the kernel refused the sync daemon settings (interface, sync id, group, port)';
  }
  if (!op) {
    if (code === 'ESRCH') return 'no such sync daemon is running';
    if (code === 'EINVAL') return 'the kernel refused the value';
    return 'the kernel refused the request';
  }
  const svc = op.service;
  switch (op.op) {
    case 'add-service':
    case 'edit-service':
      if (code === 'ENOENT') {
        const pe = svc.peName ? ` or persistence engine '${svc.peName}' (module ip_vs_pe_${svc.peName})` : '';
        return `scheduler '${svc.scheduler}'${pe} not available: load kernel module ip_vs_${svc.scheduler} (modprobe ip_vs_${svc.scheduler})`;
      }
      if (code === 'EEXIST') return 'the virtual service already exists (made by hand or another tool?)';
      if (code === 'ESRCH')
        return 'the virtual service does not exist (deleted by hand?); the next pass adds it';
      if (code === 'EAFNOSUPPORT') return 'this kernel has no IPv6 support in IPVS';
      if (code === 'EINVAL') {
        return svc.family === 6
          ? 'the kernel refused the service settings (an IPv6 persistence netmask must be 1..128)'
          : 'the kernel refused the service settings (protocol, port, flags, timeout)';
      }
      break;
    case 'delete-service':
      if (code === 'ESRCH') return 'the virtual service is already gone';
      break;
    case 'add-dest':
    case 'edit-dest':
    case 'delete-dest':
      if (code === 'ESRCH')
        return 'the virtual service does not exist (deleted by hand?); the next pass re-adds it';
      if (code === 'EEXIST') return 'the real server is already in this service';
      if (code === 'ENOENT') return 'the real server is not in this service (removed by hand?)';
      if (code === 'ERANGE') return 'the lower connection threshold is above the upper one';
      if (code === 'EAFNOSUPPORT') return 'this kernel has no IPv6 support in IPVS';
      if (code === 'EINVAL') {
        return op.dest.family !== svc.family
          ? 'an IPv4/IPv6 mixed real server needs tunnel forwarding and no sync daemon running'
          : 'the kernel refused the real server settings (weight must be >= 0; a GUE tunnel needs a port)';
      }
      break;
  }
  return 'the kernel refused the request';
}
