// `npm run lint` step: the channel may only call Roku's documented BrightScript API
// (tools/lint/roku-api.json) or functions it defines itself, and nothing it uses may need a newer
// Roku OS than the manifest declares (ytsabr_minimum_os). Uses the brighterscript compiler's AST.
import { readFileSync, existsSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import {
    Parser,
    ParseMode,
    Program,
    TokenKind,
    WalkMode,
    createVisitor,
    isBinaryExpression,
    isBrsFile,
    isCallExpression,
    isClassStatement,
    isDottedGetExpression,
    isFunctionExpression,
    isIfStatement,
    isLiteralExpression,
    isNamespaceStatement,
    isNewExpression,
    isVariableExpression,
    isXmlFile,
} from "brighterscript";
import type {
    AstNode,
    Body,
    CallExpression,
    CallfuncExpression,
    Expression,
    FunctionExpression,
    NamespaceStatement,
    NewExpression,
    Token,
} from "brighterscript";
import { findFiles } from "../test/find-files.ts";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const DEFAULT_API_PATH = join(REPO_ROOT, "tools/lint/roku-api.json");
export const MINIMUM_OS_KEY = "ytsabr_minimum_os";

export interface ApiEntry {
    name: string;
    minimumOs: string | null;
    url: string;
    note?: string;
}
export interface MethodEntry extends ApiEntry {
    interface: string;
}
export interface ComponentEntry extends ApiEntry {
    kind: "component" | "event";
    interfaces: string[];
    events: string[];
}
export interface FeatureEntry extends ApiEntry {
    id: string;
    detects: string;
}
export interface RokuApi {
    about: string;
    globalFunctions: ApiEntry[];
    components: ComponentEntry[];
    interfaces: ApiEntry[];
    methods: MethodEntry[];
    languageFeatures: FeatureEntry[];
    sceneGraphScope: (ApiEntry & { type: string })[];
}

export interface Finding {
    file: string;
    line: number;
    col: number;
    name: string;
    kind: "undocumented" | "minimum-os" | "manifest";
    message: string;
}

/** One use of a documented entry, for the minimum-OS check and the report. */
interface Use {
    file: string;
    line: number;
    col: number;
    /** How the source spells it, e.g. `m.top.findNode` or `LongInteger`. */
    name: string;
    /** The entry it needs, e.g. `ifSGNodeDict.findNode`, with that entry's effective minimum OS. */
    entry: string;
    minimumOs: string | null;
    url: string;
    /** The Roku OS an enclosing `if ...osAtLeast("X.Y")` guarantees (null: not guarded). */
    guardedBy: string | null;
}

export interface CheckResult {
    /** Calls checked: global calls, method calls, CreateObject and callFunc. */
    calls: number;
    /** Uses of versioned language features (LongInteger, ++, +=, ?.). */
    features: number;
    findings: Finding[];
    declaredMinimumOs: string | null;
    /** The highest minimum OS among the documented entries used, and the first use that needs it. */
    required: { minimumOs: string; entry: string; at: string } | null;
    /** Every documented entry the channel uses, with how often and its minimum OS. */
    entriesUsed: { entry: string; minimumOs: string | null; uses: number; url: string }[];
}

export interface CheckOptions {
    /** The channel project: `src/` (pkg:/source), `components/` and `manifest` under it. */
    root: string;
    apiPath?: string;
    /** Defaults to `<root>/manifest`. */
    manifestPath?: string;
}

// ---------------------------------------------------------------------------------------------
// The API list

interface ApiIndex {
    label: string;
    globals: Map<string, ApiEntry>;
    components: Map<string, ComponentEntry>;
    interfaces: Map<string, ApiEntry>;
    methodsByName: Map<string, MethodEntry[]>;
    /** lower-case interface (or event) name -> lower-case method name -> entry */
    methodsByInterface: Map<string, Map<string, MethodEntry>>;
    features: Map<string, FeatureEntry>;
    /** `m.top` / `m.global` -> lower-case component name. */
    scope: Map<string, string>;
}

function byLowerName<T extends { name: string }>(entries: T[]): Map<string, T> {
    return new Map(entries.map((e) => [e.name.toLowerCase(), e]));
}

export function loadApi(apiPath: string): RokuApi {
    return JSON.parse(readFileSync(apiPath, "utf8")) as RokuApi;
}

function indexApi(api: RokuApi, label: string): ApiIndex {
    const methodsByName = new Map<string, MethodEntry[]>();
    const methodsByInterface = new Map<string, Map<string, MethodEntry>>();
    for (const m of api.methods) {
        const key = m.name.toLowerCase();
        methodsByName.set(key, [...(methodsByName.get(key) ?? []), m]);
        const iface = m.interface.toLowerCase();
        if (!methodsByInterface.has(iface)) methodsByInterface.set(iface, new Map());
        methodsByInterface.get(iface)!.set(key, m);
    }
    return {
        label,
        globals: byLowerName(api.globalFunctions),
        components: byLowerName(api.components),
        interfaces: byLowerName(api.interfaces),
        methodsByName,
        methodsByInterface,
        features: new Map(api.languageFeatures.map((f) => [f.id, f])),
        scope: new Map(api.sceneGraphScope.map((s) => [s.name.toLowerCase(), s.type.toLowerCase()])),
    };
}

// ---------------------------------------------------------------------------------------------
// Roku OS versions ("10.5"); null means the documentation names no first version.

export function compareVersions(a: string, b: string): number {
    const pa = a.split(".").map(Number);
    const pb = b.split(".").map(Number);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
        const d = (pa[i] ?? 0) - (pb[i] ?? 0);
        if (d !== 0) return d;
    }
    return 0;
}

function maxVersion(...versions: (string | null)[]): string | null {
    let best: string | null = null;
    for (const v of versions) if (v !== null && (best === null || compareVersions(v, best) > 0)) best = v;
    return best;
}

/** The manifest's declared minimum Roku OS, or null when the key is missing. */
export function readDeclaredMinimumOs(manifestPath: string): string | null {
    if (!existsSync(manifestPath)) return null;
    for (const line of readFileSync(manifestPath, "utf8").split(/\r?\n/)) {
        const m = /^\s*([^#=\s]+)\s*=\s*(.*?)\s*$/.exec(line);
        if (m && m[1] === MINIMUM_OS_KEY) return m[2] ?? null;
    }
    return null;
}

// ---------------------------------------------------------------------------------------------
// The channel's sources, parsed by brighterscript

interface SourceUnit {
    /** Path relative to the project root, for messages. */
    file: string;
    ast: Body;
    tokens: Token[];
}

function channelFiles(root: string): string[] {
    const src = join(root, "src");
    const components = join(root, "components");
    return [
        ...findFiles(src, ".bs"),
        ...findFiles(src, ".brs"),
        ...findFiles(components, ".bs"),
        ...findFiles(components, ".brs"),
        ...findFiles(components, ".xml"),
    ];
}

/** Where bsc puts a file in the package (src/ is pkg:/source, as in bsconfig.json). */
function packagePath(root: string, abs: string): string {
    const rel = relative(root, abs).split(sep).join("/");
    return rel.startsWith("src/") ? `source/${rel.slice(4)}` : rel;
}

/** Inline `<script>` CDATA, parsed with its position in the XML kept. */
function inlineScripts(xmlFile: ReturnType<Program["getFile"]>, file: string): SourceUnit[] {
    if (!isXmlFile(xmlFile)) return [];
    const units: SourceUnit[] = [];
    for (const script of xmlFile.ast.component?.scripts ?? []) {
        const cdata = script.cdata;
        if (!cdata?.range || cdata.text.trim() === "") continue;
        const body = cdata.text.replace(/^<!\[CDATA\[/, "         ").replace(/\]\]>$/, "");
        // Pad so that line and column numbers match the XML file.
        const padded = "\n".repeat(cdata.range.start.line) + " ".repeat(cdata.range.start.character) + body;
        const parser = Parser.parse(padded, { mode: ParseMode.BrighterScript });
        parser.ast.link();
        units.push({ file, ast: parser.ast, tokens: parser.tokens });
    }
    return units;
}

interface Parsed {
    units: SourceUnit[];
    /** Lower-case names of `<function>`s declared in components' `<interface>` (callFunc-able). */
    interfaceFunctions: Set<string>;
}

function parseChannel(root: string): Parsed {
    const program = new Program({ rootDir: root });
    const units: SourceUnit[] = [];
    const interfaceFunctions = new Set<string>();
    for (const abs of channelFiles(root)) {
        const file = relative(root, abs).split(sep).join("/");
        const parsed = program.setFile({ src: abs, dest: packagePath(root, abs) }, readFileSync(abs, "utf8"));
        if (isBrsFile(parsed)) {
            parsed.ast.link();
            units.push({ file, ast: parsed.ast, tokens: parsed.parser.tokens });
        } else if (isXmlFile(parsed)) {
            for (const fn of parsed.ast.component?.api?.functions ?? []) interfaceFunctions.add(fn.name.toLowerCase());
            units.push(...inlineScripts(parsed, file));
        }
    }
    program.dispose();
    return { units, interfaceFunctions };
}

// ---------------------------------------------------------------------------------------------
// What the project defines itself

interface ProjectDefinitions {
    /** Full lower-case names of functions: `main`, `sabr.ensuredirectory`. */
    functions: Set<string>;
    /** Last segment of every function, class method and function-valued member: callable as `x.name()`. */
    memberNames: Set<string>;
    namespaces: Set<string>;
    /** Full lower-case class names. */
    classes: Set<string>;
    interfaceFunctions: Set<string>;
}

function namespaceOf(node: AstNode): string {
    return node.findAncestor<NamespaceStatement>(isNamespaceStatement)?.getName(ParseMode.BrighterScript).toLowerCase() ?? "";
}

function addNamespace(defs: ProjectDefinitions, name: string): void {
    const parts = name.toLowerCase().split(".");
    for (let i = 1; i <= parts.length; i++) defs.namespaces.add(parts.slice(0, i).join("."));
}

function collectDefinitions(units: SourceUnit[], interfaceFunctions: Set<string>): ProjectDefinitions {
    const defs: ProjectDefinitions = {
        functions: new Set(),
        memberNames: new Set(),
        namespaces: new Set(),
        classes: new Set(),
        interfaceFunctions,
    };
    const visitor = createVisitor({
        FunctionStatement: (fn) => {
            defs.functions.add(fn.getName(ParseMode.BrighterScript).toLowerCase());
            defs.memberNames.add(fn.name.text.toLowerCase());
        },
        MethodStatement: (method) => {
            defs.memberNames.add(method.name.text.toLowerCase());
        },
        // `private handler as function` holds a function reference: `m.handler()` calls it.
        FieldStatement: (field) => {
            if (field.name && (field.type?.text.toLowerCase() === "function" || isFunctionExpression(field.initialValue))) {
                defs.memberNames.add(field.name.text.toLowerCase());
            }
        },
        ClassStatement: (cls) => {
            defs.classes.add(cls.getName(ParseMode.BrighterScript).toLowerCase());
        },
        NamespaceStatement: (ns) => addNamespace(defs, ns.getName(ParseMode.BrighterScript)),
        // `{ onDone: function() ... }` and `obj.onDone = function() ...` make `obj.onDone()` callable.
        AAMemberExpression: (member) => {
            if (isFunctionExpression(member.value)) defs.memberNames.add(member.keyToken.text.replace(/"/g, "").toLowerCase());
        },
        DottedSetStatement: (set) => {
            if (isFunctionExpression(set.value)) defs.memberNames.add(set.name.text.toLowerCase());
        },
    });
    for (const unit of units) unit.ast.walk(visitor, { walkMode: WalkMode.visitAllRecursive });
    for (const name of interfaceFunctions) defs.memberNames.add(name);
    return defs;
}

// ---------------------------------------------------------------------------------------------
// Checking calls

interface Checker {
    api: ApiIndex;
    defs: ProjectDefinitions;
    findings: Finding[];
    uses: Use[];
    calls: number;
    /** Local variable names per function (calling a function reference is not an API call). */
    locals: WeakMap<FunctionExpression, Set<string>>;
}

/** Anything with a source range: AST nodes and tokens. */
type Located = { range?: { start: { line: number; character: number } } };

function at(file: string, node: Located): { file: string; line: number; col: number } {
    const start = node.range?.start ?? { line: 0, character: 0 };
    return { file, line: start.line + 1, col: start.character + 1 };
}

function notDocumented(c: Checker, file: string, node: Located, name: string): void {
    c.findings.push({
        ...at(file, node),
        name,
        kind: "undocumented",
        message: `${name} is not in Roku's documented API (${c.api.label}) nor defined in the project`,
    });
}

/** `within`: the call the use belongs to, when `node` is one of its tokens (tokens have no parent). */
function use(
    c: Checker,
    file: string,
    node: Located,
    name: string,
    entry: string,
    minimumOs: string | null,
    url: string,
    within?: AstNode,
): void {
    const owner = within ?? ("parent" in node ? (node as AstNode) : undefined);
    const guardedBy = owner ? guardOf(owner) : null;
    c.uses.push({ ...at(file, node), name, entry, minimumOs, url, guardedBy });
}

// A call that needs a newer Roku OS than the channel's minimum is allowed inside the then-branch of
// `if <ns>.osAtLeast("X.Y")` (alone or joined by `and`): the channel checks the device first.

/** The highest OS version the `if` statements around `node` guarantee, or null. */
function guardOf(node: AstNode): string | null {
    let guarded: string | null = null;
    let child: AstNode = node;
    for (let parent = node.parent; parent; child = parent, parent = parent.parent) {
        if (isIfStatement(parent) && child === parent.thenBranch) guarded = maxVersion(guarded, osGuardIn(parent.condition));
    }
    return guarded;
}

function osGuardIn(condition: Expression): string | null {
    if (isBinaryExpression(condition) && condition.operator.kind === TokenKind.And) {
        return maxVersion(osGuardIn(condition.left), osGuardIn(condition.right));
    }
    if (!isCallExpression(condition)) return null;
    const names = dottedNames(condition.callee);
    const version = stringLiteral(condition.args[0]);
    if (names?.at(-1)?.toLowerCase() !== "osatleast" || !version || !/^\d+\.\d+$/.test(version)) return null;
    return version;
}

function localsOf(c: Checker, fn: FunctionExpression): Set<string> {
    let names = c.locals.get(fn);
    if (!names) {
        const found = new Set(fn.parameters.map((p) => p.name.text.toLowerCase()));
        fn.body.walk(
            createVisitor({
                AssignmentStatement: (a) => void found.add(a.name.text.toLowerCase()),
                ForEachStatement: (f) => void found.add(f.item.text.toLowerCase()),
            }),
            { walkMode: WalkMode.visitStatementsRecursive },
        );
        names = found;
        c.locals.set(fn, names);
    }
    return names;
}

function isLocal(c: Checker, node: AstNode, name: string): boolean {
    const fn = node.findAncestor<FunctionExpression>(isFunctionExpression);
    return fn !== undefined && localsOf(c, fn).has(name.toLowerCase());
}

/** `a.b.c` as ["a", "b", "c"] when the expression is only names and dots, else undefined. */
function dottedNames(expr: Expression): string[] | undefined {
    if (isVariableExpression(expr)) return [expr.name.text];
    if (isDottedGetExpression(expr)) {
        const left = dottedNames(expr.obj);
        return left ? [...left, expr.name.text] : undefined;
    }
    return undefined;
}

/** A name resolved the way BrighterScript does inside a namespace: innermost namespace first. */
function resolvesTo(names: Set<string>, namespace: string, name: string): boolean {
    const lower = name.toLowerCase();
    const parts = namespace === "" ? [] : namespace.split(".");
    for (let i = parts.length; i >= 0; i--) {
        const prefix = parts.slice(0, i).join(".");
        if (names.has(prefix === "" ? lower : `${prefix}.${lower}`)) return true;
    }
    return false;
}

function stringLiteral(expr: Expression | undefined): string | undefined {
    if (!isLiteralExpression(expr) || expr.token.kind !== TokenKind.StringLiteral) return undefined;
    return expr.token.text.replace(/^"|"$/g, "").replace(/""/g, '"');
}

function checkCreateObject(c: Checker, file: string, call: CallExpression): void {
    const name = stringLiteral(call.args[0]);
    if (name === undefined) return; // a computed class name cannot be checked statically
    const component = c.api.components.get(name.toLowerCase());
    if (!component || component.kind !== "component") {
        notDocumented(c, file, call.args[0]!, `CreateObject("${name}")`);
        return;
    }
    use(c, file, call.args[0]!, `CreateObject("${name}")`, component.name, component.minimumOs, component.url);
}

function checkGetInterface(c: Checker, file: string, call: CallExpression): void {
    const name = stringLiteral(call.args[1]);
    if (name === undefined) return;
    const iface = c.api.interfaces.get(name.toLowerCase());
    if (!iface) {
        notDocumented(c, file, call.args[1]!, `GetInterface(..., "${name}")`);
        return;
    }
    use(c, file, call.args[1]!, `GetInterface(..., "${name}")`, iface.name, iface.minimumOs, iface.url);
}

function checkGlobalCall(c: Checker, file: string, call: CallExpression, name: string): void {
    const namespace = namespaceOf(call);
    if (resolvesTo(c.defs.functions, namespace, name)) return;
    const entry = c.api.globals.get(name.toLowerCase());
    if (!entry) {
        notDocumented(c, file, call.callee, name);
        return;
    }
    use(c, file, call.callee, name, entry.name, entry.minimumOs, entry.url);
    if (entry.name === "CreateObject") checkCreateObject(c, file, call);
    if (entry.name === "GetInterface") checkGetInterface(c, file, call);
}

/** The component a receiver certainly is: `m.top`/`m.global` (outside classes) or `CreateObject("roX")`. */
function knownReceiver(c: Checker, obj: Expression): string | undefined {
    const scoped = c.api.scope.get(dottedNames(obj)?.join(".").toLowerCase() ?? "");
    if (scoped) return obj.findAncestor(isClassStatement) ? undefined : scoped; // in a class, m is the instance
    if (isCallExpression(obj) && isVariableExpression(obj.callee) && obj.callee.name.text.toLowerCase() === "createobject") {
        return stringLiteral(obj.args[0])?.toLowerCase();
    }
    return undefined;
}

function methodOfComponent(c: Checker, component: ComponentEntry, method: string): MethodEntry | undefined {
    for (const iface of component.interfaces) {
        const entry = c.api.methodsByInterface.get(iface.toLowerCase())?.get(method.toLowerCase());
        if (entry) return entry;
    }
    return undefined;
}

function effectiveMinimum(c: Checker, method: MethodEntry, component?: ComponentEntry): string | null {
    const iface = c.api.interfaces.get(method.interface.toLowerCase()) ?? c.api.components.get(method.interface.toLowerCase());
    return maxVersion(method.minimumOs, iface?.minimumOs ?? null, component?.minimumOs ?? null);
}

function checkKnownReceiverCall(
    c: Checker,
    file: string,
    node: Located,
    componentName: string,
    method: string,
    spelled: string,
    call?: AstNode,
): boolean {
    const component = c.api.components.get(componentName);
    if (!component) return false; // CreateObject of an unknown class is reported on its own
    const entry = methodOfComponent(c, component, method);
    if (!entry) {
        c.findings.push({
            ...at(file, node),
            name: spelled,
            kind: "undocumented",
            message: `${spelled}: ${method} is not a method of ${component.name} in Roku's documented API (${c.api.label})`,
        });
        return true;
    }
    use(c, file, node, spelled, `${entry.interface}.${entry.name}`, effectiveMinimum(c, entry, component), entry.url, call);
    return true;
}

function checkCallFuncName(c: Checker, file: string, node: Located, name: string): void {
    if (c.defs.interfaceFunctions.has(name.toLowerCase())) return;
    c.findings.push({
        ...at(file, node),
        name: `callFunc("${name}")`,
        kind: "undocumented",
        message: `callFunc("${name}"): ${name} is not a <function> in any component's <interface>`,
    });
}

function checkMethodCall(c: Checker, file: string, call: CallExpression): void {
    if (!isDottedGetExpression(call.callee)) return;
    const callee = call.callee;
    const method = callee.name.text;
    const chain = dottedNames(callee);
    // `Ns.fn()` is a namespace function, not a method.
    if (chain && chain.length > 1 && c.defs.namespaces.has(chain.slice(0, -1).join(".").toLowerCase()) && !isLocal(c, call, chain[0]!)) {
        if (!c.defs.functions.has(chain.join(".").toLowerCase())) notDocumented(c, file, callee.name, chain.join("."));
        return;
    }
    if (method.toLowerCase() === "callfunc") {
        const target = stringLiteral(call.args[0]);
        if (target !== undefined) checkCallFuncName(c, file, call.args[0]!, target);
    }
    const spelled = chain ? chain.join(".") : `.${method}`;
    const receiver = knownReceiver(c, callee.obj);
    if (receiver && checkKnownReceiverCall(c, file, callee.name, receiver, method, spelled, call)) return;
    if (c.defs.memberNames.has(method.toLowerCase())) return;
    const candidates = c.api.methodsByName.get(method.toLowerCase());
    if (!candidates) {
        notDocumented(c, file, callee.name, method);
        return;
    }
    // The receiver is unknown: the call needs only the least demanding documented method of that name.
    const ranked = candidates
        .map((m) => ({ m, os: effectiveMinimum(c, m) }))
        .sort((a, b) => (a.os === null ? -1 : b.os === null ? 1 : compareVersions(a.os, b.os)));
    const best = ranked[0]!;
    const tied = ranked.filter((r) => r.os === best.os).map((r) => r.m.interface);
    const entry = tied.length === 1 ? `${best.m.interface}.${best.m.name}` : `${best.m.name} (${[...new Set(tied)].sort().join(", ")})`;
    use(c, file, callee.name, spelled, entry, best.os, best.m.url, call);
}

function checkNew(c: Checker, file: string, expr: NewExpression): void {
    c.calls++;
    const name = expr.className.getName(ParseMode.BrighterScript);
    if (!resolvesTo(c.defs.classes, namespaceOf(expr), name)) notDocumented(c, file, expr.className, `new ${name}`);
}

function checkCall(c: Checker, file: string, call: CallExpression): void {
    if (isNewExpression(call.parent)) return; // checked as a class instantiation
    const callee = call.callee;
    if (isVariableExpression(callee)) {
        const name = callee.name.text;
        // `super()` in a constructor, or a variable holding a function reference.
        if (name.toLowerCase() === "super" || isLocal(c, call, name)) return;
        c.calls++;
        checkGlobalCall(c, file, call, name);
    } else if (isDottedGetExpression(callee)) {
        c.calls++;
        checkMethodCall(c, file, call);
    }
    // Other callees (`handlers[key]()`, `(f)()`) call function references, not API methods.
}

function checkCallfunc(c: Checker, file: string, expr: CallfuncExpression): void {
    c.calls++;
    checkCallFuncName(c, file, expr.methodName, expr.methodName.text);
}

// ---------------------------------------------------------------------------------------------
// Language features with a documented first Roku OS (bsc passes all of these through unchanged)

const FEATURE_TOKENS: Record<string, TokenKind[]> = {
    longinteger: [TokenKind.LongIntegerLiteral, TokenKind.LongInteger],
    increment: [TokenKind.PlusPlus, TokenKind.MinusMinus],
    "compound-assignment": [
        TokenKind.PlusEqual,
        TokenKind.MinusEqual,
        TokenKind.StarEqual,
        TokenKind.ForwardslashEqual,
        TokenKind.BackslashEqual,
        TokenKind.LeftShiftEqual,
        TokenKind.RightShiftEqual,
    ],
    "optional-chaining": [TokenKind.QuestionDot, TokenKind.QuestionLeftSquare, TokenKind.QuestionLeftParen, TokenKind.QuestionAt],
};

function featureOf(token: Token): string | undefined {
    if (token.kind === TokenKind.Identifier && token.text.endsWith("&")) return "longinteger"; // `id&` type suffix
    for (const [id, kinds] of Object.entries(FEATURE_TOKENS)) if (kinds.includes(token.kind)) return id;
    return undefined;
}

function checkFeatures(c: Checker, unit: SourceUnit): number {
    let count = 0;
    for (const token of unit.tokens) {
        const id = featureOf(token);
        const feature = id === undefined ? undefined : c.api.features.get(id);
        if (!feature) continue;
        count++;
        use(c, unit.file, token, `${feature.name} (${token.text})`, feature.name, feature.minimumOs, feature.url);
    }
    return count;
}

// ---------------------------------------------------------------------------------------------
// Minimum OS

function checkMinimumOs(c: Checker, declared: string | null, manifestLabel: string): CheckResult["required"] {
    let required: CheckResult["required"] = null;
    for (const u of c.uses) {
        if (u.minimumOs === null) continue;
        if (u.guardedBy !== null && compareVersions(u.guardedBy, u.minimumOs) >= 0) continue;
        if (!required || compareVersions(u.minimumOs, required.minimumOs) > 0) {
            required = { minimumOs: u.minimumOs, entry: u.entry, at: `${u.file}:${u.line}:${u.col}` };
        }
        if (declared !== null && compareVersions(u.minimumOs, declared) > 0) {
            c.findings.push({
                file: u.file,
                line: u.line,
                col: u.col,
                name: u.name,
                kind: "minimum-os",
                message: `${u.name} needs Roku OS ${u.minimumOs} (${u.entry}, ${u.url}), above the channel's declared minimum ${declared} (${manifestLabel} ${MINIMUM_OS_KEY})`,
            });
        }
    }
    return required;
}

function validVersion(v: string | null): boolean {
    return v !== null && /^\d+(\.\d+)*$/.test(v);
}

/** Checks the channel under `options.root` against the API list. */
export function checkProject(options: CheckOptions): CheckResult {
    const root = resolve(options.root);
    const apiPath = resolve(options.apiPath ?? DEFAULT_API_PATH);
    const manifestPath = resolve(options.manifestPath ?? join(root, "manifest"));
    const label = relative(REPO_ROOT, apiPath).startsWith("..") ? apiPath : relative(REPO_ROOT, apiPath).split(sep).join("/");
    const { units, interfaceFunctions } = parseChannel(root);
    const c: Checker = {
        api: indexApi(loadApi(apiPath), label),
        defs: collectDefinitions(units, interfaceFunctions),
        findings: [],
        uses: [],
        calls: 0,
        locals: new WeakMap(),
    };
    let features = 0;
    for (const unit of units) {
        unit.ast.walk(
            createVisitor({
                CallExpression: (call) => checkCall(c, unit.file, call),
                NewExpression: (expr) => checkNew(c, unit.file, expr),
                CallfuncExpression: (expr) => checkCallfunc(c, unit.file, expr),
            }),
            { walkMode: WalkMode.visitAllRecursive },
        );
        features += checkFeatures(c, unit);
    }
    const manifestLabel = relative(root, manifestPath).split(sep).join("/") || manifestPath;
    const declared = readDeclaredMinimumOs(manifestPath);
    if (!validVersion(declared)) {
        c.findings.push({
            file: manifestLabel,
            line: 1,
            col: 1,
            name: MINIMUM_OS_KEY,
            kind: "manifest",
            message: `${MINIMUM_OS_KEY} must declare the channel's minimum Roku OS as a version such as 7.1 (found ${declared === null ? "nothing" : JSON.stringify(declared)})`,
        });
    }
    const required = checkMinimumOs(c, validVersion(declared) ? declared : null, manifestLabel);
    c.findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
    return { calls: c.calls, features, findings: c.findings, declaredMinimumOs: declared, required, entriesUsed: tally(c.uses) };
}

function tally(uses: Use[]): CheckResult["entriesUsed"] {
    const byEntry = new Map<string, CheckResult["entriesUsed"][number]>();
    for (const u of uses) {
        const seen = byEntry.get(u.entry);
        if (seen) seen.uses++;
        else byEntry.set(u.entry, { entry: u.entry, minimumOs: u.minimumOs, uses: 1, url: u.url });
    }
    return [...byEntry.values()].sort((a, b) => a.entry.localeCompare(b.entry));
}

// ---------------------------------------------------------------------------------------------
// Command line

const HELP = `Usage: tsx tools/lint/roku-api-check.ts [options]

Checks that the channel (src/**/*.bs -> pkg:/source, components/**/*.{bs,xml}; not tests) only calls
Roku's documented BrightScript API, listed with minimum Roku OS versions and documentation links in
tools/lint/roku-api.json, or functions the project defines itself; and that nothing it uses needs a
newer Roku OS than the manifest's ${MINIMUM_OS_KEY}. Checked: every CreateObject("roX") literal,
every global function call, every method call obj.Name(...) (Name must be a method of some documented
interface, or of the receiver's component when that is certain: m.top, m.global, CreateObject(...)),
GetInterface(x, "ifY") names, callFunc targets, and language features with a documented first OS
(LongInteger, ++/--, +=, optional chaining).

Options:
  --root <dir>       the channel project (default: this repository)
  --api <file>       the API list (default: tools/lint/roku-api.json)
  --manifest <file>  the manifest holding ${MINIMUM_OS_KEY} (default: <root>/manifest)
  --json             print the result as JSON instead of text
  --uses             also list every documented entry the channel uses, with its minimum OS
  --help             show this help

Exit code 1 on any finding (file:line:col: message), 0 otherwise. The last line of text output is
"roku-api: N calls checked, M findings".`;

interface CliArgs extends CheckOptions {
    json: boolean;
    uses: boolean;
    help: boolean;
}

function parseArgs(argv: string[]): CliArgs {
    const args: CliArgs = { root: REPO_ROOT, json: false, uses: false, help: false };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const value = (): string => {
            const v = argv[++i];
            if (v === undefined) throw new Error(`${arg} needs a value`);
            return v;
        };
        if (arg === "--root") args.root = value();
        else if (arg === "--api") args.apiPath = value();
        else if (arg === "--manifest") args.manifestPath = value();
        else if (arg === "--json") args.json = true;
        else if (arg === "--uses") args.uses = true;
        else if (arg === "--help" || arg === "-h") args.help = true;
        else throw new Error(`unknown option ${arg} (see --help)`);
    }
    return args;
}

export function summaryLine(result: CheckResult): string {
    return `roku-api: ${result.calls} calls checked, ${result.findings.length} findings`;
}

function printText(result: CheckResult, listUses: boolean): void {
    if (listUses) {
        for (const e of result.entriesUsed) console.log(`${e.entry}\t${e.minimumOs ?? "-"}\t${e.uses}\t${e.url}`);
    }
    for (const f of result.findings) console.log(`${f.file}:${f.line}:${f.col}: ${f.message}`);
    const needs = result.required
        ? `Roku OS ${result.required.minimumOs} (${result.required.entry}, first at ${result.required.at})`
        : "no versioned entry";
    console.log(
        `roku-api: ${result.features} versioned language feature uses; the channel needs ${needs}; manifest declares ${result.declaredMinimumOs ?? "nothing"}`,
    );
    console.log(summaryLine(result));
}

function main(argv: string[]): number {
    let args: CliArgs;
    try {
        args = parseArgs(argv);
    } catch (error) {
        console.error(`roku-api: ${(error as Error).message}`);
        return 2;
    }
    if (args.help) {
        console.log(HELP);
        return 0;
    }
    const result = checkProject(args);
    if (args.json) console.log(JSON.stringify(result, null, 2));
    else printText(result, args.uses);
    return result.findings.length > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    process.exitCode = main(process.argv.slice(2));
}
