// Hand-off cost in the simulator (simulator figures, not device figures): a Task sets an integer
// field the scene observes, with the render thread otherwise idle (sim.handoff.fieldSet), and a
// task -> scene -> task round trip (sim.handoff.roundTrip), timed by the task per set
// (tests/fixtures/channels/handoff). Each is measured with the device rule rendezvousWhenRenderIdle
// (the simulator as it runs) and without it (brs-engine's own render thread, which answers a Task
// once per frame), alternating in one run; the rule's lines carry the ratio to the engine's.
import { Simulator } from "../../tools/sim/simulator.ts";
import { zipFixtureChannel } from "../ts/support/fixture-channels.ts";

const ROUNDS = 3;
const FIGURES = { fieldSetUs: "sim.handoff.fieldSet", roundTripUs: "sim.handoff.roundTrip" } as const;
type Samples = Record<keyof typeof FIGURES, number[]>;

function percentile(values: number[], p: number): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(microseconds: number[]): { p50Ms: number; p95Ms: number; maxMs: number; sets: number } {
    const ms = (us: number): number => Number((us / 1000).toFixed(2));
    return {
        p50Ms: ms(percentile(microseconds, 50)),
        p95Ms: ms(percentile(microseconds, 95)),
        maxMs: ms(Math.max(...microseconds)),
        sets: microseconds.length,
    };
}

/** Runs the fixture once; the task's per-set times. */
async function measure(zip: string, rule: boolean): Promise<Samples> {
    const simulator = await Simulator.launch({ deviceRules: { rendezvousWhenRenderIdle: rule } });
    try {
        let times: Samples | undefined;
        const run = await simulator.run(zip, {
            timeoutMs: 120_000,
            until: /^handoff-done/,
            onLine(line) {
                if (line.startsWith("HANDOFF-TIMES ")) times = JSON.parse(line.slice("HANDOFF-TIMES ".length)) as Samples;
            },
        });
        if (run.outcome !== "matched" || !times) throw new Error(`handoff channel: ${run.reason}\n${run.lines.join("\n")}`);
        return times;
    } finally {
        await simulator.close();
    }
}

const zip = await zipFixtureChannel("handoff");
const pooled = { engine: { fieldSetUs: [], roundTripUs: [] } as Samples, rule: { fieldSetUs: [], roundTripUs: [] } as Samples };
for (let round = 0; round < ROUNDS; round++) {
    for (const [which, rule] of [
        ["engine", false],
        ["rule", true],
    ] as const) {
        const times = await measure(zip, rule);
        for (const key of Object.keys(FIGURES) as (keyof typeof FIGURES)[]) pooled[which][key].push(...times[key]);
    }
}
for (const [key, bench] of Object.entries(FIGURES) as [keyof typeof FIGURES, string][]) {
    const engine = summary(pooled.engine[key]);
    const rule = summary(pooled.rule[key]);
    const ratio = (field: "p50Ms" | "p95Ms" | "maxMs"): number => Number((rule[field] / engine[field]).toPrecision(3));
    console.log(JSON.stringify({ bench: `${bench}.engineFrameWait`, unit: "ms", ...engine, where: "simulator" }));
    console.log(
        JSON.stringify({
            bench,
            unit: "ms",
            ...rule,
            ratioP50: ratio("p50Ms"),
            ratioP95: ratio("p95Ms"),
            ratioMax: ratio("maxMs"),
            where: "simulator",
        }),
    );
}
