// What the simulator's and the bridge's worker scripts use of brs-engine 2.2.0 inside its workers
// (`globalThis.brsEngine`, set by brs-sg.real.js), for `// @ts-check`. Hand-written rather than the
// package's own typings: those call several fields the scripts need private (messageQueue, a
// component's methods, roUrlTransfer's url...) and pull in Node and zenfs types. Every member here
// is something the scripts rely on: check the list when the engine is upgraded.

import type { DeviceRuleSet } from "../device-rules.ts";

declare global {
    namespace BrsEngine {
        /** Opaque: the scripts only pass it back to the engine. */
        type Interpreter = object;

        /** ValueKind enum members (numbers) the scripts name. */
        interface ValueKinds {
            readonly Boolean: number;
            readonly String: number;
            readonly Int32: number;
            readonly Void: number;
            readonly Object: number;
        }

        interface Value {
            readonly kind: number;
            toString(parent?: Value): string;
        }

        interface BrsBoolean extends Value {
            toBoolean(): boolean;
        }

        interface BrsString extends Value {
            readonly value: string;
        }

        /** A LongInteger's payload (the engine uses long.js). */
        interface Long {
            toNumber(): number;
        }

        /** Int32, Float, Double, LongInteger, or their boxed roInt & co (`unbox`). */
        interface Numeric extends Value {
            getValue(): number | Long;
            unbox?(): Numeric;
        }

        interface Int32 extends Numeric {
            getValue(): number;
        }

        interface Argument {
            readonly name: { text: string };
        }

        /** A built-in function's implementation as the engine calls it. */
        type Implementation = (interpreter: Interpreter, ...args: Value[]) => Value;

        /**
         * An implementation given to `new Callable`: its parameters must be annotated with the value
         * types its signature declares (never[] accepts any parameter list, and forces the annotation).
         */
        type NewImplementation = (interpreter: Interpreter, ...args: never[]) => Value;

        interface Callable extends Value {
            readonly name: string | undefined;
            readonly signatures: { signature: unknown; impl: Implementation }[];
        }

        interface CallableSpec {
            signature: { args: Argument[]; returns: number };
            impl: NewImplementation;
        }

        /** Base of every component (roStreamSocket, roMessagePort...). */
        interface Component extends Value {
            kind: number;
            /** Method name (lower case) → callable; `interfaces`: interface name (lower case) → interface. */
            readonly methods: Map<string, Callable>;
            readonly interfaces: Map<string, unknown>;
            registerMethods(interfaces: Record<string, Callable[]>): void;
            overrideMethods(methods: Callable[]): void;
            addReference(): void;
            removeReference(): void;
            equalTo(other: Value): BrsBoolean;
            getComponentName(): string;
        }

        type Event = Component;

        /** roMessagePort. `registerCallback`'s function runs in wait()/GetMessage()/PeekMessage(). */
        interface MessagePort extends Component {
            readonly messageQueue: Value[];
            pushMessage(event: Event): void;
            /** `wait` is wait()'s timeout in ms (0 = forever); undefined for GetMessage/PeekMessage. */
            registerCallback(key: string, callback: (interpreter: Interpreter, wait?: number) => Event[]): void;
            unregisterCallback(key: string): void;
            /** The callbacks by key (private in the package's typings). */
            readonly callbackMap?: Map<string, unknown>;
        }

        /** roSocketAddress (hostIP and port are private in the engine's typings). */
        interface SocketAddress extends Component {
            readonly hostIP: string;
            readonly port: number;
            validateAddress(address: string): boolean;
        }

        /** roByteArray. */
        interface ByteArray extends Component {
            elements: Uint8Array;
            updateCapacity?(): void;
        }

        /** roUrlTransfer: the fields the bridge reads or sets (most private in the engine's typings). */
        interface UrlTransfer extends Component {
            url: string;
            host?: string;
            reqMethod: string;
            failureReason: string;
            port?: MessagePort;
            user?: string;
            password?: string;
            readonly customHeaders?: Map<string, string>;
            certificatesFile: string;
        }

        /** What `getFS` returns: the zenfs file system behind a volume. */
        interface ZenFs {
            appendFileSync(path: string, data: Uint8Array): void;
            existsSync(path: string): boolean;
            statSync(path: string): { isFile(): boolean; isDirectory(): boolean; size: number };
            renameSync(from: string, to: string): void;
            readdirSync(path: string): string[];
            unlinkSync(path: string): void;
        }

        /** The engine's FileSystem (BrsDevice.fileSystem): paths like "tmp:/a.bin". */
        interface FileSystem {
            getFS(path: string): ZenFs;
            getPath(path: string): string;
            existsSync(path: string): boolean;
            readFileSync(path: string): Uint8Array;
            writeFileSync(path: string, data: Uint8Array): void;
            renameSync(from: string, to: string): void;
            unlinkSync(path: string): void;
            deletePath(path: string): void;
            savePath(path: string): void;
        }

        /** What a thread receives to run: the device info, and `taskData` in a Task's thread. */
        interface ThreadPayload {
            taskData?: object;
        }

        /** BrsDevice (static members; several private in the package's typings). */
        interface Device {
            readonly fileSystem?: FileSystem;
            /** The device info of this run, with the simulator's own keys (sim-page.js). */
            readonly deviceInfo: { cacheFSVolSize: number; simCacheFS?: unknown; simSystem?: unknown };
            /** The cachefs: volume; the main thread makes it on first use unless already set. */
            cacheFS?: SharedArrayBuffer;
            setupFileSystem(this: Device, payload: ThreadPayload): void;
        }

        /** CreateObject's factories, by component name. */
        interface ObjectFactories {
            get(name: string): ((interpreter: Interpreter, ...args: Value[]) => Component) | undefined;
            set(name: string, factory: (interpreter: Interpreter, ...args: Value[]) => Component): void;
        }

        /** A BrsExtension; `tick` runs before every statement. */
        interface Extension {
            readonly name: string;
            readonly version: string;
            tick?(interpreter: Interpreter): void;
        }

        interface Exports {
            readonly BrsObjects: ObjectFactories;
            readonly BrsDevice: Device;
            readonly ValueKind: ValueKinds;
            readonly BrsBoolean: { from(value: boolean): BrsBoolean; readonly True: BrsBoolean; readonly False: BrsBoolean };
            readonly BrsInvalid: { readonly Instance: Value };
            readonly BrsString: new (value: string) => BrsString;
            readonly Int32: new (value: number) => Int32;
            readonly Float: new (value: number) => Numeric;
            readonly Double: new (value: number) => Numeric;
            readonly Callable: new (name: string, spec: CallableSpec) => Callable;
            readonly StdlibArgument: new (name: string, kind: number, defaultValue?: Value) => Argument;
            readonly BrsComponent: new (name: string) => Component;
            readonly BrsEvent: new (name: string) => Event;
            readonly RoURLEvent: new (id: number, host: string, body: string, status: number, reason: string, headers: string) => Event;
            readonly RoAssociativeArray: new (elements: unknown[]) => Component;
            /** Built-in global functions (the ones the device rules adjust). */
            readonly stdlib: { readonly Str: Callable; readonly Int: Callable; readonly Fix: Callable };
            registerExtension(factory: () => Extension): void;
        }
    }

    /** What device-rules.js uses of brs-scenegraph 0.1.0 (`self["brs-scenegraph"]`, set by brs-sg.real.js). */
    namespace BrsSceneGraph {
        /** roSGScreen; `getNewEvents` is its message-port callback (private in the package's typings). */
        interface Screen {
            /** Frame interval in ms (1000 / maxFps): the callback spins until it has passed. */
            maxMs: number;
            isDirty: boolean;
            getNewEvents(this: Screen, interpreter: BrsEngine.Interpreter | undefined, wait?: number): BrsEngine.Event[];
        }

        /** A Task node; `makeDirty` (private in the package's typings) runs on every field change. */
        interface TaskNode {
            /** Tells the Task's setValue to send the change to the other thread. */
            changed: boolean;
            makeDirty(this: TaskNode): void;
        }

        interface Exports {
            readonly RoSGScreen: { readonly prototype: Screen };
            readonly Task: { readonly prototype: TaskNode };
            readonly sgRoot: {
                readonly scene: object | undefined;
                /** Applies each Task's pending update from another thread; true when one was applied. */
                processTasks(): boolean;
            };
        }
    }

    /** The run's device rules, set by sim-worker.js from /sim-worker.json. */
    type SimDeviceRules = Partial<DeviceRuleSet>;

    var brsEngine: BrsEngine.Exports | undefined;
    var __simDeviceRules: SimDeviceRules | undefined;
}
