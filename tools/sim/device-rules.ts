// Where brs-engine and the network bridge are kinder than a Roku, the simulator plays the Roku.
// One row per rule: what the device does, the documentation it comes from, and whether it is on
// by default. Rules the documentation settles are on; where the documentation is silent the
// harsher choice is on too (the channel must work either way), except `noByteArraySlice`, which
// a test switches on to prove the byte path does not need `Slice` (docs/device-rules.md).
// One rule goes the other way: `rendezvousWhenRenderIdle` takes away a cost the engine adds (its
// render thread answers a Task once per frame), so the simulator's hand-offs cost what a device's do.

const REF = "https://developer.roku.com/docs/references/brightscript";

export const DEVICE_RULES = {
    httpsNeedsCertificates: {
        on: true,
        known: true,
        device: "an https transfer fails (-60, SSL certificate problem) unless SetCertificatesFile named a CA bundle that signs the server; common:/certs/ca-bundle.crt trusts public CAs and the simulator's trusted test CAs",
        doc: `${REF}/components/rourltransfer.md`,
    },
    headersOnlyFor2xx: {
        on: true,
        known: true,
        device: "roUrlEvent.GetResponseHeaders() is empty unless the status is 200-299; GetResponseHeadersArray() has them for every status",
        doc: `${REF}/events/rourlevent.md`,
    },
    numbersThroughFloat: {
        on: true,
        known: true,
        device: 'Str(), Int() and Fix() take a Float: a larger Integer, LongInteger or Double loses digits first (Str(1759049839859420&) is " 1.75905e+15")',
        doc: `${REF}/language/global-string-functions.md`,
    },
    renameRefusesExisting: {
        on: true,
        known: true,
        device: "roFileSystem.Rename() fails when the target exists",
        doc: `${REF}/interfaces/iffilesystem.md`,
    },
    bindAtSetAddress: {
        on: true,
        known: true,
        device: "roStreamSocket.SetAddress() is the bind() call: it returns false for a port in use, and Listen() on an unbound socket listens on a free port",
        doc: `${REF}/interfaces/ifsocket.md`,
    },
    cancelDeletesPartial: {
        on: true,
        known: false,
        device: "AsyncCancel() removes the partial <target>.tmp of a *ToFile transfer",
        doc: `${REF}/interfaces/ifurltransfer.md`,
    },
    receiveZeroWhenEmpty: {
        on: true,
        known: false,
        device: 'Receive() on a socket with nothing to read returns 0 with Status() "would block", not -1',
        doc: `${REF}/interfaces/ifsocket.md`,
    },
    rendezvousWhenRenderIdle: {
        on: true,
        known: false,
        device: "a Task's field set (a rendezvous) is handled as soon as the render thread is free, not at its next frame; between frames the render thread sleeps",
        doc: "https://developer.roku.com/docs/developer-program/core-concepts/threads.md",
        basis: "undocumented; on by default because the engine's frame wait hides every other cost",
    },
    cachefsKeptUntilReboot: {
        on: true,
        known: true,
        device: "cachefs: keeps the files of the previous launch (until a reboot, or until the system deletes some for another channel); tmp: starts empty at every launch",
        doc: "https://developer.roku.com/docs/developer-program/getting-started/architecture/file-system.md",
    },
    registryKeptAcrossLaunches: {
        on: true,
        known: true,
        device: "the registry (roRegistry, roRegistrySection) keeps what earlier launches flushed, across reboots too, until the channel is uninstalled; every launch starts from it",
        doc: `${REF}/components/roregistry.md`,
    },
    memoryMonitorFromRules: {
        on: true,
        known: true,
        device: "roAppMemoryMonitor answers from the simulator's memory figures (limit, used), not the browser heap, and sends roAppMemoryNotificationEvent when usage crosses 80, 85, 90 or 95 % of the limit",
        doc: `${REF}/interfaces/ifappmemorymonitor.md`,
    },
    noByteArraySlice: {
        on: false,
        known: false,
        device: "roByteArray has no ifArraySlice (Slice) (its first firmware is not documented)",
        doc: `${REF}/components/robytearray.md`,
    },
} as const;

export type DeviceRuleName = keyof typeof DEVICE_RULES;
export type DeviceRuleSet = Record<DeviceRuleName, boolean>;
/** What a caller changes; every rule left out keeps its default. */
export type DeviceRuleOverrides = Partial<DeviceRuleSet>;

export const DEVICE_RULE_NAMES = Object.keys(DEVICE_RULES) as DeviceRuleName[];

export function resolveDeviceRules(overrides: DeviceRuleOverrides = {}): DeviceRuleSet {
    const rules = {} as DeviceRuleSet;
    for (const name of DEVICE_RULE_NAMES) rules[name] = overrides[name] ?? DEVICE_RULES[name].on;
    return rules;
}

/** Every rule off: the simulator as kind as brs-engine and the bridge are by themselves. */
export function kindSimulator(): DeviceRuleSet {
    const rules = {} as DeviceRuleSet;
    for (const name of DEVICE_RULE_NAMES) rules[name] = false;
    return rules;
}

/** Parses a CLI list like "noByteArraySlice=on,headersOnlyFor2xx=off" (or "none" for every rule off). */
export function parseDeviceRules(text: string): DeviceRuleOverrides {
    if (text.trim() === "none") return kindSimulator();
    const overrides: DeviceRuleOverrides = {};
    for (const item of text
        .split(",")
        .map((part) => part.trim())
        .filter(Boolean)) {
        const match = /^(\w+)=(on|off)$/.exec(item);
        const name = match?.[1] as DeviceRuleName | undefined;
        if (!match || !name || !(name in DEVICE_RULES)) {
            throw new Error(`bad device rule "${item}" (expected name=on|off; rules: ${DEVICE_RULE_NAMES.join(", ")})`);
        }
        overrides[name] = match[2] === "on";
    }
    return overrides;
}

/** Lines for --help: each rule, its default and what the device does. */
export function describeDeviceRules(indent = "  "): string {
    return DEVICE_RULE_NAMES.map((name) => {
        const rule = DEVICE_RULES[name];
        const basis =
            "basis" in rule
                ? rule.basis
                : rule.known
                  ? "documented"
                  : rule.on
                    ? "undocumented, the harsher choice"
                    : "undocumented, a flag for tests";
        return `${indent}${name} (${rule.on ? "on" : "off"}; ${basis}): ${rule.device}`;
    }).join("\n");
}
