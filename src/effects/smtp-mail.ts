// E-mail alerts through nodemailer: one pooled-less transport per SMTP server, plain SMTP
// (no STARTTLS, as keepalived), EHLO with the configured name (nodemailer falls back to HELO).

import nodemailer from 'nodemailer';
import type { MailMessage, MailSender } from './types.js';

export interface SmtpServerOptions {
  host: string;
  port: number;
  from: string;
  to: readonly string[];
  heloName: string;
  connectTimeoutMs: number;
}

export function createMailSender(o: SmtpServerOptions): MailSender {
  const transport = nodemailer.createTransport({
    host: o.host,
    port: o.port,
    secure: false,
    ignoreTLS: true,
    name: o.heloName,
    connectionTimeout: o.connectTimeoutMs,
    greetingTimeout: o.connectTimeoutMs,
    socketTimeout: o.connectTimeoutMs,
  });
  return {
    async send(m: MailMessage) {
      await transport.sendMail({ from: o.from, to: [...o.to], subject: m.subject, text: m.text });
    },
    close() {
      transport.close();
    },
  };
}
