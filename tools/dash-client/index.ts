// A scripted DASH SegmentBase client that stands in for the Roku Video node: it reads the MPD,
// fetches init and sidx ranges, then media ranges like a player (audio and video interleaved in
// time, one keep-alive socket per track), validates every 206 and keeps the bytes at their file
// offsets so a test can compare them with the source. Tests, benchmarks and tools import it here.
export { parseRangeHeader, rangeText, type ByteRange } from "./byte-range.ts";
export type { Track } from "./track.ts";
export { parseIsoDurationMs } from "./iso-duration.ts";
export { parseAttributes } from "./xml.ts";
export { parseMpd, type Mpd, type MpdPeriod, type MpdAdaptationSet, type MpdRepresentation } from "./mpd.ts";
export { parseSidx, type Sidx, type SidxReference } from "./sidx.ts";
export type { RangeStyle } from "./range-plan.ts";
export { ReceivedRepresentation, type ReceivedSpan, type Mismatch, type VerifyResult } from "./received.ts";
export { PlayReport, type RequestKind, type RequestRecord } from "./report.ts";
export { DashClient, type DashClientOptions, type PlayOptions } from "./client.ts";
