// Where VRRP and LVS events go besides logs and notify scripts: keepalived's notify FIFOs
// (one line per event, keepalived's format, in event order) and e-mail alerts (keepalived's
// subjects). The FIFO writer and the mail sender are effects the assembly hands in.

import type { AlertsConfig, Config, RealServer, SmtpAlerts, VirtualServer } from '../config/model.js';
import type { FifoWriter, MailMessage, MailSender } from '../effects/types.js';
import type { Log } from '../log.js';
import type { LvsEvent } from '../lvs/controller.js';
import type { VrrpNotifyEvent } from '../vrrp/notify.js';

export interface AlertDeps {
  openFifo(path: string): FifoWriter;
  mailer(s: SmtpAlerts): MailSender;
}

/** keepalived's text of a virtual service: "[192.0.2.10]:tcp:80", "FWM 10" */
export function kaVirtual(vs: VirtualServer): string {
  if (vs.fwmark !== undefined) return `FWM ${vs.fwmark}`;
  return `[${vs.address}]:${vs.protocol}:${vs.port ?? 0}`;
}

/** keepalived's text of a real server: "[198.51.100.2]:tcp:80" */
export function kaReal(vs: VirtualServer, rs: RealServer): string {
  return `[${rs.address}]:${vs.protocol}:${rs.port}`;
}

/** The notify FIFO line of an event (newline included). */
export function fifoLine(e: VrrpNotifyEvent | LvsEvent): string {
  switch (e.kind) {
    case 'instance':
    case 'group':
      return `${e.kind === 'group' ? 'GROUP' : 'INSTANCE'} "${e.name}" ${e.state.toUpperCase()} ${e.priority}\n`;
    case 'rs':
      return `RS ${kaReal(e.vs, e.rs)} ${kaVirtual(e.vs)} ${e.up ? 'UP' : 'DOWN'}\n`;
    case 'vs':
      return `VS ${kaVirtual(e.vs)} ${e.up ? 'UP' : 'DOWN'}\n`;
  }
}

const VRRP_SUBJECT = {
  master: 'Entering MASTER state',
  backup: 'Entering BACKUP state',
  fault: 'Entering FAULT state',
  stop: 'Stopping',
};
const VRRP_TEXT = {
  master: 'now owns its virtual addresses',
  backup: 'no longer owns its virtual addresses',
  fault: 'no longer owns its virtual addresses',
  stop: 'is stopping',
};

/** The e-mail of an event, with keepalived's subjects ("[router_id] VRRP Instance VI_1 - Entering MASTER state"). */
export function mailOf(e: VrrpNotifyEvent | LvsEvent, routerId: string): MailMessage {
  switch (e.kind) {
    case 'instance':
    case 'group': {
      const what = e.kind === 'group' ? 'VRRP Group' : 'VRRP Instance';
      return {
        subject: `[${routerId}] ${what} ${e.name} - ${VRRP_SUBJECT[e.state]}`,
        text: `=> ${what} ${e.name} ${VRRP_TEXT[e.state]} <=\n`,
      };
    }
    case 'rs':
      return {
        subject: `[${routerId}] Realserver ${kaReal(e.vs, e.rs)} of virtual server ${kaVirtual(e.vs)} - ${e.up ? 'UP' : 'DOWN'}`,
        text: `=> ${e.up ? 'check passed' : `check failed: ${e.reason}`} <=\n`,
      };
    case 'vs':
      return {
        subject: `[${routerId}] Virtualserver ${kaVirtual(e.vs)} - ${e.up ? 'UP' : 'DOWN'}`,
        text: `=> ${e.detail} <=\n`,
      };
  }
}

/** Mails waiting at most: past this, new alerts are dropped (and counted) until the queue drains. */
const MAX_QUEUED_MAILS = 100;

export interface AlertStats {
  fifoLines: number;
  fifoDropped: number;
  mailsSent: number;
  mailsFailed: number;
  mailsDropped: number;
}

export class Alerts {
  private fifos = new Map<'all' | 'vrrp' | 'lvs', FifoWriter>();
  private mailer: MailSender | null = null;
  private mailKey = '';
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private closed = false;
  readonly stats: AlertStats = {
    fifoLines: 0,
    fifoDropped: 0,
    mailsSent: 0,
    mailsFailed: 0,
    mailsDropped: 0,
  };

  constructor(
    private config: Config,
    private readonly log: Log,
    private readonly deps: AlertDeps,
  ) {
    this.apply(config);
  }

  /** Start and reload: opens FIFOs whose path is new, closes the others, replaces a changed mailer. */
  apply(config: Config): void {
    this.config = config;
    const a: AlertsConfig | undefined = config.alerts;
    const want: ['all' | 'vrrp' | 'lvs', string | undefined][] = [
      ['all', a?.fifos.all],
      ['vrrp', a?.fifos.vrrp],
      ['lvs', a?.fifos.lvs],
    ];
    for (const [k, path] of want) {
      const cur = this.fifos.get(k);
      if (cur && cur.path === path) continue;
      cur?.close();
      this.fifos.delete(k);
      if (path === undefined) continue;
      try {
        this.fifos.set(k, this.deps.openFifo(path));
      } catch (err) {
        this.log.error(
          { event: 'notify-fifo', path, err: String(err) },
          `cannot open notify FIFO ${path}: ${String(err)}`,
        );
      }
    }
    const s = a?.smtp;
    const key = s ? JSON.stringify([s.host, s.port, s.from, s.to, s.heloName, s.connectTimeoutMs]) : '';
    if (key !== this.mailKey) {
      this.mailer?.close();
      this.mailer = s ? this.deps.mailer(s) : null;
      this.mailKey = key;
    }
  }

  vrrp(e: VrrpNotifyEvent): void {
    this.toFifos(['all', 'vrrp'], fifoLine(e));
    const s = this.config.alerts?.smtp;
    if (s && (e.kind === 'instance' ? s.instances : s.groups).includes(e.name))
      this.mail(mailOf(e, this.config.global.routerId));
  }

  lvs(e: LvsEvent): void {
    this.toFifos(['all', 'lvs'], fifoLine(e));
    const s = this.config.alerts?.smtp;
    const on =
      e.kind === 'rs'
        ? s?.realServers.includes(`${e.vs.key} ${e.rs.key}`)
        : s?.virtualServers.includes(e.vs.key);
    if (on) this.mail(mailOf(e, this.config.global.routerId));
  }

  private toFifos(kinds: ('all' | 'vrrp' | 'lvs')[], line: string): void {
    for (const k of kinds) {
      const f = this.fifos.get(k);
      if (!f) continue;
      let ok = false;
      try {
        ok = f.write(line);
      } catch (err) {
        this.log.warn(
          { event: 'notify-fifo', path: f.path, err: String(err) },
          `notify FIFO ${f.path}: ${String(err)}`,
        );
      }
      if (ok) this.stats.fifoLines++;
      else {
        this.stats.fifoDropped++;
        this.log.warn(
          { event: 'notify-fifo', path: f.path, line: line.trim() },
          `notify FIFO ${f.path} is full (no reader?): line dropped`,
        );
      }
    }
  }

  private mail(m: MailMessage): void {
    const mailer = this.mailer;
    if (!mailer || this.closed) return;
    if (this.queued >= MAX_QUEUED_MAILS) {
      this.stats.mailsDropped++;
      this.log.warn(
        { event: 'smtp-alert', subject: m.subject },
        `e-mail alert dropped: ${MAX_QUEUED_MAILS} waiting already`,
      );
      return;
    }
    this.queued++;
    // one at a time, in order: the alerts of a flap arrive in the order it happened
    this.chain = this.chain
      .then(() => mailer.send(m))
      .then(
        () => {
          this.stats.mailsSent++;
          this.log.info({ event: 'smtp-alert', subject: m.subject }, `e-mail alert sent: ${m.subject}`);
        },
        (err: unknown) => {
          this.stats.mailsFailed++;
          this.log.warn(
            { event: 'smtp-alert', subject: m.subject, err: String(err) },
            `e-mail alert not sent: ${m.subject}: ${String(err)}`,
          );
        },
      )
      .finally(() => {
        this.queued--;
      });
  }

  /** Shutdown: waits (bounded) for mails in flight, then closes FIFOs and the mailer. */
  async close(timeoutMs = 5000): Promise<void> {
    await Promise.race([this.chain, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    this.closed = true;
    for (const f of this.fifos.values()) f.close();
    this.fifos.clear();
    this.mailer?.close();
    this.mailer = null;
  }
}
