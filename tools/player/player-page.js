// Plays the DASH manifest named by ?manifest=<url> with shaka-player, muted, and exposes
// window.playerState() / window.playerEvents() for run-player.ts (which polls them).
// ?ports=7010:41000,7011:41001 rewrites http://127.0.0.1:<port> URLs (the simulator's bridge maps
// the channel's ports to free host ports); ?video=<representation id prefix> pins the video track;
// ?switching=1 turns shaka's ABR off so window.playerSwitchNext() alone changes the quality.
/* global shaka */
(function () {
    "use strict";
    const video = document.getElementById("video");
    const events = [];
    let playingSeen = false;
    let stalls = 0;
    let waitingEvents = 0;
    let error = null;

    function record(type, detail) {
        // atMs is epoch time; run-player.ts makes it relative to its own start.
        events.push({ atMs: Date.now(), type, currentTime: video.currentTime, detail: detail ?? null });
    }

    function shakaErrorText(e) {
        const data = e && e.data ? JSON.stringify(e.data).slice(0, 300) : "";
        return `shaka error ${e.code} (category ${e.category}, severity ${e.severity}) ${data}`;
    }

    function fail(text) {
        if (error === null) error = text;
        record("error", text);
    }

    for (const type of ["loadedmetadata", "canplay", "playing", "pause", "seeking", "seeked", "ended", "stalled"]) {
        video.addEventListener(type, () => {
            if (type === "playing") playingSeen = true;
            record(type);
        });
    }
    // A wait while seeking is the seek filling its buffer, not a stall of running playback.
    video.addEventListener("waiting", () => {
        waitingEvents += 1;
        if (playingSeen && !video.seeking) stalls += 1;
        record("waiting", video.seeking ? "seeking" : null);
    });
    video.addEventListener("error", () => {
        const e = video.error;
        fail(`media error ${e ? e.code : "?"}: ${e ? e.message : ""}`);
    });

    window.playerState = function () {
        const quality = video.getVideoPlaybackQuality();
        return {
            currentTime: video.currentTime,
            bufferAheadS: bufferAhead(),
            duration: Number.isFinite(video.duration) ? video.duration : null,
            readyState: video.readyState,
            playing: playingSeen && !video.paused && !video.ended && !video.seeking && video.readyState >= 3,
            ended: video.ended,
            stalls,
            waitingEvents,
            decodedFrames: quality.totalVideoFrames,
            droppedFrames: quality.droppedVideoFrames,
            videoWidth: video.videoWidth,
            videoHeight: video.videoHeight,
            error,
        };
    };
    // Seconds buffered past the play head in the range that holds it (0 when it sits in a gap).
    function bufferAhead() {
        const ranges = video.buffered;
        for (let i = 0; i < ranges.length; i++) {
            if (ranges.start(i) <= video.currentTime + 0.1 && video.currentTime < ranges.end(i)) {
                return ranges.end(i) - video.currentTime;
            }
        }
        return 0;
    }
    // Selects the video representation after the active one (in the order of the variant list),
    // keeping what is buffered (clearBuffer false), as a viewer picking a quality would; returns
    // the chosen representation id, or null before the manifest is loaded.
    window.playerSwitchNext = function () {
        const player = window.shakaPlayer;
        const tracks = player ? player.getVariantTracks() : [];
        const active = tracks.find((t) => t.active);
        if (!active) return null;
        const sameAudio = tracks.filter((t) => t.audioId === active.audioId);
        const next = sameAudio[(sameAudio.indexOf(active) + 1) % sameAudio.length];
        player.selectVariantTrack(next, false);
        record("switch", String(next.originalVideoId));
        return String(next.originalVideoId);
    };
    window.playerEvents = function (since) {
        return events.slice(since ?? 0);
    };
    // Returns the index of the next event, so the caller can find this seek's 'seeked'.
    let seekGeneration = 0;
    window.playerSeek = function (seconds) {
        const next = events.length;
        seekGeneration += 1;
        video.currentTime = seconds;
        watchSeekFrames(seekGeneration);
        return next;
    };
    // Records "seekframe" (detail: the frame's media time) once frames advance at the new position:
    // the second frame presented after the seek finished, so a still picture does not count. Needs
    // requestVideoFrameCallback; without it run-player.ts falls back to 'seeked'/'playing'.
    function watchSeekFrames(generation) {
        if (typeof video.requestVideoFrameCallback !== "function") return;
        let firstMediaTime = null;
        const onFrame = (_now, frame) => {
            if (generation !== seekGeneration) return; // a later seek watches for itself
            if (!video.seeking && firstMediaTime !== null && frame.mediaTime > firstMediaTime) {
                record("seekframe", String(frame.mediaTime));
                return;
            }
            if (!video.seeking && firstMediaTime === null) firstMediaTime = frame.mediaTime;
            video.requestVideoFrameCallback(onFrame);
        };
        video.requestVideoFrameCallback(onFrame);
    }

    async function start() {
        const manifest = new URLSearchParams(location.search).get("manifest");
        if (!manifest) return fail("no ?manifest=<url> in the page URL");
        shaka.polyfill.installAll();
        if (!shaka.Player.isBrowserSupported()) return fail("shaka-player: browser not supported");
        const player = new shaka.Player();
        window.shakaPlayer = player;
        const ports = portMap(new URLSearchParams(location.search).get("ports"));
        player.getNetworkingEngine().registerRequestFilter((_type, request) => {
            request.uris = request.uris.map((uri) => mapPort(uri, ports));
        });
        const pinnedVideo = new URLSearchParams(location.search).get("video");
        const switching = new URLSearchParams(location.search).get("switching") === "1";
        if (pinnedVideo || switching) player.configure({ abr: { enabled: false } });
        player.addEventListener("error", (event) => fail(shakaErrorText(event.detail)));
        player.addEventListener("variantchanged", () => record("variantchanged", activeVariant(player)));
        player.addEventListener("adaptation", () => record("adaptation", activeVariant(player)));
        await player.attach(video);
        video.muted = true;
        await player.load(mapPort(manifest, ports));
        if (pinnedVideo) {
            const track = player.getVariantTracks().find((t) => String(t.originalVideoId ?? "").startsWith(pinnedVideo));
            if (!track) return fail(`no video representation ${pinnedVideo} in the manifest`);
            player.selectVariantTrack(track, true);
        }
        record("loaded", activeVariant(player));
        await video.play();
    }

    function portMap(text) {
        const map = new Map();
        for (const pair of (text ?? "").split(",").filter(Boolean)) {
            const [from, to] = pair.split(":");
            map.set(from, to);
        }
        return map;
    }

    function mapPort(uri, ports) {
        const url = new URL(uri);
        if (url.hostname !== "127.0.0.1" || !ports.has(url.port)) return uri;
        url.port = ports.get(url.port);
        return url.toString();
    }

    function activeVariant(player) {
        const track = player.getVariantTracks().find((t) => t.active);
        return track ? `${track.videoCodec} ${track.width}x${track.height} ${track.bandwidth}` : null;
    }

    start().catch((e) => fail(e && e.code !== undefined ? shakaErrorText(e) : String(e)));
})();
