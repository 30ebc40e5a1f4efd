/**
 * The InnerTube stand-in's player script: a small `base.js` shaped like the parts of YouTube's
 * player that youtubei.js 18 looks for (an IIFE over `_yt_player`, a URL-wrapping function that
 * sets `alr=yes`, a class whose methods rewrite `n`, an object literal with `signatureTimestamp`).
 * youtubei.js extracts the `n` function from it with its own analyser, exactly as from the real
 * player, and the companion's sandboxed evaluator runs it. The transform is deliberately simple
 * (reverse, prefix `o`) so the origin can check that a SABR URL's `n` was solved.
 */

/** The player id `/iframe_api` names unless the origin is told another. */
export const STANDIN_PLAYER_ID = "0rigin01";
export const STANDIN_SIGNATURE_TIMESTAMP = 20400;

/** What the player script turns a challenge `n` into. */
export function solveN(n: string): string {
    return `o${[...n].reverse().join("")}`;
}

/** `/iframe_api`: youtubei.js reads the player id between `player\/` and `\/`. */
export function iframeApiScript(playerId: string): string {
    return `var scriptUrl = 'https:\\/\\/www.youtube.com\\/s\\/player\\/${playerId}\\/www-widgetapi.vflset\\/www-widgetapi.js';\n`;
}

/** `/s/player/<id>/player_es6.vflset/en_US/base.js`. */
export function playerScript(): string {
    return `var _yt_player = {};
(function(g) {
  var window = this;
  var rv = function(a) { var b = a.split(""); b.reverse(); return "o" + b.join(""); };
  g.Qs = class {
    constructor(u) {
      var i = u.indexOf("?");
      this.base = i < 0 ? u : u.slice(0, i);
      this.q = [];
      var p = i < 0 ? [] : u.slice(i + 1).split("&");
      for (var j = 0; j < p.length; j++) { var kv = p[j].split("="); this.q.push([kv[0], kv.slice(1).join("=")]); }
    }
    set(k, v) { for (var j = 0; j < this.q.length; j++) if (this.q[j][0] === k) { this.q[j][1] = v; return; } this.q.push([k, v]); }
    get(k) { for (var j = 0; j < this.q.length; j++) if (this.q[j][0] === k) return this.q[j][1]; return null; }
    nx() { var n = this.get("n"); n && this.set("n", rv(n)); }
  };
  var Ak = function(a, b = "", c = "") {
    a = new g.Qs(a);
    a.set("alr", "yes");
    c && a.set(b || "signature", c);
    return a;
  };
  var Vz = function() { return { signatureTimestamp: ${STANDIN_SIGNATURE_TIMESTAMP}, html5: true }; };
})(_yt_player);
`;
}
