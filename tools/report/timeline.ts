// A picture of one playback: what the player saw (position, buffer ahead) and what the pipeline
// did (player requests, cache hits, SABR POSTs, the channel's fetches) over wall time, as one
// self-contained HTML page (inline SVG, CSS and a little JS; no network fetches), so it opens from
// the file system in any browser. Pure: data in, text out. `npm start` writes it as
// out/start/report.html; tools/report/recorder.ts collects the data.

/** One look at the player. */
export interface PlaybackSample {
    /** Wall time, ms since the timeline's start. */
    atMs: number;
    /** Media time at the play head, seconds. */
    positionS: number;
    /** Seconds buffered past the play head. */
    bufferAheadS: number;
    /** The readahead the channel aims for, seconds, when it reports one (drawn only if present). */
    readaheadTargetS?: number;
}

/**
 * - request: a media range request the player made to the channel's server
 * - cacheHit: a request the server answered from what it already had (counted by its /metrics)
 * - post: a SABR POST the origin received
 * - fetch: a SABR fetch the channel finished (its `[sabr] fetch ...` console line)
 */
export type TimelineEventKind = "request" | "cacheHit" | "post" | "fetch";

export interface TimelineEvent {
    kind: TimelineEventKind;
    /** Wall time, ms since the timeline's start. */
    atMs: number;
    /** When it ended (a request's answer), if known; drawn as a bar from atMs. */
    endMs?: number;
    /** A short class for the mark's colour, e.g. "video" or "audio". */
    track?: string;
    failed?: boolean;
    /** The tooltip. */
    detail: string;
}

export type TimelineSpanKind = "stall" | "seek";

/** A stretch of wall time: rebuffering after playback started, or a seek filling its buffer. */
export interface TimelineSpan {
    kind: TimelineSpanKind;
    startMs: number;
    endMs: number;
    detail: string;
}

export interface PlaybackTimeline {
    title: string;
    /** One line under the title (variant, format, faults, ...). */
    subtitle?: string;
    /** The media's duration, seconds, when known. */
    mediaDurationS: number | null;
    /** Wall time covered, ms. */
    wallMs: number;
    /** Wall time from the start to the first frame playing, ms. */
    startupMs: number | null;
    outcome?: string;
    samples: PlaybackSample[];
    events: TimelineEvent[];
    spans: TimelineSpan[];
}

/** The header's figures, computed from the timeline alone. */
export interface TimelineFigures {
    stallCount: number;
    stallTotalMs: number;
    seekCount: number;
    requestCount: number;
    cacheHitCount: number;
    postCount: number;
    fetchCount: number;
    /** Cache hits per player request; null without requests. */
    cacheHitRatio: number | null;
}

export function timelineFigures(timeline: PlaybackTimeline): TimelineFigures {
    const count = (kind: TimelineEventKind): number => timeline.events.filter((event) => event.kind === kind).length;
    const stalls = timeline.spans.filter((span) => span.kind === "stall");
    const requestCount = count("request");
    const cacheHitCount = count("cacheHit");
    return {
        stallCount: stalls.length,
        stallTotalMs: stalls.reduce((sum, span) => sum + Math.max(0, span.endMs - span.startMs), 0),
        seekCount: timeline.spans.filter((span) => span.kind === "seek").length,
        requestCount,
        cacheHitCount,
        postCount: count("post"),
        fetchCount: count("fetch"),
        cacheHitRatio: requestCount > 0 ? cacheHitCount / requestCount : null,
    };
}

/** More points than this per line are thinned out: the page stays small for long runs. */
export const MAX_LINE_POINTS = 1200;

// Drawing geometry, in SVG user units (the SVG scales to the page width).
const WIDTH = 1200;
const LEFT = 130;
const RIGHT = 20;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;
const POSITION_HEIGHT = 190;
const BUFFER_HEIGHT = 120;
const PANEL_GAP = 18;
const LANE_HEIGHT = 26;
const AXIS_HEIGHT = 30;
const LANES: Array<{ kind: TimelineEventKind; label: string }> = [
    { kind: "request", label: "player requests" },
    { kind: "cacheHit", label: "cache hits" },
    { kind: "post", label: "SABR POSTs" },
    { kind: "fetch", label: "channel fetches" },
];

export function renderTimelineHtml(timeline: PlaybackTimeline): string {
    const figures = timelineFigures(timeline);
    // A loop, not Math.max(...): a long run has more events than a call takes arguments.
    let lastMs = Math.max(timeline.wallMs, 1);
    for (const sample of timeline.samples) lastMs = Math.max(lastMs, sample.atMs);
    for (const event of timeline.events) lastMs = Math.max(lastMs, event.endMs ?? event.atMs);
    for (const span of timeline.spans) lastMs = Math.max(lastMs, span.endMs);
    const x = (ms: number): number => LEFT + (Math.min(Math.max(ms, 0), lastMs) / lastMs) * PLOT_WIDTH;
    const samples = thin(timeline.samples, MAX_LINE_POINTS);

    const positionTop = 10;
    const bufferTop = positionTop + POSITION_HEIGHT + PANEL_GAP;
    const lanesTop = bufferTop + BUFFER_HEIGHT + PANEL_GAP;
    const axisTop = lanesTop + LANES.length * LANE_HEIGHT;
    const height = axisTop + AXIS_HEIGHT;

    // The media's duration is the natural top; the play head ends a few ms past it on some runs.
    const furthest = Math.max(0, ...samples.map((sample) => sample.positionS));
    const duration = timeline.mediaDurationS ?? 0;
    const positionMax = duration > 0 && furthest <= duration * 1.01 ? duration : niceCeiling(Math.max(furthest, duration, 1));
    const hasReadahead = samples.some((sample) => sample.readaheadTargetS !== undefined);
    const bufferMax = niceCeiling(Math.max(...samples.map((sample) => Math.max(sample.bufferAheadS, sample.readaheadTargetS ?? 0)), 1));
    const yIn = (top: number, panelHeight: number, max: number) => (value: number) =>
        top + panelHeight - (Math.min(Math.max(value, 0), max) / max) * panelHeight;
    const positionY = yIn(positionTop, POSITION_HEIGHT, positionMax);
    const bufferY = yIn(bufferTop, BUFFER_HEIGHT, bufferMax);

    const parts: string[] = [];
    // Backgrounds, then the shading, then lines and marks over it.
    parts.push(`<rect class="panel" x="${LEFT}" y="${positionTop}" width="${PLOT_WIDTH}" height="${POSITION_HEIGHT}"/>`);
    parts.push(`<rect class="panel" x="${LEFT}" y="${bufferTop}" width="${PLOT_WIDTH}" height="${BUFFER_HEIGHT}"/>`);
    LANES.forEach((_, index) => {
        const top = lanesTop + index * LANE_HEIGHT;
        parts.push(`<rect class="lane-bg" x="${LEFT}" y="${top + 2}" width="${PLOT_WIDTH}" height="${LANE_HEIGHT - 4}"/>`);
    });
    for (const span of timeline.spans) {
        const left = x(span.startMs);
        const width = Math.max(x(span.endMs) - left, 1.5);
        parts.push(
            `<rect class="span ${span.kind}" x="${n(left)}" y="${positionTop}" width="${n(width)}" height="${axisTop - positionTop}"><title>${escapeHtml(span.detail)}</title></rect>`,
        );
    }
    parts.push(panel(positionTop, POSITION_HEIGHT, "position (s)", positionMax, positionY));
    parts.push(panel(bufferTop, BUFFER_HEIGHT, "buffer ahead (s)", bufferMax, bufferY));
    if (samples.length > 0) {
        const points = samples.map((sample) => `${n(x(sample.atMs))},${n(positionY(sample.positionS))}`).join(" ");
        parts.push(`<polyline id="position-line" class="line position" points="${points}"/>`);
        const buffer = samples.map((sample) => `${n(x(sample.atMs))},${n(bufferY(sample.bufferAheadS))}`).join(" ");
        parts.push(`<polyline id="buffer-line" class="line buffer" points="${buffer}"/>`);
    }
    if (hasReadahead) {
        const target = samples
            .filter((sample) => sample.readaheadTargetS !== undefined)
            .map((sample) => `${n(x(sample.atMs))},${n(bufferY(sample.readaheadTargetS!))}`)
            .join(" ");
        parts.push(`<polyline id="readahead-line" class="line readahead" points="${target}"/>`);
    }
    if (timeline.startupMs !== null) {
        const at = x(timeline.startupMs);
        parts.push(
            `<line class="startup" x1="${n(at)}" x2="${n(at)}" y1="${positionTop}" y2="${axisTop}"><title>first frame playing at ${seconds(timeline.startupMs)}</title></line>`,
        );
    }
    LANES.forEach((lane, index) => {
        const top = lanesTop + index * LANE_HEIGHT;
        const events = timeline.events.filter((event) => event.kind === lane.kind);
        parts.push(
            `<text class="label" x="${LEFT - 8}" y="${top + LANE_HEIGHT / 2 + 4}" text-anchor="end">${lane.label} (${events.length})</text>`,
        );
        for (const event of events) {
            const left = x(event.atMs);
            const width = event.endMs === undefined ? 2 : Math.max(x(event.endMs) - left, 2);
            const classes = ["mark", event.kind, event.track ? safeClass(event.track) : "", event.failed ? "failed" : ""]
                .filter(Boolean)
                .join(" ");
            parts.push(
                `<rect class="${classes}" x="${n(left)}" y="${top + 5}" width="${n(width)}" height="${LANE_HEIGHT - 10}"><title>${escapeHtml(`${seconds(event.atMs)}: ${event.detail}`)}</title></rect>`,
            );
        }
    });
    parts.push(timeAxis(axisTop, lastMs, x));
    parts.push(`<line id="cursor" class="cursor" x1="0" x2="0" y1="${positionTop}" y2="${axisTop}" visibility="hidden"/>`);

    // The hover read-out looks samples up by wall time; only numbers go in, so JSON is safe to inline.
    const hoverData = JSON.stringify({
        left: LEFT,
        plotWidth: PLOT_WIDTH,
        width: WIDTH,
        lastMs,
        samples: samples.map((sample) => [
            sample.atMs,
            round(sample.positionS),
            round(sample.bufferAheadS),
            sample.readaheadTargetS ?? null,
        ]),
    });

    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>${escapeHtml(`playback: ${timeline.title}`)}</title>
<style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(timeline.title)}</h1>
${timeline.subtitle ? `<p class="subtitle">${escapeHtml(timeline.subtitle)}</p>` : ""}
${header(timeline, figures)}
<div class="legend">${legend(hasReadahead)}</div>
<svg id="timeline" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="playback timeline">
${parts.join("\n")}
</svg>
<p id="readout" class="readout">Move the pointer over the chart for the position and buffer at that moment; hover a mark or a shaded stretch for its details.</p>
<p class="note">Times are wall time since the player started. Cache hits come from the channel's /metrics, read about once a second: a hit is placed within the second it was counted in, not at its exact request.</p>
<script>${hoverScript(hoverData)}</script>
</body></html>
`;
}

function header(timeline: PlaybackTimeline, figures: TimelineFigures): string {
    const ratio = figures.cacheHitRatio === null ? "-" : `${(figures.cacheHitRatio * 100).toFixed(0)}%`;
    const rows: Array<[string, string, string]> = [
        ["duration", "media duration", timeline.mediaDurationS === null ? "-" : `${timeline.mediaDurationS.toFixed(1)} s`],
        ["wall", "wall time", seconds(timeline.wallMs)],
        ["startup", "start-up", timeline.startupMs === null ? "-" : `${Math.round(timeline.startupMs)} ms`],
        ["stall-count", "stalls", String(figures.stallCount)],
        ["stall-total", "stall time", seconds(figures.stallTotalMs)],
        ["seek-count", "seeks", String(figures.seekCount)],
        ["request-count", "player requests", String(figures.requestCount)],
        ["post-count", "SABR POSTs", String(figures.postCount)],
        ["cache-hit-ratio", "cache hits", `${ratio} (${figures.cacheHitCount} of ${figures.requestCount})`],
    ];
    if (timeline.outcome) rows.push(["outcome", "outcome", timeline.outcome]);
    const cells = rows
        .map(([key, label, value]) => `<div><dt>${escapeHtml(label)}</dt><dd data-figure="${key}">${escapeHtml(value)}</dd></div>`)
        .join("");
    return `<dl class="figures">${cells}</dl>`;
}

function legend(hasReadahead: boolean): string {
    const items = [
        `<span class="key position"></span>position`,
        `<span class="key buffer"></span>buffer ahead`,
        hasReadahead ? `<span class="key readahead"></span>readahead target` : "",
        `<span class="key box stall"></span>stall`,
        `<span class="key box seek"></span>seek`,
        `<span class="key box video"></span>video`,
        `<span class="key box audio"></span>audio`,
        `<span class="key box failed"></span>failed`,
        `<span class="key startup"></span>first frame`,
    ];
    return items.filter(Boolean).join(" ");
}

function panel(top: number, panelHeight: number, label: string, max: number, y: (value: number) => number): string {
    const step = niceStep(max / 3);
    const values: number[] = [];
    for (let value = 0; value <= max + 1e-9; value += step) values.push(value);
    const ticks = values
        .map(
            (value) =>
                `<line class="grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${n(y(value))}" y2="${n(y(value))}"/><text class="tick" x="${LEFT - 6}" y="${n(y(value) + 4)}" text-anchor="end">${round(value)}</text>`,
        )
        .join("");
    return `${ticks}<text class="label" x="12" y="${top + panelHeight / 2}">${escapeHtml(label)}</text>`;
}

function timeAxis(top: number, lastMs: number, x: (ms: number) => number): string {
    const step = niceStep(lastMs / 1000 / 12) * 1000;
    const ticks: string[] = [];
    for (let at = 0; at <= lastMs + 1; at += step) {
        ticks.push(
            `<line class="grid" x1="${n(x(at))}" x2="${n(x(at))}" y1="${top}" y2="${top + 5}"/><text class="tick" x="${n(x(at))}" y="${top + 18}" text-anchor="middle">${round(at / 1000)} s</text>`,
        );
    }
    return `<line class="axis" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${top}" y2="${top}"/>${ticks.join("")}<text class="label" x="12" y="${top + 18}">wall time</text>`;
}

/** Every k-th sample (and always the last), so a line has at most `max` points. */
export function thin<T>(items: T[], max: number): T[] {
    if (items.length <= max) return items;
    const stride = Math.ceil(items.length / max);
    const kept = items.filter((_, index) => index % stride === 0);
    if (kept.at(-1) !== items.at(-1)) kept.push(items.at(-1)!);
    return kept;
}

/** Text for HTML content and double- or single-quoted attributes. */
export function escapeHtml(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** A track name as a CSS class: letters, digits and dashes only. */
function safeClass(text: string): string {
    return text.replace(/[^A-Za-z0-9-]/g, "-");
}

function niceStep(raw: number): number {
    const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600];
    return steps.find((step) => step >= raw) ?? Math.ceil(raw / 600) * 600;
}

function niceCeiling(value: number): number {
    const step = niceStep(value / 4);
    return Math.ceil(value / step) * step;
}

function seconds(ms: number): string {
    return `${(ms / 1000).toFixed(2)} s`;
}

function n(value: number): string {
    return value.toFixed(1);
}

function round(value: number): number {
    return Math.round(value * 100) / 100;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#1d2433;background:#fff}
h1{font-size:20px;margin:0 0 2px}
.subtitle{margin:0 0 10px;color:#555}
.figures{display:flex;flex-wrap:wrap;gap:6px 22px;margin:8px 0 12px}
.figures div{min-width:90px}
.figures dt{font-size:12px;color:#666}
.figures dd{margin:0;font-size:17px;font-weight:600}
.legend{font-size:12px;color:#444;margin-bottom:4px}
.key{display:inline-block;width:18px;height:3px;margin:0 4px 3px 10px;vertical-align:middle}
.key.box{height:10px;width:10px}
.key.position{background:#1f5fbf}.key.buffer{background:#2a9d4a}.key.readahead{border-top:2px dashed #b36b00;height:0}
.key.stall{background:rgba(220,40,40,.25)}.key.seek{background:rgba(120,80,200,.22)}
.key.video{background:#1f5fbf}.key.audio{background:#e08a00}.key.failed{background:#d62828}.key.startup{background:#222;width:2px;height:12px}
svg{display:block;max-width:1400px;font-size:11px}
.panel{fill:#fafbfd;stroke:#d5d9e0}
.lane-bg{fill:#f4f5f8}
.grid{stroke:#e3e6ec}
.axis{stroke:#888}
.tick{fill:#666}
.label{fill:#333;font-size:12px}
.line{fill:none;stroke-width:1.8;stroke-linejoin:round}
.line.position{stroke:#1f5fbf}.line.buffer{stroke:#2a9d4a}.line.readahead{stroke:#b36b00;stroke-dasharray:5 4}
.span.stall{fill:rgba(220,40,40,.18)}.span.seek{fill:rgba(120,80,200,.16)}
.mark{fill:#5b6b84}.mark.video{fill:#1f5fbf}.mark.audio{fill:#e08a00}.mark.cacheHit{fill:#2a9d4a}.mark.post{fill:#6a3fb5}.mark.fetch{fill:#3a7f8c}
.mark.failed{fill:#d62828}
.mark:hover{stroke:#000;stroke-width:1}
.startup{stroke:#222;stroke-dasharray:2 3}
.cursor{stroke:#000;stroke-opacity:.4}
.readout{font-family:ui-monospace,monospace;font-size:13px;min-height:1.4em}
.note{font-size:12px;color:#666}
`;

function hoverScript(data: string): string {
    // Nothing but numbers reach the data, and "<" cannot appear in it: safe inside <script>.
    return `(function(){var d=${data.replace(/</g, "\\u003c")};var svg=document.getElementById("timeline"),cur=document.getElementById("cursor"),out=document.getElementById("readout");
svg.addEventListener("mousemove",function(e){var r=svg.getBoundingClientRect();var u=(e.clientX-r.left)*d.width/r.width;if(u<d.left||u>d.left+d.plotWidth||!d.samples.length){cur.setAttribute("visibility","hidden");return;}
var t=(u-d.left)/d.plotWidth*d.lastMs;var best=d.samples[0];for(var i=1;i<d.samples.length;i++){if(Math.abs(d.samples[i][0]-t)<Math.abs(best[0]-t))best=d.samples[i];}
cur.setAttribute("x1",u);cur.setAttribute("x2",u);cur.setAttribute("visibility","visible");
out.textContent="t "+(t/1000).toFixed(2)+" s | position "+best[1].toFixed(2)+" s | buffer ahead "+best[2].toFixed(2)+" s"+(best[3]===null?"":" | readahead target "+best[3]+" s");});
svg.addEventListener("mouseleave",function(){cur.setAttribute("visibility","hidden");});})();`;
}
