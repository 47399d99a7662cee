// Hammers a daemon's control socket from its own process, for the abuse test
// (test/netns/control-abuse.test.ts):
//   node control-hammer.mjs '{"path":"/tmp/x/r1.sock","clients":1000,"seconds":8,"hogs":8}'
// `clients` connections at once, each in a loop: connect, send a status request, read the
// answer, close, again (a refused or reset connection counts and goes round again).
// Besides them `hogs` clients that write requests as fast as the socket takes them and
// never read an answer, and as many that connect and say nothing, or half a line.
// `method` (default status) is what the clients ask. Prints one JSON line of counts at the end.
import { connect } from 'node:net';

const spec = JSON.parse(process.argv[2] ?? '{}');
const end = Date.now() + spec.seconds * 1000;
const counts = { connects: 0, answers: 0, errorAnswers: 0, refused: 0, closedEarly: 0, hogBytes: 0 };
const open = new Set();

function oneRound() {
  return new Promise((resolve) => {
    const s = connect(spec.path);
    open.add(s);
    let buf = '';
    let done = false;
    const finish = (what) => {
      if (done) return;
      done = true;
      if (what) counts[what]++;
      open.delete(s);
      s.destroy();
      resolve();
    };
    s.on('connect', () => {
      counts.connects++;
      s.write(`${JSON.stringify({ id: counts.connects, method: spec.method ?? 'status' })}\n`);
    });
    s.on('data', (d) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const r = JSON.parse(buf.slice(0, nl));
      finish(r.ok ? 'answers' : 'errorAnswers');
    });
    s.on('error', (e) =>
      finish(e.code === 'ECONNREFUSED' || e.code === 'EAGAIN' ? 'refused' : 'closedEarly'),
    );
    s.on('close', () => finish('closedEarly'));
  });
}

async function client() {
  while (Date.now() < end) await oneRound();
}

function hog() {
  const s = connect(spec.path);
  open.add(s);
  s.on('error', () => {});
  s.pause(); // never read
  const line = Buffer.from(`${JSON.stringify({ id: 1, method: spec.method ?? 'status' })}\n`);
  // a few requests every 10 ms: under the server's limit of unanswered requests, so only
  // the answers nobody reads pile up
  const timer = setInterval(() => {
    if (Date.now() >= end || s.destroyed) return clearInterval(timer);
    for (let i = 0; i < 4; i++) s.write(line);
    counts.hogBytes += 4 * line.length;
  }, 10);
}

function mute(half) {
  const s = connect(spec.path);
  open.add(s);
  s.on('error', () => {});
  s.on('connect', () => {
    if (half) s.write('{"id": 1, "method": "sta');
  });
}

for (let i = 0; i < spec.hogs; i++) {
  hog();
  mute(false);
  mute(true);
}
await Promise.all(Array.from({ length: spec.clients }, client));
for (const s of open) s.destroy();
console.log(JSON.stringify(counts));
process.exit(0);
