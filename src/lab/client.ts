// What the lab's client does, as small scripts this Node runs inside the client's namespace
// (`ip netns exec <ns> <node> -e <script> <args>`), so the lab needs no ping or curl:
//  - CONNECT_SCRIPT: TCP connects to a few addresses at once; the SYN makes the client's
//    kernel resolve the address (ARP / neighbour discovery), so its neighbour entry for the
//    VIP exists and can be watched moving. A refused connect is an answer too.
//  - HTTP_GET_SCRIPT: N plain GETs in a row, each on a new connection (so IPVS schedules
//    each one), answering with the body (the real server's name) or 'no answer'.
// Both print one JSON document on stdout; parse it with parseConnectResults / parseHttpAnswers.

/** argv: JSON [{address, port}], timeout ms. Prints [{address, port, result}]. */
export const CONNECT_SCRIPT = `
const net = require('node:net');
const targets = JSON.parse(process.argv[1]);
const timeoutMs = Number(process.argv[2]);
const one = (t) => new Promise((resolve) => {
  const s = net.connect({ host: t.address, port: t.port });
  const done = (result) => { clearTimeout(timer); s.destroy(); resolve({ ...t, result }); };
  const timer = setTimeout(() => done('timeout'), timeoutMs);
  s.once('connect', () => done('connected'));
  s.once('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : String(e.code || e.message)));
});
Promise.all(targets.map(one)).then((r) => process.stdout.write(JSON.stringify(r)));
`;

/** argv: url, times, timeout ms per request. Prints ["r1", "no answer", ...]. */
export const HTTP_GET_SCRIPT = `
const http = require('node:http');
const [url, times, timeoutMs] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const get = () => new Promise((resolve) => {
  const timer = setTimeout(() => { req.destroy(); resolve('no answer'); }, timeoutMs);
  const req = http.get(url, { agent: false }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => { body += d; });
    res.on('end', () => {
      clearTimeout(timer);
      resolve(res.statusCode === 200 ? body.trim() : 'HTTP ' + res.statusCode);
    });
  });
  req.once('error', () => { clearTimeout(timer); resolve('no answer'); });
});
(async () => {
  const out = [];
  for (let i = 0; i < times; i++) out.push(await get());
  process.stdout.write(JSON.stringify(out));
})();
`;

export interface ConnectTarget {
  address: string;
  port: number;
}

export interface ConnectResult extends ConnectTarget {
  /** 'connected', 'refused' (both: the address answered), 'timeout', or an errno code */
  result: string;
}

/** The address answered: a connection, or a refusal (a RST from whoever holds it). */
export function answered(r: ConnectResult): boolean {
  return r.result === 'connected' || r.result === 'refused';
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} printed no result: ${JSON.stringify(text.slice(0, 200))}`);
  }
}

export function parseConnectResults(stdout: string): ConnectResult[] {
  const v = parseJson(stdout, 'the connect script');
  if (
    !Array.isArray(v) ||
    !v.every(
      (r) => typeof r?.address === 'string' && typeof r?.port === 'number' && typeof r?.result === 'string',
    )
  )
    throw new Error(`the connect script printed an unexpected result: ${stdout.slice(0, 200)}`);
  return v as ConnectResult[];
}

export function parseHttpAnswers(stdout: string): string[] {
  const v = parseJson(stdout, 'the HTTP client');
  if (!Array.isArray(v) || !v.every((a) => typeof a === 'string'))
    throw new Error(`the HTTP client printed an unexpected result: ${stdout.slice(0, 200)}`);
  return v;
}
