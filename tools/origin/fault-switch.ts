/**
 * The fault rules in force and the seeded RNG their `@p=` selectors draw from. Replacing the
 * rules (POST /__faults, `setFaults`) restarts the RNG, so a run is repeatable from its seed.
 */
import { describeRules, makeRng, parseFaultSpec, selectFaults, type ActiveFault, type FaultRule } from "./faults.ts";

export class FaultSwitch {
    private rules: FaultRule[];
    private rng: () => number;

    constructor(
        spec: string | FaultRule[] | undefined,
        public seed: number,
    ) {
        this.rules = toRules(spec ?? []);
        this.rng = makeRng(seed);
    }

    set(spec: string | FaultRule[], seed?: number): void {
        this.rules = toRules(spec);
        if (seed !== undefined) this.seed = seed;
        this.rng = makeRng(this.seed);
    }

    /** The faults that fire for a request; counts them against `@times=`. */
    select(rn: number | undefined, nth: number): ActiveFault[] {
        return selectFaults(this.rules, rn, nth, this.rng);
    }

    describe(): string {
        return describeRules(this.rules);
    }

    get current(): FaultRule[] {
        return this.rules;
    }
}

function toRules(spec: string | FaultRule[]): FaultRule[] {
    return typeof spec === "string" ? parseFaultSpec(spec) : spec;
}
