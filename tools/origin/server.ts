/**
 * The local SABR origin: manifests, the SABR `videoplayback` endpoint answered
 * with UMP, a request log with per-request assertions (research §9.7),
 * switchable faults (§9.6) and the raw source files. See tools/origin/README.md.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { randomBytes } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import type { TestCa } from './test-ca.ts';
import {
  FormatInitializationMetadata, MediaHeader, NextRequestPolicy, PlaybackStartPolicy, RequestCancellationPolicy,
  RequestIdentifier, SabrContextUpdate, SabrError, SabrRedirect, SnackbarMessage,
  StreamProtectionStatus, ReloadPlaybackContext, VideoPlaybackAbrRequest, UMPPartId,
} from 'googlevideo/protos';
import { loadTitles, segmentBytes, MEDIA_DIR, type FormatModel, type Title } from './media-model.ts';
import { PbWriter, serializeParts, scanFields, repeatedInts, toHex, bytesEqual, type WirePart } from './wire.ts';
import { FAULTS, parseFaultSpec, selectFaults, makeRng, describeRules, type ActiveFault, type FaultRule } from './faults.ts';
import { handleProbeRoute } from './probe-routes.ts';
import { adaptiveFormat, encodePayload, payloadInteger, renderMpd, splitPoint, type ManifestVariant, type PeriodSpec, type SabrPayload } from './manifest.ts';

export interface OriginOptions {
  host?: string;
  /** 0 = ephemeral. */
  port?: number;
  mediaDir?: string;
  /** Fault spec (see faults.ts) or parsed rules. */
  faults?: string | FaultRule[];
  seed?: number;
  /** Extra delay before every videoplayback answer, ms. */
  delayMs?: number;
  /** Readahead window the origin fills per response, ms. */
  readaheadMs?: number;
  /** Cap of media segments per track per response. */
  maxSegmentsPerTrack?: number;
  /** Media bytes per MEDIA part. */
  mediaPartBytes?: number;
  /** Send Content-Length instead of chunked transfer encoding. */
  contentLength?: boolean;
  /** Lifetime of issued streaming URLs, s. */
  expireSeconds?: number;
  /** Largest accepted request body, bytes. */
  maxBodyBytes?: number;
  /** Missing f17 (video format): 'error' answers sabr.malformed_config; 'audio-only' serves audio. */
  missingVideo?: 'error' | 'audio-only';
  /** Client info mismatch: 'log' only records the assertion; 'error' answers sabr.malformed_config. */
  clientInfoCheck?: 'log' | 'error';
  /** Called with a one-line description of every request. */
  onLog?: (line: string) => void;
  /** Public base URL to put in manifests (default http://<host>:<port>, https:// with `tls`). */
  publicUrl?: string;
  /**
   * Serve HTTPS with a certificate from a CA made at start-up (tools/origin/test-ca.ts); clients
   * trust the origin through the returned `tls.caPem`. The certificate names loopback, the bind
   * host (every interface address for 0.0.0.0/::) and the host of `publicUrl`.
   */
  tls?: boolean;
  /**
   * Write the payload's integer fields (lastModified, contentLength, approxDurationMs, ranges,
   * expiresInSeconds, audioSampleRate) as JSON numbers, as real payloads do, instead of decimal
   * strings. A manifest request overrides it with `?numbers=1` or `?numbers=0`.
   */
  numericPayload?: boolean;
}

export interface OriginHandle {
  /** Base URL of the origin (https:// when serving TLS). */
  url: string;
  /** Present when serving TLS: the CA a client must trust, and the server certificate it signed. */
  tls?: { caPem: string; certPem: string; hosts: string[] };
  port: number;
  titles: Map<string, Title>;
  close(): Promise<void>;
  /** The request log (same content as GET /__log). */
  log(): LogEntry[];
  setFaults(spec: string | FaultRule[], seed?: number): void;
  /** How many responses F16 mode=hold is holding now. */
  held(): number;
  /** Lets every response held by F16 mode=hold go on; returns how many were held. */
  releaseHeld(): number;
}

export interface Assertion {
  name: string;
  /** null = not applicable for this request. */
  ok: boolean | null;
  detail?: string;
}

export interface LogEntry {
  id: number;
  time: number;
  method: string;
  path: string;
  session?: string;
  rn?: number;
  nth?: number;
  status: number;
  outcome: string;
  faults: string[];
  assertions: Assertion[];
  request?: unknown;
  bodyHex?: string;
  parts?: Array<{ type: number; size: number; label?: string }>;
  bytesPlanned?: number;
  bytesWritten?: number;
  delivered?: string[];
  slices?: number[];
  notes?: string[];
}

export const CLIENT_INFO = { osName: 'Roku', osVersion: '14.0', clientName: 1, clientVersion: '2.20250101.00.00' };
const MAX_INT32 = 2147483647;
/** How long after a declared seek (ClientAbrState.time_since_last_seek) a backwards player time is accepted. */
const SEEK_GRACE_MS = 10_000;
const DEFAULTS = {
  readaheadMs: 15000,
  maxSegmentsPerTrack: 8,
  mediaPartBytes: 32768,
  expireSeconds: 21540,
  maxBodyBytes: 1024 * 1024,
};

interface Ctx { type: number; value: Uint8Array }

interface Session {
  ei: string;
  videoId: string;
  config: Uint8Array;
  expire: number;
  path: string;
  nonce: Uint8Array;
  cookieCounter: number;
  lastCookie?: Uint8Array;
  lastRn?: number;
  requests: number;
  lastPlayerTimeMs?: number;
  lastBackoffMs: number;
  lastResponseEnd?: number;
  /** When the last 429 went out and the seconds its Retry-After asked for. */
  lastRetryAfter?: { at: number; seconds: number };
  /** "itag:seq" of segments whose MEDIA_END was written; seq 0 = init segment. */
  delivered: Set<string>;
  /** Contexts the client should hold and send (type -> value), per the updates sent. */
  storedCtx: Map<number, Uint8Array>;
  activeCtx: Set<number>;
  /** Types the origin told the client to stop/discard. */
  mustNotSend: Set<number>;
  invalid?: 'reloaded' | 'expired' | 'redirected';
  redirectCount: number;
  reloadToken?: string;
  /** "audioItag:videoItag" pairs whose every segment was delivered (end of stream for that pair). */
  endedPairs: Set<string>;
  /** F17 state */
  firstPoToken?: string;
  protectedMediaMs: number;
  /** F18 state */
  adGate?: { value: Uint8Array; notBefore: number; passed: boolean };
  /** F21: server-chosen video itag. */
  switchedVideoItag?: number;
  clientInfo: typeof CLIENT_INFO;
}

interface DecodedRequest {
  raw: ReturnType<typeof VideoPlaybackAbrRequest.decode>;
  cookie?: Uint8Array;
  contexts: Ctx[];
  unsent: number[];
  poToken?: Uint8Array;
}

class HttpAnswer {
  constructor(readonly status: number, readonly body: string, readonly headers: Record<string, string> = {}) {}
}

function decodeRequest(body: Uint8Array): DecodedRequest {
  const raw = VideoPlaybackAbrRequest.decode(body);
  // Raw scan: cookie bytes verbatim (GV re-decodes into a message and loses unknown fields).
  const top = scanFields(body);
  let cookie: Uint8Array | undefined;
  const contexts: Ctx[] = [];
  let unsent: number[] = [];
  let poToken: Uint8Array | undefined;
  for (const f of top) {
    if (f.field !== 19 || !f.bytes) continue;
    const sc = scanFields(f.bytes);
    for (const g of sc) {
      if (g.field === 3 && g.bytes) cookie = g.bytes;
      if (g.field === 2 && g.bytes) poToken = g.bytes;
      if (g.field === 5 && g.bytes) {
        const c = scanFields(g.bytes);
        const type = c.find((x) => x.field === 1)?.num;
        const value = c.find((x) => x.field === 2)?.bytes ?? new Uint8Array();
        contexts.push({ type: Number(type ?? 0), value });
      }
    }
    unsent = repeatedInts(sc, 6);
  }
  return { raw, cookie, contexts, unsent, poToken };
}

function corsHeaders(res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'Content-Type, Content-Length, Retry-After, X-Origin-Request-Id, X-Origin-Faults, X-Origin-Session');
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? toHex(v) : v), 2);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function formatIdOf(f: FormatModel): { itag: number; lastModified: string; xtags: string } {
  return { itag: f.itag, lastModified: f.lastModified, xtags: f.xtags };
}

function formatIdWriter(f: FormatModel): PbWriter {
  const w = new PbWriter().uint(1, f.itag).uint(2, f.lastModified);
  if (f.xtags) w.string(3, f.xtags);
  return w;
}

/** A planned media segment in a response. */
interface PlannedSegment {
  format: FormatModel;
  seq: number; // 0 = init
  headerOverrides?: { contentLengthDelta?: number; omit?: Set<string> };
}

export async function startOrigin(options: OriginOptions = {}): Promise<OriginHandle> {
  const opts = { ...DEFAULTS, ...options };
  const titles = loadTitles(options.mediaDir ?? MEDIA_DIR);
  const sessions = new Map<string, Session>();
  const reloadTokens = new Map<string, Session>();
  const logEntries: LogEntry[] = [];
  let seed = options.seed ?? 1;
  let rng = makeRng(seed);
  let rules: FaultRule[] = typeof options.faults === 'string' ? parseFaultSpec(options.faults) : options.faults ?? [];
  let nextLogId = 1;
  const sockets = new Set<Socket>();
  let baseUrl = '';

  const setFaults = (spec: string | FaultRule[], newSeed?: number): void => {
    rules = typeof spec === 'string' ? parseFaultSpec(spec) : spec;
    if (newSeed !== undefined) seed = newSeed;
    rng = makeRng(seed);
  };

  const emitLog = (e: LogEntry): void => {
    logEntries.push(e);
    if (logEntries.length > 5000) logEntries.shift();
    if (options.onLog) {
      const failed = e.assertions.filter((a) => a.ok === false).map((a) => a.name);
      options.onLog(`${new Date(e.time).toISOString()} #${e.id} ${e.method} ${e.path.length > 80 ? e.path.slice(0, 77) + '...' : e.path} -> ${e.status} ${e.outcome}` +
        `${e.rn !== undefined ? ` rn=${e.rn}` : ''}${e.faults.length ? ` faults=${e.faults.join('+')}` : ''}` +
        `${e.bytesWritten !== undefined ? ` bytes=${e.bytesWritten}` : ''}${failed.length ? ` FAILED=${failed.join(',')}` : ''}`);
    }
  };

  // ---------------------------------------------------------------- sessions

  const newSession = (videoId: string, expireSeconds: number, inherit?: Session): Session => {
    const ei = randomBytes(9).toString('base64url');
    const s: Session = {
      ei,
      videoId,
      config: Uint8Array.from(Buffer.concat([Buffer.from('ORIGINCFG'), randomBytes(23)])),
      expire: Math.floor(Date.now() / 1000) + expireSeconds,
      path: '/videoplayback',
      nonce: Uint8Array.from(randomBytes(8)),
      cookieCounter: 0,
      requests: 0,
      lastBackoffMs: 0,
      delivered: new Set(inherit?.delivered ?? []),
      storedCtx: new Map(),
      activeCtx: new Set(),
      mustNotSend: new Set(),
      redirectCount: 0,
      endedPairs: new Set(),
      protectedMediaMs: 0,
      clientInfo: CLIENT_INFO,
      lastPlayerTimeMs: inherit?.lastPlayerTimeMs,
      lastRn: inherit?.lastRn,
    };
    sessions.set(ei, s);
    return s;
  };

  const streamingUrl = (s: Session): string =>
    `${baseUrl}${s.path}?sabr=1&source=youtube&expire=${s.expire}&ei=${s.ei}&id=${s.videoId}&itag=0&c=WEB&cver=${CLIENT_INFO.clientVersion}&n=origin`;

  const payloadFor = (title: Title, s: Session, numbers: boolean): string => {
    const p: SabrPayload = {
      expiresInSeconds: payloadInteger(s.expire - Math.floor(Date.now() / 1000), numbers),
      formats: [],
      adaptiveFormats: title.formats.map((f) => adaptiveFormat(f, numbers)),
      serverAbrStreamingUrl: streamingUrl(s),
      hlsFormats: [],
      ustreamerConfig: Buffer.from(s.config).toString('base64url'),
      clientInfo: { ...s.clientInfo },
      poToken: randomBytes(99).toString('base64url'),
    };
    return encodePayload(p);
  };

  // ---------------------------------------------------------------- manifest

  const handleManifest = (url: URL, res: ServerResponse, entry: LogEntry): void => {
    const m = /^\/manifest\/([^/]+)\.mpd$/.exec(url.pathname);
    const videoId = m?.[1] ?? '';
    const title = titles.get(videoId);
    if (!title) {
      entry.status = 404;
      entry.outcome = 'unknown-video';
      json(res, 404, { error: 'unknown videoId', videoIds: [...titles.keys()] });
      return;
    }
    const variant = (url.searchParams.get('variant') ?? 'single') as ManifestVariant;
    if (!['single', 'multi', 'unscoped'].includes(variant)) {
      entry.status = 400;
      entry.outcome = 'bad-variant';
      json(res, 400, { error: 'variant must be single, multi or unscoped' });
      return;
    }
    const expireSeconds = Number(url.searchParams.get('expire') ?? opts.expireSeconds);
    const numbersParam = url.searchParams.get('numbers');
    const numbers = numbersParam === null ? !!opts.numericPayload : numbersParam !== '0' && numbersParam !== 'false';
    let inherit: Session | undefined;
    const reload = url.searchParams.get('reload');
    if (reload) {
      inherit = reloadTokens.get(reload);
      entry.notes = [inherit ? `reload of session ${inherit.ei}` : `unknown reload token ${reload}`];
    }
    const root = newSession(videoId, expireSeconds, inherit);
    entry.session = root.ei;
    let periods: PeriodSpec[];
    let rootPayload: string | undefined = payloadFor(title, root, numbers);
    if (variant === 'multi') {
      const split = splitPoint(title);
      const a = newSession(videoId, expireSeconds);
      const b = newSession(videoId, expireSeconds);
      periods = [
        { id: 'content-0', startMs: 0, durationMs: split, ptoMs: 0, scope: 'content-0', payload: payloadFor(title, a, numbers) },
        { id: 'content-1', startMs: split, durationMs: title.durationMs - split, ptoMs: split, scope: 'content-1', payload: payloadFor(title, b, numbers) },
      ];
      entry.notes = [...(entry.notes ?? []), `period sessions ${a.ei} ${b.ei}`];
    } else if (variant === 'unscoped') {
      periods = [{ id: 'content-0', startMs: 0, durationMs: title.durationMs, ptoMs: 0 }];
    } else {
      periods = [{ id: 'content-0', startMs: 0, durationMs: title.durationMs, ptoMs: 0, scope: 'root' }];
    }
    if (!rootPayload) rootPayload = undefined;
    const body = renderMpd(title, periods, rootPayload);
    entry.status = 200;
    entry.outcome = `manifest:${variant}`;
    res.writeHead(200, { 'Content-Type': 'application/dash+xml', 'Cache-Control': 'no-store', 'X-Origin-Session': root.ei });
    res.end(body);
  };

  // ---------------------------------------------------------------- SABR

  const findFormat = (title: Title, id: { itag?: number; lastModified?: string; xtags?: string } | undefined): FormatModel | undefined => {
    if (!id) return undefined;
    return title.formats.find((f) => f.itag === id.itag && f.xtags === (id.xtags ?? ''));
  };

  const sabrError = (type: string, layout: 'gv' | 'yt'): WirePart => {
    if (layout === 'gv') return { type: UMPPartId.SABR_ERROR, payload: SabrError.encode({ type, code: 2 }).finish(), label: `error:${type}` };
    // Observed YT layout: {1 type, 2 action 2, 3 {4 error type 4}} (31 bytes framed for malformed_config).
    return { type: UMPPartId.SABR_ERROR, payload: new PbWriter().string(1, type).uint(2, 2).message(3, new PbWriter().uint(4, 4)).finish(), label: `error:${type}` };
  };

  const controlParts = (s: Session, title: Title, video: FormatModel | undefined, audio: FormatModel | undefined, backoffMs: number): WirePart[] => {
    const parts: WirePart[] = [];
    parts.push({ type: UMPPartId.PLAYBACK_START_POLICY, payload: PlaybackStartPolicy.encode({ startMinReadaheadPolicy: { minReadaheadMs: 1200 }, resumeMinReadaheadPolicy: { minReadaheadMs: 6000 } }).finish() });
    parts.push({ type: UMPPartId.REQUEST_IDENTIFIER, payload: RequestIdentifier.encode({ token: randomBytes(6).toString('base64url') }).finish() });
    parts.push({ type: UMPPartId.REQUEST_CANCELLATION_POLICY, payload: RequestCancellationPolicy.encode({ N0: 1000, items: [{ fR: 5000, NK: 1279651, minReadaheadMs: 0 }], jq: 0 }).finish() });
    // Cookie: GV's PlaybackCookie fields + unknown field 9 (session nonce + counter), hand-encoded.
    s.cookieCounter++;
    const cookie = new PbWriter().uint(1, 999999).uint(2, 0);
    if (video) cookie.message(7, formatIdWriter(video));
    if (audio) cookie.message(8, formatIdWriter(audio));
    cookie.message(9, new PbWriter().bytes(1, s.nonce).uint(2, s.cookieCounter));
    const cookieBytes = cookie.finish();
    s.lastCookie = cookieBytes;
    const policy = NextRequestPolicy.encode({
      targetAudioReadaheadMs: opts.readaheadMs, targetVideoReadaheadMs: opts.readaheadMs, maxTimeSinceLastRequestMs: 60000,
      backoffTimeMs: backoffMs || undefined, videoId: title.videoId,
    }).finish();
    const policyBytes = Buffer.concat([policy, new PbWriter().bytes(7, cookieBytes).finish()]);
    parts.push({ type: UMPPartId.NEXT_REQUEST_POLICY, payload: policyBytes, label: `policy:backoff=${backoffMs}` });
    s.lastBackoffMs = backoffMs;
    return parts;
  };

  const fimPart = (f: FormatModel, sizeWidth?: number): WirePart => {
    const r = (a: { start: number; end: number }): { legacyStart: number; legacyEnd: number; start: number; end: number } => ({ legacyStart: a.start, legacyEnd: a.end, start: a.start, end: a.end });
    const payload = FormatInitializationMetadata.encode({
      videoId: f.videoId, formatId: formatIdOf(f), endTimeMs: String(f.durationMs), endSegmentNumber: String(f.segments.length),
      mimeType: f.mimeType, initRange: r(f.initRange), indexRange: r(f.indexRange),
      durationUnits: String(f.durationTicks), durationTimescale: String(f.timescale),
    }).finish();
    return { type: UMPPartId.FORMAT_INITIALIZATION_METADATA, payload, label: `fim:${f.itag}`, sizeWidth };
  };

  const mediaHeader = (f: FormatModel, seq: number, headerId: number, ov?: PlannedSegment['headerOverrides']): Uint8Array => {
    const bytes = segmentBytes(f, seq);
    const omit = ov?.omit ?? new Set<string>();
    const base = {
      headerId, videoId: f.videoId, itag: f.itag, lmt: f.lastModified, xtags: f.xtags || undefined,
      formatId: formatIdOf(f), contentLength: String(bytes.length + (ov?.contentLengthDelta ?? 0)),
    };
    if (seq === 0) {
      return MediaHeader.encode({ ...base, isInitSeg: true, startRange: String(f.initRange.start) }).finish();
    }
    const s = f.segments[seq - 1]!;
    return MediaHeader.encode({
      ...base,
      startRange: String(s.range.start),
      sequenceNumber: seq,
      bitrateBps: String(f.bitrate),
      startMs: omit.has('start') ? undefined : String(s.startMs),
      durationMs: omit.has('duration') ? undefined : String(s.durationMs),
      contentLength: omit.has('length') ? undefined : base.contentLength,
      timeRange: { startTicks: String(s.startTicks), durationTicks: String(s.durationTicks), timescale: s.timescale },
    }).finish();
  };

  /**
   * Media parts: open the head segment of each track concurrently, interleave
   * MEDIA parts, MEDIA_END when a segment is complete, then open the next.
   * F8 opens everything at once and ends in reverse order.
   */
  const mediaParts = (tracks: PlannedSegment[][], opt: { idBase: number; partBytes: number; all?: boolean; reverseEnds?: boolean }): WirePart[] => {
    const parts: WirePart[] = [];
    let nextId = opt.idBase;
    interface Open { seg: PlannedSegment; id: number; bytes: Buffer; off: number }
    const queues = tracks.map((t) => [...t]);
    const open: Open[] = [];
    const openNext = (q: PlannedSegment[]): void => {
      const seg = q.shift();
      if (!seg) return;
      const id = nextId++;
      parts.push({ type: UMPPartId.MEDIA_HEADER, payload: mediaHeader(seg.format, seg.seq, id, seg.headerOverrides), label: `header:${seg.format.itag}:${seg.seq}:id=${id}` });
      open.push({ seg, id, bytes: segmentBytes(seg.format, seg.seq), off: 0 });
    };
    const idPrefix = (id: number): Uint8Array => (id < 128 ? Uint8Array.of(id) : Uint8Array.of(0x80 | (id & 0x3f), id >>> 6));
    if (opt.all) for (const q of queues) while (q.length) openNext(q);
    else for (const q of queues) openNext(q);
    const finished: Open[] = [];
    while (open.length) {
      for (let i = 0; i < open.length; ) {
        const o = open[i]!;
        const n = Math.min(opt.partBytes, o.bytes.length - o.off);
        parts.push({ type: UMPPartId.MEDIA, payload: Buffer.concat([idPrefix(o.id), o.bytes.subarray(o.off, o.off + n)]), label: `media:${o.seg.format.itag}:${o.seg.seq}:id=${o.id}` });
        o.off += n;
        if (o.off >= o.bytes.length) {
          open.splice(i, 1);
          if (opt.reverseEnds) finished.push(o);
          else parts.push({ type: UMPPartId.MEDIA_END, payload: idPrefix(o.id), label: `end:${o.seg.format.itag}:${o.seg.seq}:id=${o.id}` });
          if (!opt.all) {
            const qi = tracks.findIndex((t) => t.some((x) => x === o.seg));
            const q = queues[qi];
            if (q) {
              const before = open.length;
              openNext(q);
              if (open.length > before) {
                // keep the new segment at this track's position
                const added = open.pop()!;
                open.splice(i, 0, added);
                i++;
              }
            }
          }
        } else i++;
      }
    }
    for (const o of finished.sort((a, b) => b.id - a.id)) parts.push({ type: UMPPartId.MEDIA_END, payload: idPrefix(o.id), label: `end:${o.seg.format.itag}:${o.seg.seq}:id=${o.id}` });
    return parts;
  };

  interface Transport {
    slices?: number[];
    gapMs?: number;
    cutAt?: number;
    firstByteDelayMs?: number;
    trickleBps?: number;
    /** F16 mode=hold: stop after this segment's MEDIA_END (`itag:seq`), or before the first byte (''). */
    holdAfter?: string;
  }

  // F16 mode=hold: responses wait here until releaseHeld() (or their connection closes), so a
  // test decides when the rest of a body comes instead of racing a timer.
  const heldResponses = new Set<() => void>();
  const holdResponse = (res: ServerResponse, entry: LogEntry, at: number): Promise<void> => new Promise((resolve) => {
    entry.notes = [...(entry.notes ?? []), `held at byte ${at} (F16)`];
    const release = (): void => {
      heldResponses.delete(release);
      resolve();
    };
    heldResponses.add(release);
    res.once('close', release);
  });
  const releaseHeld = (): number => {
    const held = [...heldResponses];
    for (const release of held) release();
    return held.length;
  };
  /** The body offset right after segment `itag:seq`'s MEDIA_END ('' or not in the body: 0, before the first byte). */
  const holdOffset = (after: string, parts: WirePart[], partEnds: number[]): number => {
    if (after === '') return 0;
    const index = parts.findIndex((p) => p.type === UMPPartId.MEDIA_END && p.label?.startsWith(`end:${after}:`));
    return index < 0 ? 0 : partEnds[index]!;
  };

  const handleSabr = async (req: IncomingMessage, res: ServerResponse, url: URL, entry: LogEntry): Promise<void> => {
    const assertions: Assertion[] = entry.assertions;
    const check = (name: string, ok: boolean | null, detail?: string): void => { assertions.push({ name, ok, detail }); };
    const rnStr = url.searchParams.get('rn');
    const rn = rnStr !== null && /^\d+$/.test(rnStr) ? Number(rnStr) : undefined;
    entry.rn = rn;
    if (req.method !== 'POST') {
      entry.status = 405;
      entry.outcome = 'method-not-allowed';
      res.setHeader('Allow', 'POST, OPTIONS');
      json(res, 405, { error: 'method not allowed: use POST with a VideoPlaybackAbrRequest body' });
      return;
    }
    const body = await readBody(req, opts.maxBodyBytes);
    if (body === 'too-large') {
      entry.status = 413;
      entry.outcome = 'body-too-large';
      res.setHeader('Connection', 'close');
      json(res, 413, { error: `request body larger than ${opts.maxBodyBytes} bytes` });
      return;
    }
    entry.bodyHex = body.length <= 4096 ? toHex(body) : `${toHex(body.subarray(0, 4096))}...`;
    const ei = url.searchParams.get('ei') ?? '';
    const s = sessions.get(ei);
    entry.session = ei || undefined;
    check('sabrParam', url.searchParams.get('sabr') === '1');
    check('contentType', req.headers['content-type'] === 'application/x-protobuf', String(req.headers['content-type']));
    if (!s) throw new HttpAnswer(403, '', { 'X-Origin-Reason': 'unknown-session' });
    s.requests++;
    entry.nth = s.requests;
    // rn strictly increasing per session (retries included).
    if (rn === undefined) check('rnIncreasing', false, 'rn missing');
    else {
      check('rnIncreasing', s.lastRn === undefined || rn > s.lastRn, `rn=${rn} last=${s.lastRn}`);
      s.lastRn = rn;
    }
    check('notPreRedirectUrl', s.invalid !== 'redirected' && url.pathname === s.path, `path=${url.pathname} expected=${s.path}`);
    // spacing >= backoff
    if (s.lastResponseEnd !== undefined && s.lastBackoffMs > 0) {
      const gap = Date.now() - s.lastResponseEnd;
      check('backoffHonoured', gap + 20 >= s.lastBackoffMs, `gap=${gap}ms backoff=${s.lastBackoffMs}ms`);
    } else check('backoffHonoured', null);
    // spacing >= the Retry-After of a 429 (read from the error response's headers)
    if (s.lastRetryAfter) {
      const gap = Date.now() - s.lastRetryAfter.at;
      check('retryAfterHonoured', gap + 20 >= s.lastRetryAfter.seconds * 1000, `gap=${gap}ms retryAfter=${s.lastRetryAfter.seconds}s`);
      s.lastRetryAfter = undefined;
    } else check('retryAfterHonoured', null);

    const faults = selectFaults(rules, rn, s.requests, rng);
    entry.faults = faults.map((f) => f.profile);
    const fault = (name: string): ActiveFault | undefined => faults.find((f) => f.profile === name);
    res.setHeader('X-Origin-Faults', entry.faults.join(',') || 'none');

    if (s.invalid === 'reloaded' || s.invalid === 'expired' || s.expire * 1000 < Date.now()) {
      throw new HttpAnswer(403, '', { 'X-Origin-Reason': s.invalid ?? 'expired' });
    }
    if (s.invalid === 'redirected') throw new HttpAnswer(403, '', { 'X-Origin-Reason': 'pre-redirect-url' });
    if (url.pathname !== s.path) throw new HttpAnswer(403, '', { 'X-Origin-Reason': 'wrong-path' });

    // HTTP-level faults before decoding.
    const f15 = fault('F15');
    if (f15) {
      s.invalid = 'expired';
      throw new HttpAnswer(403, '', { 'X-Origin-Reason': 'expired (F15)' });
    }
    const f16 = fault('F16');
    const transport: Transport = {};
    if (f16) {
      const mode = f16.params.mode;
      if (mode === 'rst') {
        entry.status = 0;
        entry.outcome = 'socket-reset (F16)';
        req.socket.destroy();
        return;
      }
      if (mode === 'status') {
        const status = Number(f16.params.status) || 503;
        const retryAfter = f16.params.retryAfter ?? '1';
        if (status === 429) s.lastRetryAfter = { at: Date.now(), seconds: Number(retryAfter) };
        throw new HttpAnswer(status, '', status === 429 ? { 'Retry-After': retryAfter } : {});
      }
      if (mode === 'slow') transport.firstByteDelayMs = Number(f16.params.ms) || 3000;
      if (mode === 'trickle') transport.trickleBps = Number(f16.params.bps) || 65536;
      if (mode === 'hold') transport.holdAfter = f16.params.itag ? `${f16.params.itag}:${f16.params.seq ?? '0'}` : '';
    }

    const title = titles.get(s.videoId)!;
    const parts: WirePart[] = [];
    let decoded: DecodedRequest | undefined;
    if (body.length === 0) {
      entry.outcome = 'error:empty-body';
      parts.push(sabrError('sabr.malformed_config', 'yt'));
    } else {
      try {
        decoded = decodeRequest(body);
      } catch (e) {
        entry.outcome = 'error:undecodable';
        entry.notes = [String(e)];
        parts.push(sabrError('sabr.malformed_request', 'yt'));
      }
    }

    if (decoded) {
      const r = decoded.raw;
      entry.request = {
        clientAbrState: r.clientAbrState, selectedFormatIds: r.selectedFormatIds, bufferedRanges: r.bufferedRanges,
        preferredAudioFormatIds: r.preferredAudioFormatIds, preferredVideoFormatIds: r.preferredVideoFormatIds,
        clientInfo: r.streamerContext?.clientInfo, cookieHex: decoded.cookie ? toHex(decoded.cookie) : undefined,
        sabrContexts: decoded.contexts.map((c) => ({ type: c.type, valueHex: toHex(c.value) })), unsentSabrContexts: decoded.unsent,
        poTokenLength: decoded.poToken?.length ?? 0, configLength: r.videoPlaybackUstreamerConfig?.length ?? 0,
      };
      const configOk = !!r.videoPlaybackUstreamerConfig?.length && bytesEqual(r.videoPlaybackUstreamerConfig, s.config);
      check('configMatches', configOk);
      const audioId = r.preferredAudioFormatIds[0];
      const audio = findFormat(title, audioId);
      const audioOk = !!audio && audio.kind === 'audio';
      check('audioFormatValid', audioOk, audioId ? `itag=${audioId.itag} xtags=${JSON.stringify(audioId.xtags ?? '')}` : 'f16 empty');
      const videoId = r.preferredVideoFormatIds[0];
      let video = findFormat(title, videoId);
      check('videoFormatPresent', !!video && video.kind === 'video', videoId ? `itag=${videoId.itag}` : 'f17 empty');
      // Every format id names its format's lastModified exactly (16 digits: a client that goes
      // through a 32-bit Float sends 1759050000000000 or 0 instead).
      const ids = [audioId, videoId, ...r.selectedFormatIds, ...r.bufferedRanges.map((br) => br.formatId)];
      const lmtProblems = ids.flatMap((id) => {
        const format = findFormat(title, id);
        const sent = String(id?.lastModified ?? '');
        return format && sent !== format.lastModified ? [`itag ${format.itag} lastModified=${sent} want ${format.lastModified}`] : [];
      });
      check('lastModifiedExact', lmtProblems.length === 0, lmtProblems.slice(0, 3).join('; ') || undefined);
      const ci = r.streamerContext?.clientInfo;
      const ciOk = !!ci && ci.clientName === s.clientInfo.clientName && ci.clientVersion === s.clientInfo.clientVersion;
      check('clientInfoMatches', ciOk, ci ? `${ci.clientName}/${ci.clientVersion}` : 'missing');

      // Follow-up = the client reports state.
      const followUp = r.selectedFormatIds.length > 0 || r.bufferedRanges.length > 0;
      const cookieOk = s.lastCookie === undefined ? null : bytesEqual(decoded.cookie, s.lastCookie);
      check('cookieEchoed', followUp ? cookieOk : cookieOk === false && decoded.cookie === undefined ? null : cookieOk,
        s.lastCookie ? `got ${decoded.cookie ? toHex(decoded.cookie) : 'none'} want ${toHex(s.lastCookie)}` : undefined);
      // Contexts echoed.
      const sent = new Map(decoded.contexts.map((c) => [c.type, c.value]));
      const ctxProblems: string[] = [];
      for (const t of s.activeCtx) {
        const want = s.storedCtx.get(t);
        if (want && !bytesEqual(sent.get(t), want)) ctxProblems.push(`type ${t} not echoed verbatim`);
      }
      for (const t of s.mustNotSend) if (sent.has(t)) ctxProblems.push(`type ${t} sent after stop/discard`);
      check('contextsEchoed', s.activeCtx.size || s.mustNotSend.size ? ctxProblems.length === 0 : null, ctxProblems.join('; ') || undefined);
      // f2 only after init fully sent.
      const discarded = new Set<number>();
      const held = new Map<number, Set<number>>();
      const claimProblems: string[] = [];
      for (const br of r.bufferedRanges) {
        const itag = br.formatId?.itag ?? 0;
        const dur = Number(br.durationMs ?? 0);
        if (br.endSegmentIndex >= MAX_INT32 || dur >= MAX_INT32) { discarded.add(itag); continue; }
        const set = held.get(itag) ?? new Set<number>();
        for (let q = br.startSegmentIndex; q <= br.endSegmentIndex && q - br.startSegmentIndex < 100000; q++) {
          set.add(q);
          if (!s.delivered.has(`${itag}:${q}`)) claimProblems.push(`${itag}:${q}`);
        }
        held.set(itag, set);
      }
      const selProblems = r.selectedFormatIds.filter((id) => !discarded.has(id.itag ?? 0) && !s.delivered.has(`${id.itag}:0`)).map((id) => String(id.itag));
      check('selectedAfterInit', r.selectedFormatIds.length ? selProblems.length === 0 : null, selProblems.length ? `itags ${selProblems.join(',')} listed before their init segment was delivered` : undefined);
      check('bufferedRangesHonest', r.bufferedRanges.length ? claimProblems.length === 0 : null, claimProblems.length ? `claimed undelivered ${claimProblems.slice(0, 10).join(',')}` : undefined);
      const playerTimeMs = Number(r.clientAbrState?.playerTimeMs ?? r.playerTimeMs ?? 0);
      // A backwards jump is a seek when the client says it just sought (time_since_last_seek, ms).
      const sinceSeek = r.clientAbrState?.timeSinceLastSeek === undefined ? undefined : Number(r.clientAbrState.timeSinceLastSeek);
      const declaredSeek = sinceSeek !== undefined && sinceSeek >= 0 && sinceSeek <= SEEK_GRACE_MS;
      check('playerTimeMonotonic', s.lastPlayerTimeMs === undefined ? null : playerTimeMs >= s.lastPlayerTimeMs || declaredSeek,
        `now=${playerTimeMs} last=${s.lastPlayerTimeMs}${sinceSeek === undefined ? '' : ` timeSinceLastSeek=${sinceSeek}`}`);
      // After every segment of this audio+video pair was delivered, only a seek (or another format) may ask again.
      const pair = `${r.preferredAudioFormatIds[0]?.itag}:${r.preferredVideoFormatIds[0]?.itag}`;
      check('notAfterEnd', !s.endedPairs.has(pair) || declaredSeek, `formats ${pair}`);
      s.lastPlayerTimeMs = playerTimeMs;
      if (decoded.poToken && s.firstPoToken === undefined) s.firstPoToken = toHex(decoded.poToken);

      const cookieStrict = fault('F26');
      const coldStart = cookieStrict && followUp && cookieOk !== true;
      if (!configOk) {
        entry.outcome = 'error:malformed_config';
        parts.push(sabrError('sabr.malformed_config', 'yt'));
      } else if (!audioOk) {
        entry.outcome = 'error:no_audio_selected';
        parts.push(sabrError('sabr.no_audio_selected', 'yt'));
      } else if (!video && opts.missingVideo === 'error') {
        entry.outcome = 'error:no-video';
        parts.push(sabrError('sabr.malformed_config', 'yt'));
      } else if (!ciOk && opts.clientInfoCheck === 'error') {
        entry.outcome = 'error:client-info';
        parts.push(sabrError('sabr.malformed_config', 'yt'));
      } else if (coldStart && cookieStrict.params.mode === 'error') {
        entry.outcome = 'error:cookie (F26)';
        parts.push(sabrError('sabr.malformed_config', 'yt'));
      } else {
        // ------------------------------------------------ decide what to send
        const f21 = fault('F21');
        if (f21 && video) {
          const vids = title.formats.filter((f) => f.kind === 'video');
          const want = f21.params.itag === 'next' || !f21.params.itag ? vids[(vids.indexOf(video) + 1) % vids.length] : vids.find((f) => f.itag === Number(f21.params.itag));
          if (want) s.switchedVideoItag = want.itag;
        }
        if (s.switchedVideoItag !== undefined && video) {
          const sw = title.formats.find((f) => f.itag === s.switchedVideoItag);
          if (sw && sw !== video) { entry.notes = [...(entry.notes ?? []), `server switched video ${video.itag} -> ${sw.itag}`]; video = sw; }
        }
        const selected = new Set(r.selectedFormatIds.map((id) => id.itag ?? 0));
        const trackFormats = [video, audio].filter((f): f is FormatModel => !!f && !discarded.has(f.itag));
        let backoff = 0;
        let withhold = false;
        let onlyControl = false;
        const extraControl: WirePart[] = [];

        const f17 = fault('F17');
        if (f17) {
          const script = f17.params.script ?? 'none';
          let status = Number(f17.params.status) || 2;
          if (script === 'grace') {
            status = 2;
            if (s.protectedMediaMs >= (Number(f17.params.graceMs) || 20000)) withhold = true;
          } else if (script === 'token') {
            const tok = decoded.poToken ? toHex(decoded.poToken) : '';
            if (tok === s.firstPoToken || !tok) { status = 3; withhold = true; } else status = 1;
          } else if (status === 3) withhold = true;
          const maxRetries = f17.params.maxRetries ? Number(f17.params.maxRetries) : undefined;
          extraControl.unshift({ type: UMPPartId.STREAM_PROTECTION_STATUS, payload: StreamProtectionStatus.encode({ status, maxRetries }).finish(), label: `sps:${status}` });
        }
        const f18 = fault('F18');
        if (f18 || s.adGate) {
          const wait = Number(f18?.params.backoff ?? 2000) || 2000;
          if (!s.adGate) {
            const value = new PbWriter().message(1, new PbWriter().uint(1, Date.now()).uint(2, 15000)).bytes(2, randomBytes(8)).finish();
            s.adGate = { value, notBefore: Date.now() + wait, passed: false };
            s.storedCtx.set(5, value);
            s.activeCtx.add(5);
            extraControl.push({ type: UMPPartId.SABR_CONTEXT_UPDATE, payload: SabrContextUpdate.encode({ type: 5, scope: 4, value, sendByDefault: true, writePolicy: 1 }).finish(), label: 'ctx-update:5' });
            backoff = wait;
            withhold = true;
          } else if (!s.adGate.passed) {
            const echoed = bytesEqual(sent.get(5), s.adGate.value);
            if (echoed && Date.now() >= s.adGate.notBefore - 20) s.adGate.passed = true;
            else { withhold = true; backoff = Math.max(0, s.adGate.notBefore - Date.now()); entry.notes = [...(entry.notes ?? []), `ad gate closed (echoed=${echoed})`]; }
          }
        }
        const f19 = fault('F19');
        if (f19) {
          const mode = f19.params.mode ?? 'keep';
          const v1 = Uint8Array.from(Buffer.from('ctx6-first'));
          const v2 = Uint8Array.from(Buffer.from('ctx6-second'));
          if (mode === 'keep') {
            extraControl.push({ type: UMPPartId.SABR_CONTEXT_UPDATE, payload: SabrContextUpdate.encode({ type: 6, scope: 1, value: v1, sendByDefault: true, writePolicy: 1 }).finish(), label: 'ctx-update:6:overwrite' });
            extraControl.push({ type: UMPPartId.SABR_CONTEXT_UPDATE, payload: SabrContextUpdate.encode({ type: 6, scope: 1, value: v2, sendByDefault: true, writePolicy: 2 }).finish(), label: 'ctx-update:6:keep-existing' });
            if (!s.storedCtx.has(6)) s.storedCtx.set(6, v1);
          } else if (mode === 'unspecified') {
            extraControl.push({ type: UMPPartId.SABR_CONTEXT_UPDATE, payload: SabrContextUpdate.encode({ type: 6, scope: 1, value: v2, sendByDefault: true }).finish(), label: 'ctx-update:6:unspecified' });
            s.storedCtx.set(6, v2);
          } else {
            extraControl.push({ type: UMPPartId.SABR_CONTEXT_UPDATE, payload: new PbWriter().uint(1, 8).uint(2, 1).bytes(3, new Uint8Array()).bool(4, true).uint(5, 1).finish(), label: 'ctx-update:8:empty' });
            s.mustNotSend.add(8);
          }
          if (mode !== 'empty') s.activeCtx.add(6);
        }
        const f20 = fault('F20');
        if (f20) {
          const action = f20.params.action ?? 'start';
          const v = Uint8Array.from(Buffer.from('ctx7'));
          if (!s.storedCtx.has(7)) {
            extraControl.push({ type: UMPPartId.SABR_CONTEXT_UPDATE, payload: SabrContextUpdate.encode({ type: 7, scope: 1, value: v, sendByDefault: action !== 'start', writePolicy: 1 }).finish(), label: 'ctx-update:7' });
            s.storedCtx.set(7, v);
          }
          const field = action === 'start' ? 1 : action === 'stop' ? 2 : 3;
          const w = new PbWriter();
          if (f20.params.encoding === 'packed') w.packed(field, [7]); else w.unpacked(field, [7]);
          extraControl.push({ type: UMPPartId.SABR_CONTEXT_SENDING_POLICY, payload: w.finish(), label: `ctx-policy:${action}:7:${f20.params.encoding}` });
          if (action === 'start') { s.activeCtx.add(7); s.mustNotSend.delete(7); }
          else { s.activeCtx.delete(7); s.mustNotSend.add(7); if (action === 'discard') s.storedCtx.delete(7); }
        }
        const f10 = fault('F10');
        if (f10) { onlyControl = true; backoff = Number(f10.params.backoff) || 0; }
        const f11 = fault('F11');
        if (f11) backoff = Number(f11.params.ms) || 10000;
        const f12 = fault('F12');
        if (f12) {
          const mode = f12.params.mode ?? 'data';
          s.redirectCount++;
          const oldPath = s.path;
          s.path = mode === 'loop' ? (s.path === '/r1/videoplayback' ? '/r2/videoplayback' : '/r1/videoplayback') : `/r${s.redirectCount}/videoplayback`;
          if (oldPath === s.path) s.path = `/r${s.redirectCount}x/videoplayback`;
          extraControl.push({ type: UMPPartId.SABR_REDIRECT, payload: SabrRedirect.encode({ url: streamingUrl(s) }).finish(), label: `redirect:${s.path}` });
          if (mode === 'only' || mode === 'loop') onlyControl = true;
        }
        const f13 = fault('F13');
        const f14 = fault('F14');

        if (f13) {
          entry.outcome = `error:${f13.params.type} (F13)`;
          parts.push(sabrError(f13.params.type ?? 'sabr.malformed_config', f13.params.layout === 'gv' ? 'gv' : 'yt'));
        } else if (f14) {
          const token = f14.params.token && f14.params.token !== 'reload-<n>' ? f14.params.token : `reload-${s.ei}`;
          reloadTokens.set(token, s);
          s.reloadToken = token;
          s.invalid = 'reloaded';
          entry.outcome = 'reload (F14)';
          parts.push(...controlParts(s, title, video, audio, 0));
          parts.push({ type: UMPPartId.RELOAD_PLAYER_RESPONSE, payload: ReloadPlaybackContext.encode({ reloadPlaybackParams: { token } }).finish(), label: `reload:${token}` });
        } else {
          const plans: PlannedSegment[][] = [];
          const fims: WirePart[] = [];
          const f22 = fault('F22');
          const f23 = fault('F23');
          const f27 = fault('F27');
          const f7 = fault('F7');
          const f6 = fault('F6');
          const f9 = fault('F9');
          let readahead = opts.readaheadMs;
          let maxSeg = opts.maxSegmentsPerTrack;
          if (f27?.params.size === 'large') { readahead = Number.MAX_SAFE_INTEGER; maxSeg = 100000; }
          if (f27?.params.size === 'small') maxSeg = 1;
          let smallDone = false;
          for (const f of trackFormats) {
            const track: PlannedSegment[] = [];
            const isNew = !selected.has(f.itag) || coldStart;
            if ((isNew && !onlyControl) || f22) fims.push(fimPart(f, fault('F3') && !fims.length ? 5 : undefined));
            if (isNew && !onlyControl && !withhold) track.push({ format: f, seq: 0 });
            const h = coldStart ? new Set<number>() : held.get(f.itag) ?? new Set<number>();
            const from = coldStart ? 0 : playerTimeMs;
            if (!onlyControl && !withhold && !smallDone) {
              let n = 0;
              const lastSeq = f23?.params.mode === 'short' ? f.segments.length - 1 : f.segments.length;
              for (const seg of f.segments) {
                if (seg.sequence > lastSeq) break;
                if (seg.startMs + seg.durationMs <= from || seg.startMs >= from + readahead) continue;
                if (h.has(seg.sequence)) continue;
                if (n >= maxSeg) break;
                track.push({ format: f, seq: seg.sequence });
                n++;
                if (f27?.params.size === 'small') { smallDone = true; break; }
              }
              if (f7) {
                const media = track.filter((t) => t.seq > 0);
                const lastMedia = media[media.length - 1];
                const dups = [...h].filter((q) => q >= 1 && q <= f.segments.length).map((q) => ({ format: f, seq: q }));
                if (!dups.length && track.length === 0 && f.segments.length) dups.push({ format: f, seq: 1 });
                track.push(...dups);
                if (f.kind === 'video' && lastMedia && lastMedia.seq > 1) track.push({ format: f, seq: lastMedia.seq - 1 });
              }
            }
            plans.push(track);
          }
          if (f27?.params.size === 'large') {
            const minBytes = Number(f27.params.minBytes) || 10 * 1024 * 1024;
            let total = plans.flat().reduce((a, p) => a + segmentBytes(p.format, p.seq).length, 0);
            let k = 0;
            const all = trackFormats.flatMap((f) => f.segments.map((sg) => ({ format: f, seq: sg.sequence })));
            while (total < minBytes && all.length) {
              const d = all[k++ % all.length]!;
              plans[trackFormats.indexOf(d.format)]!.push(d);
              total += segmentBytes(d.format, d.seq).length;
            }
          }
          // Header overrides.
          if (f6) {
            const first = plans.flat().find((p) => p.seq > 0);
            if (first) first.headerOverrides = { ...first.headerOverrides, contentLengthDelta: Number(f6.params.delta) || 1 };
          }
          if (f9) {
            const omit = new Set((f9.params.omit ?? 'duration,length,start').split(/[,+]/));
            for (const p of plans.flat()) if (p.seq > 0) p.headerOverrides = { ...p.headerOverrides, omit };
          }
          const mediaCount = plans.flat().filter((p) => p.seq > 0).length;
          if (!onlyControl && !withhold && mediaCount === 0 && plans.flat().length === 0 && playerTimeMs < title.durationMs && !f10) {
            entry.notes = [...(entry.notes ?? []), 'nothing to send in window'];
          }
          parts.push(...extraControl.filter((p) => p.type === UMPPartId.STREAM_PROTECTION_STATUS));
          parts.push(...controlParts(s, title, video, audio, backoff));
          parts.push(...extraControl.filter((p) => p.type !== UMPPartId.STREAM_PROTECTION_STATUS));
          parts.push(...fims);
          const f8 = fault('F8');
          const f2 = fault('F2');
          const partBytes = f27?.params.size === 'small' ? 1024 : f8 ? Number(f8.params.chunk) || 8192 : opts.mediaPartBytes;
          parts.push(...mediaParts(plans, { idBase: f2 ? Number(f2.params.base) || 128 : 0, partBytes, all: !!f8, reverseEnds: !!f8 }));
          if (f23?.params.mode === 'eot') {
            for (const f of trackFormats) {
              if (plans.flat().some((p) => p.format === f && p.seq === f.segments.length)) parts.push({ type: UMPPartId.END_OF_TRACK, payload: new Uint8Array(), label: `end-of-track:${f.itag}` });
            }
          }
          if (f17 && !withhold) {
            // Account for protected media time (grace script).
            for (const p of plans.flat()) if (p.seq > 0 && p.format.kind === 'video') s.protectedMediaMs += p.format.segments[p.seq - 1]!.durationMs;
          }
          entry.outcome = onlyControl ? 'control-only' : withhold ? 'withheld' : coldStart ? 'cold-start (F26)' : `media:${mediaCount}`;
        }
      }
    }

    // ---------------------------------------------------- part-level faults
    if (fault('F3')) {
      const extra: WirePart[] = [
        { type: 66, payload: Uint8Array.of(1, 2, 3), label: 'unknown:66' },
        { type: 68, payload: new Uint8Array(), label: 'unknown:68:empty' },
        { type: 69, payload: Uint8Array.of(0), label: 'unknown:69' },
        { type: 70, payload: new Uint8Array(), label: 'unknown:70:empty' },
        { type: 71, payload: Uint8Array.of(8, 1), label: 'unknown:71' },
        { type: 72, payload: new Uint8Array(), label: 'unknown:72:empty' },
        { type: 200, payload: Uint8Array.of(0xde, 0xad), label: 'unknown:200' },
      ];
      const at = Math.min(parts.length, 3);
      parts.splice(at, 0, ...extra);
      for (const p of parts) if (p.type === UMPPartId.MEDIA_END) p.sizeWidth = 5;
      parts.push({ type: 0, payload: new Uint8Array(), label: 'unknown:0:empty' });
    }
    if (fault('F24')) {
      const at = Math.min(parts.length, 4);
      parts.splice(at, 0,
        { type: UMPPartId.SNACKBAR_MESSAGE, payload: SnackbarMessage.encode({ id: 7 }).finish(), label: 'snackbar' },
        { type: UMPPartId.PREWARM_CONNECTION, payload: new Uint8Array(), label: 'prewarm' },
        { type: UMPPartId.ALLOWED_CACHED_FORMATS, payload: Uint8Array.of(8, 1), label: 'allowed-cached-formats' },
        { type: UMPPartId.SELECTABLE_FORMATS, payload: Uint8Array.of(8, 1), label: 'selectable-formats' });
    }
    if (fault('F5')) {
      // Cut after the first MEDIA part of a segment with more than one MEDIA part.
      const counts = new Map<string, number>();
      for (const p of parts) if (p.type === UMPPartId.MEDIA && p.label) counts.set(p.label, (counts.get(p.label) ?? 0) + 1);
      const idx = parts.findIndex((p) => p.type === UMPPartId.MEDIA && (counts.get(p.label ?? '') ?? 0) > 1);
      const cut = idx >= 0 ? idx + 1 : parts.findIndex((p) => p.type === UMPPartId.MEDIA) + 1;
      if (cut > 0) { parts.length = cut; entry.notes = [...(entry.notes ?? []), `ended after part ${cut - 1} (${parts[cut - 1]?.label})`]; }
    }

    const { body: out, offsets } = serializeParts(parts);
    entry.parts = parts.map((p) => ({ type: p.type, size: p.payload.length, label: p.label }));
    entry.bytesPlanned = out.length;
    // transport faults
    const f4 = fault('F4');
    if (f4) {
      const media = parts.map((p, i) => ({ p, i })).filter((x) => x.p.type === UMPPartId.MEDIA);
      const pick = f4.params.part === 'middle' || !f4.params.part ? media[Math.floor(media.length / 2)] : media[Math.min(media.length - 1, Number(f4.params.part))];
      if (pick) {
        const o = offsets[pick.i]!;
        transport.cutAt = o.payload + Math.max(1, Math.floor(pick.p.payload.length / 2));
      }
    }
    const f1 = fault('F1');
    if (f1) {
      const srng = makeRng(seed ^ (rn ?? 0) ^ 0x5eed);
      const b = new Set<number>();
      const n = Math.min(offsets.length, Number(f1.params.parts) || 12);
      for (let i = 0; i < n; i++) {
        const o = offsets[i]!;
        b.add(o.sizeAt); // after the type varint
        for (let k = o.sizeAt + 1; k < o.payload; k++) b.add(k); // inside the size varint
        b.add(o.payload); // exactly after the size varint
        if (o.header > 0) b.add(o.header + 0);
      }
      const randomN = Number(f1.params.random) || 40;
      for (let i = 0; i < randomN; i++) b.add(1 + Math.floor(srng() * (out.length - 1)));
      // a few 1-byte slices
      for (let i = 0; i < 8; i++) { const x = 1 + Math.floor(srng() * (out.length - 2)); b.add(x); b.add(x + 1); }
      transport.slices = [...b].filter((x) => x > 0 && x < out.length).sort((x, y) => x - y);
      transport.gapMs = Number(f1.params.gapMs) || 2;
      entry.slices = transport.slices;
    }

    // ---------------------------------------------------- write
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/vnd.yt-ump');
    res.setHeader('Cache-Control', 'no-store');
    if (opts.contentLength && transport.cutAt === undefined) res.setHeader('Content-Length', String(out.length));
    if (opts.delayMs) await sleep(opts.delayMs);
    if (transport.firstByteDelayMs) await sleep(transport.firstByteDelayMs);
    entry.status = 200;
    res.flushHeaders();
    req.socket.setNoDelay(true);
    const partEnds = offsets.map((o, i) => o.payload + parts[i]!.payload.length);
    let written = 0;
    const writeChunk = (c: Buffer): Promise<void> => new Promise((resolve, reject) => {
      if (res.destroyed) { reject(new Error('socket closed')); return; }
      res.write(c, (err) => (err ? reject(err) : resolve()));
    });
    const end = transport.cutAt ?? out.length;
    const boundaries: number[] = [];
    if (transport.slices) boundaries.push(...transport.slices.filter((x) => x < end));
    else if (transport.trickleBps) { const step = Math.max(256, Math.floor(transport.trickleBps / 20)); for (let x = step; x < end; x += step) boundaries.push(x); }
    else for (let x = 256 * 1024; x < end; x += 256 * 1024) boundaries.push(x);
    boundaries.push(end);
    const holdAt = transport.holdAfter === undefined ? -1 : holdOffset(transport.holdAfter, parts, partEnds);
    if (holdAt > 0) boundaries.push(holdAt);
    boundaries.sort((x, y) => x - y);
    try {
      let pos = 0;
      if (holdAt === 0) await holdResponse(res, entry, 0);
      for (const bnd of boundaries) {
        if (bnd <= pos) continue;
        await writeChunk(out.subarray(pos, bnd));
        written = bnd;
        pos = bnd;
        if (transport.slices) await sleep(transport.gapMs ?? 2);
        if (transport.trickleBps) await sleep(Math.round(((bnd - (boundaries[boundaries.indexOf(bnd) - 1] ?? 0)) / transport.trickleBps) * 1000));
        if (bnd === holdAt) await holdResponse(res, entry, holdAt);
      }
      if (transport.cutAt !== undefined) {
        entry.outcome += ' reset-mid-media (F4)';
        await sleep(5);
        req.socket.destroy();
      } else {
        await new Promise<void>((r) => res.end(r));
      }
    } catch (e) {
      entry.notes = [...(entry.notes ?? []), `write aborted: ${String(e)}`];
    }
    entry.bytesWritten = written;
    // Ledger: segments whose MEDIA_END was written.
    const delivered: string[] = [];
    const headerOf = new Map<string, string>();
    parts.forEach((p, i) => {
      if (!p.label) return;
      if (p.type === UMPPartId.MEDIA_HEADER) {
        const m = /^header:(\d+):(\d+):id=(\d+)$/.exec(p.label);
        if (m) headerOf.set(m[3]!, `${m[1]}:${m[2]}`);
      }
      if (p.type === UMPPartId.MEDIA_END && partEnds[i]! <= written) {
        const m = /^end:(\d+):(\d+):id=(\d+)$/.exec(p.label);
        if (m) delivered.push(`${m[1]}:${m[2]}`);
      }
    });
    for (const d of delivered) s.delivered.add(d);
    entry.delivered = delivered;
    if (title && decoded) {
      const r = decoded.raw;
      const fmts = [findFormat(title, r.preferredAudioFormatIds[0]), findFormat(title, r.preferredVideoFormatIds[0])].filter((f): f is FormatModel => !!f);
      if (fmts.length && fmts.every((f) => s.delivered.has(`${f.itag}:${f.segments.length}`) || f.segments.every((sg) => s.delivered.has(`${f.itag}:${sg.sequence}`)))) {
        // end of stream reached when every segment of both tracks has been delivered
        if (fmts.every((f) => f.segments.every((sg) => s.delivered.has(`${f.itag}:${sg.sequence}`)))) s.endedPairs.add(`${r.preferredAudioFormatIds[0]?.itag}:${r.preferredVideoFormatIds[0]?.itag}`);
      }
    }
    s.lastResponseEnd = Date.now();
  };

  // ---------------------------------------------------------------- routing

  const host = options.host ?? '127.0.0.1';
  const tls = options.tls ? await tlsCertificates(host, options.publicUrl) : undefined;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://origin.invalid');
    corsHeaders(res);
    const entry: LogEntry = { id: nextLogId++, time: Date.now(), method: req.method ?? '', path: url.pathname + url.search, status: 0, outcome: '', faults: [], assertions: [] };
    const finish = (): void => { if (url.pathname !== '/__log') emitLog(entry); };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
        'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? 'Content-Type, Accept, Accept-Encoding, Range',
        'Access-Control-Max-Age': '86400',
      });
      res.end();
      entry.status = 204;
      entry.outcome = 'preflight';
      finish();
      return;
    }
    const route = async (): Promise<void> => {
      const p = url.pathname;
      if (p === '/' || p === '/__index') {
        entry.status = 200;
        entry.outcome = 'index';
        json(res, 200, {
          titles: [...titles.values()].map((t) => ({ videoId: t.videoId, durationMs: t.durationMs, manifests: ['single', 'multi', 'unscoped'].map((v) => `${baseUrl}/manifest/${t.videoId}.mpd?variant=${v}`), itags: t.formats.map((f) => f.itag) })),
          faults: Object.values(FAULTS).map((f) => ({ name: f.name, title: f.title, params: f.params, expect: f.expect })),
          activeFaults: describeRules(rules),
        });
        return;
      }
      if (p.startsWith('/manifest/')) {
        if (req.method !== 'GET' && req.method !== 'HEAD') { entry.status = 405; entry.outcome = 'method-not-allowed'; res.setHeader('Allow', 'GET, OPTIONS'); json(res, 405, { error: 'use GET' }); return; }
        handleManifest(url, res, entry);
        return;
      }
      if (p.endsWith('/videoplayback')) {
        try {
          await handleSabr(req, res, url, entry);
        } catch (e) {
          if (e instanceof HttpAnswer) {
            entry.status = e.status;
            entry.outcome = `http-${e.status}${e.headers['X-Origin-Reason'] ? `:${e.headers['X-Origin-Reason']}` : ''}`;
            if (!res.headersSent) {
              res.writeHead(e.status, { 'Content-Length': String(Buffer.byteLength(e.body)), ...e.headers });
              res.end(e.body);
            }
          } else throw e;
        }
        return;
      }
      if (p === '/__log') {
        if (req.method === 'DELETE') { logEntries.length = 0; res.writeHead(204); res.end(); return; }
        const since = Number(url.searchParams.get('since') ?? 0);
        json(res, 200, logEntries.filter((e) => e.id > since));
        return;
      }
      if (p === '/__release') {
        if (req.method !== 'POST') { res.setHeader('Allow', 'POST, OPTIONS'); json(res, 405, { error: 'use POST' }); return; }
        const released = releaseHeld();
        entry.status = 200;
        entry.outcome = `released=${released}`;
        json(res, 200, { released });
        return;
      }
      if (p === '/__faults') {
        if (req.method === 'GET') { json(res, 200, { faults: describeRules(rules), seed, rules }); return; }
        if (req.method !== 'POST') { res.setHeader('Allow', 'GET, POST, OPTIONS'); json(res, 405, { error: 'use GET or POST' }); return; }
        const body = await readBody(req, 64 * 1024);
        try {
          if (body === 'too-large') throw new Error('body too large');
          const text = body.toString('utf8').trim();
          let spec = text;
          let newSeed: number | undefined;
          if (text.startsWith('{')) {
            const j = JSON.parse(text) as { faults?: string; seed?: number };
            spec = j.faults ?? '';
            newSeed = j.seed;
          }
          setFaults(spec, newSeed);
          entry.status = 200;
          entry.outcome = `faults=${describeRules(rules) || 'none'}`;
          json(res, 200, { faults: describeRules(rules), seed });
        } catch (e) {
          entry.status = 400;
          entry.outcome = 'bad-fault-spec';
          json(res, 400, { error: String((e as Error).message ?? e) });
        }
        return;
      }
      const src = /^\/__source\/([^/]+)\/(\d+)$/.exec(p);
      if (src) {
        const f = titles.get(src[1]!)?.formats.find((x) => x.itag === Number(src[2]));
        if (!f) { entry.status = 404; entry.outcome = 'not-found'; json(res, 404, { error: 'unknown source' }); return; }
        entry.status = 200;
        entry.outcome = 'source';
        const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
        if (range) {
          const a = Number(range[1]);
          const b = range[2] ? Math.min(Number(range[2]), f.bytes.length - 1) : f.bytes.length - 1;
          res.writeHead(206, { 'Content-Type': f.containerMime, 'Content-Range': `bytes ${a}-${b}/${f.bytes.length}`, 'Content-Length': String(b - a + 1), 'Accept-Ranges': 'bytes' });
          res.end(f.bytes.subarray(a, b + 1));
          entry.status = 206;
          return;
        }
        res.writeHead(200, { 'Content-Type': f.containerMime, 'Content-Length': String(f.bytes.length), 'Accept-Ranges': 'bytes' });
        res.end(f.bytes);
        return;
      }
      if (p.startsWith('/probe/') && await handleProbeRoute(req, res, url, entry)) return; // tools/device-probe
      entry.status = 404;
      entry.outcome = 'not-found';
      json(res, 404, { error: 'not found', endpoints: ['/manifest/<videoId>.mpd?variant=single|multi|unscoped', 'POST /videoplayback?...&sabr=1&rn=N', 'GET /__log', 'POST /__faults', 'POST /__release', 'GET /__source/<videoId>/<itag>'] });
    };
    route().catch((e: unknown) => {
      entry.status = 500;
      entry.outcome = `internal-error: ${String(e)}`;
      if (!res.headersSent) json(res, 500, { error: String(e) });
      else res.destroy();
    }).finally(finish);
  };
  const server: Server = tls ? createTlsServer({ key: tls.keyPem, cert: tls.certPem }, handler) : createServer(handler);
  server.on('connection', (sock) => { sockets.add(sock); sock.on('close', () => sockets.delete(sock)); });
  server.on('clientError', (_err, sock) => { if (sock.writable) sock.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'); });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  baseUrl = options.publicUrl ?? `${tls ? 'https' : 'http'}://${shownHost}:${addr.port}`;
  return {
    url: baseUrl,
    port: addr.port,
    ...(tls ? { tls: { caPem: tls.caPem, certPem: tls.certPem, hosts: tls.hosts } } : {}),
    titles,
    log: () => logEntries,
    setFaults,
    held: () => heldResponses.size,
    releaseHeld,
    close: () => new Promise<void>((resolve) => {
      for (const sck of sockets) sck.destroy();
      server.close(() => resolve());
    }),
  };
}

/** A throwaway CA and server certificate for the hosts clients use to reach this origin. */
async function tlsCertificates(host: string, publicUrl: string | undefined): Promise<TestCa> {
  if (publicUrl && !publicUrl.startsWith('https://')) throw new Error(`publicUrl must be https:// when serving TLS: ${publicUrl}`);
  // Loaded only here: plain-HTTP origins never pull in the X.509 library.
  const { makeTestCa, reachableHosts } = await import('./test-ca.ts');
  const hosts = [...reachableHosts(host), ...(publicUrl ? [new URL(publicUrl).hostname] : [])];
  return makeTestCa({ hosts });
}
