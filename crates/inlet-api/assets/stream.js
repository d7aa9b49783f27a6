// A channel's live stream, read with fetch() because an EventSource cannot
// send an Authorization header. Each connection resumes with
// Last-Event-ID = the last seq shown, so after a blip the server replays
// exactly what was missed (from PostgreSQL) before going live again; posts
// are deduplicated by seq all the same.

/** Reconnection delays: doubling from FIRST up to MAX, with jitter. */
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15000;
/** The server sends a heartbeat every 15 s: this much silence is a dead connection. */
const SILENCE_MS = 45000;

/** Splits a text/event-stream into events ({type, id, data}), chunk by chunk. */
class EventParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = '';
    this.reset();
  }

  reset() {
    this.type = '';
    this.id = null;
    this.data = [];
  }

  push(chunk) {
    this.buffer += chunk;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop(); // an unfinished line waits for the next chunk
    for (const line of lines) this.line(line);
  }

  line(line) {
    if (line === '') {
      if (this.data.length > 0 || this.type) {
        this.onEvent({ type: this.type || 'message', id: this.id, data: this.data.join('\n') });
      }
      this.reset();
      return;
    }
    if (line.startsWith(':')) return; // a comment: the heartbeat
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id') this.id = value;
  }
}

/** Follows one channel: connects, reads, and reconnects with backoff until stopped. */
export class ChannelStream {
  /**
   * `token()` gives the bearer token; `onPost(post)` shows a post;
   * `onState(state, detail)` shows the connection; `onRefused()` is called
   * when the token is refused (the stream then stops).
   */
  constructor({ channelId, afterSeq, token, onPost, onState, onRefused }) {
    this.channelId = channelId;
    this.lastSeq = afterSeq;
    this.token = token;
    this.onPost = onPost;
    this.onState = onState;
    this.onRefused = onRefused;
    this.stopped = false;
    this.controller = null;
    this.wakeUp = null;
    /** What the last 429 asked to wait (`Retry-After`), in ms. */
    this.retryAfterMs = 0;
  }

  start() {
    this.run();
    return this;
  }

  stop() {
    this.stopped = true;
    this.controller?.abort();
    this.wakeUp?.();
  }

  /** Skips the wait before the next attempt. */
  retryNow() {
    this.wakeUp?.();
  }

  async run() {
    let failures = 0;
    while (!this.stopped) {
      if (failures === 0) this.onState('connecting');
      else this.onState('reconnecting', 'Connection lost · reconnecting…');
      let outcome;
      try {
        outcome = await this.follow();
      } catch {
        outcome = 'failed'; // the network, or a silent connection that was aborted
      }
      if (this.stopped) return;
      if (outcome === 'refused') {
        this.onState('refused');
        this.onRefused();
        return;
      }
      if (outcome === 'missing') {
        this.onState('missing');
        return;
      }
      failures = outcome === 'was-live' ? 1 : failures + 1;
      if (outcome === 'busy') {
        await this.pause(failures, this.retryAfterMs, 'Too many live streams');
      } else {
        await this.pause(failures);
      }
    }
  }

  /** Waits before the next attempt: the backoff, or `atLeastMs` if longer. */
  async pause(failures, atLeastMs = 0, why = 'Connection lost') {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (failures - 1));
    const delay = Math.max(atLeastMs, Math.round(ceiling * (0.5 + Math.random() / 2)));
    const until = Date.now() + delay;
    const tick = () => {
      const seconds = Math.max(1, Math.ceil((until - Date.now()) / 1000));
      this.onState('reconnecting', `${why} · retrying in ${seconds} s`);
    };
    tick();
    const timer = setInterval(tick, 1000);
    await new Promise((resolve) => {
      this.wakeUp = resolve;
      setTimeout(resolve, delay);
    });
    clearInterval(timer);
    this.wakeUp = null;
  }

  /** One connection: resolves with how it ended ('was-live', 'failed', 'busy', 'refused', 'missing'), or throws. */
  async follow() {
    const controller = new AbortController();
    this.controller = controller;
    // Silence (no headers, no byte, no heartbeat) means a dead connection.
    let watchdog = setTimeout(() => controller.abort(), SILENCE_MS);
    try {
      return await this.read(controller, () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => controller.abort(), SILENCE_MS);
      });
    } finally {
      clearTimeout(watchdog);
    }
  }

  /** Opens the stream and reads it to its end; `heardFrom` is called on every chunk. */
  async read(controller, heardFrom) {
    const response = await fetch(`/api/v1/channels/${this.channelId}/events`, {
      headers: {
        Authorization: `Bearer ${this.token()}`,
        Accept: 'text/event-stream',
        'Last-Event-ID': String(this.lastSeq),
      },
      cache: 'no-store',
      signal: controller.signal,
    });
    if (response.status === 401 || response.status === 403) return 'refused';
    if (response.status === 404) return 'missing';
    if (response.status === 429) {
      // Too many live streams (this token's or the server's): wait at least
      // as long as the server asks before trying again.
      const seconds = Number(response.headers.get('Retry-After'));
      this.retryAfterMs = seconds > 0 ? seconds * 1000 : 0;
      return 'busy';
    }
    if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
    let live = false;
    const parser = new EventParser((event) => {
      if (event.type === 'ready') {
        live = true;
        this.onState('live');
      } else if (event.type === 'posted') {
        this.receive(JSON.parse(event.data));
      }
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        heardFrom();
        parser.push(value);
      }
    } catch (error) {
      if (!live) throw error;
    }
    return live ? 'was-live' : 'failed';
  }

  receive(post) {
    if (post.seq <= this.lastSeq) return; // already shown
    this.lastSeq = post.seq;
    this.onPost(post);
  }
}
