// Emits the task message enums, interfaces, constructors and validators
// (src/shared/messages/generated/Messages.bs) from contracts.ts, following the rules in its header comment.
import { Node, Project, SyntaxKind, type InterfaceDeclaration, type SourceFile, type TypeNode } from "ts-morph";

export const MESSAGES_FILE = "src/shared/messages/generated/Messages.bs";
export const CONTRACTS_FILE = "tools/messages/contracts.ts";
const NS = "Messages";

/** What a field holds: a scalar kind, an enum or interface of the contracts file, or a list of one of those. */
type Kind = "Int" | "Long" | "String" | "Base64" | "Boolean" | "Record" | { struct: string } | { enum: string };

/** A type alias of string literals: a BrightScript enum. */
interface EnumType {
    name: string;
    doc: string;
    values: string[];
}

interface Field {
    name: string;
    kind: Kind;
    list: boolean;
    optional: boolean;
}

interface Structure {
    name: string;
    doc: string;
    /** The literal `type` of a message ("" for the shared structures). */
    messageType: string;
    fields: Field[];
}

const ALIASES: Record<string, Kind> = { Int: "Int", Long: "Long", Base64: "Base64" };
/** The enum of every message's `type`, generated from the messages themselves. */
const MESSAGE_TYPE_ENUM = "MessageType";
const RULES = "Int, Long, Base64, string, boolean, an enum or interface of contracts.ts, T[] of one of those, or Record<string, unknown>";

/** Contract declarations the field types may name. */
interface Declarations {
    interfaces: Map<string, InterfaceDeclaration>;
    enums: Map<string, EnumType>;
}

interface Contracts {
    enums: EnumType[];
    messages: Structure[];
    structures: Structure[];
}

/** The generated Messages.bs for contracts.ts, or for `source` (contract text) when given. */
export function emitMessages(source?: string): string {
    const project = new Project({ useInMemoryFileSystem: source !== undefined, skipAddingFilesFromTsConfig: true });
    const file = source === undefined ? project.addSourceFileAtPath(CONTRACTS_FILE) : project.createSourceFile("contracts.ts", source);
    return emit(readContracts(file));
}

function readContracts(file: SourceFile): Contracts {
    const names = messageTypeNames(file);
    const interfaces = new Map(file.getInterfaces().map((i) => [i.getName(), i]));
    const enums = new Map(readEnums(file).map((e) => [e.name, e]));
    const declarations: Declarations = { interfaces, enums };
    if (enums.has(MESSAGE_TYPE_ENUM) || interfaces.has(MESSAGE_TYPE_ENUM)) {
        throw new Error(`contracts.ts: ${MESSAGE_TYPE_ENUM} is the generated enum of message types; use another name`);
    }
    for (const name of names) {
        if (!interfaces.has(name)) throw new Error(`contracts.ts: MESSAGE_TYPES lists ${name}, which is not an interface of the file`);
    }
    // Every interface a message reaches, in file order, so validators read like the contracts.
    const reached = new Set<string>();
    const visit = (name: string): void => {
        if (reached.has(name)) return;
        reached.add(name);
        for (const field of readStructure(interfaces.get(name)!, declarations, names.includes(name)).fields) {
            if (typeof field.kind === "object" && "struct" in field.kind) visit(field.kind.struct);
        }
    };
    names.forEach(visit);
    const structures = [...interfaces.keys()]
        .filter((n) => reached.has(n))
        .map((n) => readStructure(interfaces.get(n)!, declarations, names.includes(n)));
    const messages = names.map((n) => structures.find((s) => s.name === n)!);
    return { enums: [...enums.values()], messages, structures };
}

/** Type aliases whose type is a union of string literals (a lone literal counts too). */
function readEnums(file: SourceFile): EnumType[] {
    const enums: EnumType[] = [];
    for (const alias of file.getTypeAliases()) {
        const node = alias.getTypeNode();
        const members = node && Node.isUnionTypeNode(node) ? node.getTypeNodes() : node ? [node] : [];
        const values = members.map((member) => {
            const literal = Node.isLiteralTypeNode(member) ? member.getLiteral() : undefined;
            return literal && Node.isStringLiteral(literal) ? literal.getLiteralValue() : undefined;
        });
        if (values.length === 0 || values.some((value) => value === undefined)) continue;
        const doc = alias
            .getJsDocs()
            .map((d) => d.getDescription())
            .join(" ")
            .replace(/\s+/g, " ")
            .trim();
        enums.push({ name: alias.getName(), doc, values: values as string[] });
    }
    return enums;
}

function messageTypeNames(file: SourceFile): string[] {
    const declaration = file.getVariableDeclaration("MESSAGE_TYPES");
    let init: Node | undefined = declaration?.getInitializer();
    if (init && Node.isAsExpression(init)) init = init.getExpression();
    if (!init || !Node.isArrayLiteralExpression(init))
        throw new Error("contracts.ts: MESSAGE_TYPES must be an array literal of interface names");
    return init.getElements().map((e) => {
        if (!Node.isStringLiteral(e)) throw new Error(`contracts.ts: MESSAGE_TYPES holds ${e.getText()}, not a string literal`);
        return e.getLiteralValue();
    });
}

function readStructure(decl: InterfaceDeclaration, declarations: Declarations, isMessage: boolean): Structure {
    const name = decl.getName();
    let messageType = "";
    const fields: Field[] = [];
    for (const prop of decl.getProperties()) {
        const fieldName = prop.getName();
        const typeNode = prop.getTypeNode();
        const where = `contracts.ts: ${name}.${fieldName}`;
        if (!typeNode) throw new Error(`${where} has no type`);
        if (isMessage && fieldName === "type") {
            const literal = Node.isLiteralTypeNode(typeNode) ? typeNode.getLiteral() : undefined;
            if (!literal || !Node.isStringLiteral(literal)) throw new Error(`${where} must be a string literal (the message type)`);
            messageType = literal.getLiteralValue();
            continue;
        }
        let element: TypeNode = typeNode;
        let list = false;
        if (Node.isArrayTypeNode(typeNode)) {
            element = typeNode.getElementTypeNode();
            list = true;
        }
        const kind = kindOf(element, declarations);
        if (!kind || (list && kind === "Record")) {
            throw new Error(`${where} has type "${typeNode.getText()}", which the message rules do not allow (${RULES})`);
        }
        fields.push({ name: fieldName, kind, list, optional: prop.hasQuestionToken() });
    }
    if (isMessage && messageType === "") throw new Error(`contracts.ts: message ${name} has no literal type field`);
    const doc = decl
        .getJsDocs()
        .map((d) => d.getDescription())
        .join(" ")
        .replace(/\s+/g, " ")
        .trim();
    return { name, doc, messageType, fields };
}

function kindOf(node: TypeNode, { interfaces, enums }: Declarations): Kind | undefined {
    if (node.getKind() === SyntaxKind.StringKeyword) return "String";
    if (node.getKind() === SyntaxKind.BooleanKeyword) return "Boolean";
    if (!Node.isTypeReference(node)) return undefined;
    const name = node.getTypeName().getText();
    const args = node.getTypeArguments().map((a) => a.getText());
    if (name === "Record") return args.join(",") === "string,unknown" ? "Record" : undefined;
    if (args.length > 0) return undefined;
    if (ALIASES[name]) return ALIASES[name];
    if (enums.has(name)) return { enum: name };
    return interfaces.has(name) ? { struct: name } : undefined;
}

/** The kind's own name: "Int", "FormatRef", "FetchOutcome", ... */
function baseName(kind: Kind): string {
    if (typeof kind === "string") return kind;
    return "struct" in kind ? kind.struct : kind.enum;
}

/** The kind as the generated code names it ("Int", "FormatRef", "Chunk[]", ...). */
function kindName(field: Field): string {
    return field.list ? `${baseName(field.kind)}[]` : baseName(field.kind);
}

function emit({ enums, messages, structures }: Contracts): string {
    const out: string[] = [
        "' GENERATED by tools/messages/generate-messages.ts (npm run generate) from tools/messages/contracts.ts. Do not edit.",
        `' ${NS}.newX(fields) builds a message; ${NS}.validate(msg) returns "" or "PATH: problem".`,
        `namespace ${NS}`,
        "",
    ];
    for (const e of enums) out.push(...emitEnum(e), "");
    out.push(...emitMessageTypes(messages), "");
    for (const s of structures) out.push(...emitInterface(s), "");
    for (const m of messages) out.push(...emitConstructor(m), "");
    out.push(...emitDispatch(messages), "", ...HAND_HELPERS, "");
    for (const s of structures) out.push(...emitValidator(s), "");
    out.push(...emitStructureDispatch(structures), "", ...emitEnumValues(enums), "", ...KIND_HELPERS, "end namespace", "");
    return out.join("\n");
}

/** An enum member's name: the value itself, "" as `none`. */
function memberName(value: string): string {
    return value === "" ? "none" : value;
}

function emitEnum(e: EnumType): string[] {
    return [
        ...(e.doc === "" ? [] : [`    ' ${e.doc}`]),
        `    enum ${e.name}`,
        ...e.values.map((value) => `        ${memberName(value)} = "${value}"`),
        `    end enum`,
    ];
}

/** Every message's literal `type` as one enum (Messages.MessageType.FETCH_RESULT), for receivers that dispatch on it. */
function emitMessageTypes(messages: Structure[]): string[] {
    return [
        `    ' The \`type\` of each message.`,
        `    enum ${MESSAGE_TYPE_ENUM}`,
        ...messages.map((m) => `        ${m.messageType} = "${m.messageType}"`),
        `    end enum`,
    ];
}

/** The BrighterScript type a field is declared with in the message's interface. */
function fieldType(field: Field): string {
    if (field.list) return "object";
    const kind = field.kind;
    if (typeof kind === "object") return "struct" in kind ? kind.struct : "string";
    return { Int: "integer", Long: "dynamic", String: "string", Base64: "string", Boolean: "boolean", Record: "object" }[kind];
}

function emitInterface(s: Structure): string[] {
    return [
        ...docLines(s),
        `    interface ${s.name}`,
        ...(s.messageType === "" ? [] : [`        type as string`]),
        ...s.fields.map((f) => `        ${f.name} as ${fieldType(f)}`),
        `    end interface`,
    ];
}

/** The values an enum accepts (validators check strings against them); invalid for other kinds. */
function emitEnumValues(enums: EnumType[]): string[] {
    const lines = [`    function enumValues(kind as string) as dynamic`];
    enums.forEach((e, i) => {
        lines.push(`        ${i === 0 ? "if" : "else if"} kind = "${e.name}"`);
        lines.push(`            return [${e.values.map((value) => `"${value}"`).join(", ")}]`);
    });
    if (enums.length > 0) lines.push(`        end if`);
    lines.push(`        return invalid`, `    end function`);
    return lines;
}

function docLines(s: Structure): string[] {
    return s.doc === "" ? [] : [`    ' ${s.doc}`];
}

function emitConstructor(m: Structure): string[] {
    return [
        ...docLines(m),
        `    function new${m.name}(fields as object) as ${NS}.${m.name}`,
        `        msg = { type: "${m.messageType}" }`,
        ...m.fields.map((f) => `        ${NS}.copyField(msg, fields, "${f.name}")`),
        `        return msg`,
        `    end function`,
    ];
}

function emitDispatch(messages: Structure[]): string[] {
    const lines = [
        `    ' "" when msg is a known message whose fields all have their declared kinds, else "PATH: problem".`,
        `    function validate(msg as dynamic) as string`,
        `        if type(msg) <> "roAssociativeArray"`,
        `            return "message: expected roAssociativeArray, got " + type(msg)`,
        `        end if`,
        `        kind = msg.type`,
        `        if not ${NS}.isString(kind)`,
        `            return "message.type: expected String, got " + type(kind)`,
        `        end if`,
    ];
    messages.forEach((m, i) => {
        lines.push(`        ${i === 0 ? "if" : "else if"} kind = "${m.messageType}"`);
        lines.push(`            return ${NS}.validate${m.name}(msg, "${m.messageType}")`);
    });
    if (messages.length > 0) lines.push(`        end if`);
    lines.push(`        return "message.type: unknown message type """ + kind + """"`, `    end function`);
    return lines;
}

function emitValidator(s: Structure): string[] {
    const lines = [...docLines(s), `    function validate${s.name}(msg as object, path as string) as string`];
    if (s.fields.length === 0) return [...lines, `        return ""`, `    end function`];
    s.fields.forEach((f, i) => {
        const check = f.optional ? "optionalFieldProblem" : "fieldProblem";
        const call = `${NS}.${check}(msg, path, "${f.name}", "${kindName(f)}")`;
        if (i === s.fields.length - 1) {
            lines.push(`        return ${call}`);
        } else {
            lines.push(`        problem = ${call}`, `        if problem <> ""`, `            return problem`, `        end if`);
        }
    });
    lines.push(`    end function`);
    return lines;
}

function emitStructureDispatch(structures: Structure[]): string[] {
    const lines = [
        `    ' Validates an associative array as the named interface of contracts.ts.`,
        `    function structureProblem(value as object, path as string, kind as string) as string`,
    ];
    structures.forEach((s, i) => {
        lines.push(`        ${i === 0 ? "if" : "else if"} kind = "${s.name}"`);
        lines.push(`            return ${NS}.validate${s.name}(value, path)`);
    });
    if (structures.length > 0) lines.push(`        end if`);
    lines.push(`        return path + ": no validator for " + kind`, `    end function`);
    return lines;
}

/** requestIdOf and error: what a receiver needs to answer a message it rejects. */
const HAND_HELPERS = [
    `    ' The message's requestId when it has an integer one, else -1.`,
    `    function requestIdOf(msg as dynamic) as integer`,
    `        if type(msg) <> "roAssociativeArray"`,
    `            return -1`,
    `        end if`,
    `        value = msg.requestId`,
    `        if ${NS}.isInt(value)`,
    `            return value`,
    `        end if`,
    `        return -1`,
    `    end function`,
    ``,
    `    ' The MESSAGE_ERROR that answers a rejected message.`,
    `    function error(received as dynamic, problem as string) as object`,
    `        receivedType = ""`,
    `        if type(received) = "roAssociativeArray"`,
    `            if ${NS}.isString(received.type)`,
    `                receivedType = received.type`,
    `            end if`,
    `        end if`,
    `        return ${NS}.newMessageError({ requestId: ${NS}.requestIdOf(received), receivedType: receivedType, error: problem })`,
    `    end function`,
    ``,
    `    ' Copies fields[key] under its exact (camelCase) name; an absent key stays absent.`,
    `    sub copyField(msg as object, fields as object, key as string)`,
    `        if fields = invalid`,
    `            return`,
    `        end if`,
    `        if fields.DoesExist(key)`,
    `            msg.AddReplace(key, fields.Lookup(key))`,
    `        end if`,
    `    end sub`,
];

/** Kind checks shared by the validators: type() names from brs-engine and from Roku (boxed forms). */
const KIND_HELPERS = [
    `    ' A required field: present (not invalid) and of its kind.`,
    `    function fieldProblem(msg as object, path as string, key as string, kind as string) as string`,
    `        value = ${NS}.fieldValue(msg, key)`,
    `        if ${NS}.isMissing(value)`,
    `            return path + "." + key + ": missing, expected " + kind`,
    `        end if`,
    `        return ${NS}.valueProblem(value, path + "." + key, kind)`,
    `    end function`,
    ``,
    `    ' An optional field: absent (or invalid), or of its kind.`,
    `    function optionalFieldProblem(msg as object, path as string, key as string, kind as string) as string`,
    `        value = ${NS}.fieldValue(msg, key)`,
    `        if ${NS}.isMissing(value)`,
    `            return ""`,
    `        end if`,
    `        return ${NS}.valueProblem(value, path + "." + key, kind)`,
    `    end function`,
    ``,
    `    ' kind is Int, Long, String, Base64, Boolean, Record, an enum or interface name, or any of those + "[]".`,
    `    function valueProblem(value as dynamic, path as string, kind as string) as string`,
    `        if Right(kind, 2) = "[]"`,
    `            return ${NS}.listProblem(value, path, Left(kind, Len(kind) - 2))`,
    `        end if`,
    `        ok = false`,
    `        if kind = "Int"`,
    `            ok = ${NS}.isInt(value)`,
    `        else if kind = "Long"`,
    `            ok = ${NS}.isLong(value)`,
    `        else if kind = "String" or kind = "Base64"`,
    `            ok = ${NS}.isString(value)`,
    `        else if ${NS}.enumValues(kind) <> invalid`,
    `            return ${NS}.enumProblem(value, path, kind)`,
    `        else if kind = "Boolean"`,
    `            ok = ${NS}.isBoolean(value)`,
    `        else if type(value) = "roAssociativeArray"`,
    `            if kind = "Record"`,
    `                return ""`,
    `            end if`,
    `            return ${NS}.structureProblem(value, path, kind)`,
    `        end if`,
    `        if ok`,
    `            return ""`,
    `        end if`,
    `        return path + ": expected " + kind + ", got " + type(value)`,
    `    end function`,
    ``,
    `    ' An enum field: one of its values (a string).`,
    `    function enumProblem(value as dynamic, path as string, kind as string) as string`,
    `        if not ${NS}.isString(value)`,
    `            return path + ": expected " + kind + ", got " + type(value)`,
    `        end if`,
    `        for each allowed in ${NS}.enumValues(kind)`,
    `            if value = allowed`,
    `                return ""`,
    `            end if`,
    `        end for`,
    `        return path + ": expected " + kind + ", got """ + value + """"`,
    `    end function`,
    ``,
    `    function listProblem(value as dynamic, path as string, kind as string) as string`,
    `        if type(value) <> "roArray"`,
    `            return path + ": expected " + kind + "[], got " + type(value)`,
    `        end if`,
    `        for i = 0 to value.Count() - 1`,
    `            problem = ${NS}.valueProblem(value[i], path + "[" + i.ToStr() + "]", kind)`,
    `            if problem <> ""`,
    `                return problem`,
    `            end if`,
    `        end for`,
    `        return ""`,
    `    end function`,
    ``,
    `    ' DoesExist first: brs-engine answers msg["count"] with the AA's Count method when the key is absent.`,
    `    function fieldValue(msg as object, key as string) as dynamic`,
    `        if msg.DoesExist(key)`,
    `            return msg.Lookup(key)`,
    `        end if`,
    `        return invalid`,
    `    end function`,
    ``,
    `    function isMissing(value as dynamic) as boolean`,
    `        kind = type(value)`,
    `        return kind = "Invalid" or kind = "roInvalid" or kind = "<uninitialized>"`,
    `    end function`,
    ``,
    `    ' Whole numbers that crossed a task boundary stay Integer or LongInteger (Float/Double are not accepted).`,
    `    function isInt(value as dynamic) as boolean`,
    `        kind = type(value)`,
    `        return kind = "Integer" or kind = "roInt" or kind = "roInteger"`,
    `    end function`,
    ``,
    `    function isLong(value as dynamic) as boolean`,
    `        kind = type(value)`,
    `        return kind = "LongInteger" or kind = "roLongInteger" or ${NS}.isInt(value)`,
    `    end function`,
    ``,
    `    function isString(value as dynamic) as boolean`,
    `        kind = type(value)`,
    `        return kind = "String" or kind = "roString"`,
    `    end function`,
    ``,
    `    function isBoolean(value as dynamic) as boolean`,
    `        kind = type(value)`,
    `        return kind = "Boolean" or kind = "roBoolean"`,
    `    end function`,
];
