// streamhub.js: a viewer of one StreamHub stream, for browsers and any runtime with a standard
// global WebSocket (Node 22+). No dependencies, no build step; served by the hub at
// /client/streamhub.js, declared in /client/streamhub.d.ts.
//
//   import { connectViewer } from "/client/streamhub.js";
//   const viewer = connectViewer(location.origin, "match-7", {
//     onMessage: ({ id, event, data }) => console.log(id, event, data),
//     onStatus: (status) => console.log(status),   // connecting, open, reconnecting, closed
//   });
//   viewer.close();
//
// What it does for you: it reconnects with full-jitter exponential backoff (a random wait up to
// min(30 s, 0.5 s × 2^attempt), the attempt count reset after a connection that lasted a minute or
// a node that closed with 1001 as it shut down);
// it resumes with the last id and epoch, so events published while it was away arrive once each,
// in order; it reports a resume the hub could not serve as a gap; and it asks getToken() for a
// viewer token before every connect, so a token that expired (close code 4001) is replaced.

const maxBackoffMs = 30_000;
const firstBackoffMs = 500;
const stableConnectionMs = 60_000;
const goingAway = 1001;
const tokenExpired = 4001;

/**
 * Opens a viewer connection to `streamID` on the hub at `hubURL` (its http(s):// or ws(s)://
 * origin) and keeps it open until `close()`.
 */
export function connectViewer(hubURL, streamID, options = {}) {
  const { getToken, onMessage = () => {}, onStatus = () => {}, onGap = () => {}, resume = true } = options;
  const base = String(hubURL).replace(/^http/, "ws").replace(/\/+$/, "");
  let lastId = null;
  let epoch = null;
  let attempt = 0;
  let socket = null;
  let retryTimer = null;
  let closed = false;
  /** Whether the current connection asked to resume, and from where. */
  let resuming = null;

  /** Calls one of the page's callbacks; one that throws is logged and does not stop the viewer. */
  function notify(callback, name, value) {
    try {
      callback(value);
    } catch (error) {
      console.error(`streamhub: ${name} threw`, error);
    }
  }
  const status = (value) => notify(onStatus, "onStatus", value);
  const deliver = (message) => notify(onMessage, "onMessage", message);

  async function connect() {
    retryTimer = null;
    let token = null;
    try {
      token = getToken ? await getToken() : null;
    } catch (error) {
      console.error("streamhub: getToken failed", error);
      return retry(false);
    }
    if (closed) return;
    const query = new URLSearchParams();
    resuming = resume && lastId !== null && epoch !== null ? { since: lastId, epoch } : null;
    if (resuming) {
      query.set("since", String(resuming.since));
      query.set("epoch", resuming.epoch);
    }
    if (token) query.set("token", token);
    const search = query.toString();
    const url = `${base}/api/v1/streams/${encodeURIComponent(streamID)}/ws${search ? `?${search}` : ""}`;
    const opened = Date.now();
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      if (socket === ws) status("open");
    };
    ws.onmessage = (event) => {
      if (socket === ws) receive(event.data);
    };
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = null;
      if (closed) return;
      // A connection that lasted, or a node going away on purpose (1001: shutting down), is no
      // failure: reconnect soon, and a load balancer sends this viewer to another node.
      if (Date.now() - opened >= stableConnectionMs || event.code === goingAway) attempt = 0;
      // An expired token is replaced at once: getToken is asked again before connecting.
      retry(event.code === tokenExpired);
    };
  }

  function receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (!message || typeof message.event !== "string" || typeof message.id !== "number") return;
    const { id, event, data } = message;
    if (event === "stream_state") {
      if (resuming && data.recovered === false) notify(onGap, "onGap", { since: resuming.since, epoch: resuming.epoch });
      // Recovered: the missed events follow, from lastId on. Otherwise this state is current and
      // ids count from its id (a new epoch may start them afresh).
      if (!(resuming && data.recovered === true)) lastId = id;
      epoch = data.epoch ?? epoch;
      resuming = null;
      return deliver(message);
    }
    if (event === "viewer_count_changed") return deliver(message);
    // A published event: each once, in id order, whatever the reconnects.
    if (lastId !== null && id <= lastId) return;
    lastId = id;
    deliver(message);
  }

  function retry(immediately) {
    if (closed) return;
    status("reconnecting");
    const delay = immediately ? 0 : Math.random() * Math.min(maxBackoffMs, firstBackoffMs * 2 ** attempt);
    attempt += 1;
    retryTimer = setTimeout(connect, delay);
  }

  status("connecting");
  connect();

  return {
    /** Closes the connection and stops reconnecting. */
    close() {
      if (closed) return;
      closed = true;
      if (retryTimer !== null) clearTimeout(retryTimer);
      const ws = socket;
      socket = null;
      if (ws) ws.close(1000);
      status("closed");
    },
    /** The id of the last event handed to onMessage (or of the last stream_state), null before any. */
    get lastId() {
      return lastId;
    },
    /** The stream's epoch from the last stream_state, null before any. */
    get epoch() {
      return epoch;
    },
  };
}
