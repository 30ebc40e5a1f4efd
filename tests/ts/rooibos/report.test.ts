// The report parser and verdict, on console output recorded from real simulator runs.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { judgeReport, parseRooibosReport } from "../../../tools/rooibos/report.ts";
import { toJUnitXml } from "../../../tools/rooibos/junit.ts";

const recorded = (name: string) => readFileSync(`tests/fixtures/rooibos/${name}.log`, "utf8").split("\n");

describe("parseRooibosReport", () => {
    it("reads totals, verdict and every test of a passing run", () => {
        const report = parseRooibosReport(recorded("pass"));
        assert.ok(report);
        assert.deepEqual(report.totals, { total: 4, passed: 4, crashed: 0, failed: 0, ignored: 0 });
        assert.equal(report.success, true);
        assert.equal(report.tests.length, 4);
        assert.deepEqual(report.tests[0], {
            suite: "App lifecycle",
            group: "describeChannel",
            name: "joins the title and version",
            status: "pass",
            durationMs: 1,
            location: "file:///project/tests/spec/AppLifecycle.spec.bs:8",
            details: [],
        });
    });

    it("restores names the report truncates, from the verbose It lines", () => {
        const report = parseRooibosReport(recorded("pass"));
        assert.equal(report?.tests[3]?.name, "ignores messages that are neither screen nor node events");
    });

    it("keeps failure details with the failing test", () => {
        const report = parseRooibosReport(recorded("failing"));
        const failed = report?.tests.find((test) => test.status === "fail");
        assert.equal(failed?.name, "fails on purpose");
        assert.ok(failed?.details.includes('Error Message: expected "2 (Integer)" to equal "3 (Integer)"'));
    });

    it("marks crashed tests and keeps their message", () => {
        const report = parseRooibosReport(recorded("crashing"));
        assert.equal(report?.tests[0]?.status, "crash");
        assert.ok(report?.tests[0]?.details.some((line) => line.includes("'Dot' Operator attempted")));
    });

    it("returns undefined when the report is cut off", () => {
        const lines = recorded("pass");
        const end = lines.findIndex((line) => line.includes("[END TEST REPORT]"));
        assert.equal(parseRooibosReport(lines.slice(0, end)), undefined);
        assert.equal(parseRooibosReport([]), undefined);
    });

    it("returns undefined when the totals are missing", () => {
        const lines = recorded("pass").filter((line) => !/^\s*Failed:/.test(line));
        assert.equal(parseRooibosReport(lines), undefined);
    });
});

describe("judgeReport", () => {
    it("passes only a run with tests and no failures", () => {
        assert.deepEqual(judgeReport(parseRooibosReport(recorded("pass"))), { ok: true, reason: "4 passed" });
    });

    it("fails failing, crashing, empty and missing reports", () => {
        assert.equal(judgeReport(parseRooibosReport(recorded("failing"))).ok, false);
        assert.equal(judgeReport(parseRooibosReport(recorded("crashing"))).ok, false);
        assert.equal(judgeReport(parseRooibosReport(recorded("empty"))).reason, "zero tests executed");
        assert.equal(judgeReport(undefined).ok, false);
    });

    it("fails when the totals disagree with the listed tests", () => {
        const report = parseRooibosReport(recorded("pass"));
        assert.ok(report);
        report.tests.pop();
        assert.match(judgeReport(report).reason, /lists 3 tests but its totals say 4/);
    });
});

describe("toJUnitXml", () => {
    it("writes one testcase per test with failures and errors marked", () => {
        const failing = parseRooibosReport(recorded("failing"));
        assert.ok(failing);
        const xml = toJUnitXml(failing);
        assert.match(xml, /<testsuites name="rooibos" tests="2" failures="1" errors="0" skipped="0">/);
        assert.match(xml, /<testcase name="fails on purpose" [^>]*><failure message="Error Message: expected &quot;2 \(Integer\)&quot;/);
        const crashing = parseRooibosReport(recorded("crashing"));
        assert.ok(crashing);
        assert.match(toJUnitXml(crashing), /<error message="Message: &apos;Dot&apos; Operator/);
    });
});

describe("parameterised tests", () => {
    it("names each parameter set after its test and counts it", () => {
        const report = parseRooibosReport(recorded("params"));
        assert.ok(report);
        assert.equal(judgeReport(report).ok, true);
        const sets = report.tests.filter((test) => test.name.startsWith("keeps HTTP/1.1 connections alive unless told to close ["));
        assert.deepEqual(
            sets.map((test) => test.name.slice(test.name.indexOf("["))),
            [
                '["HTTP/1.1",null,true]',
                '["HTTP/1.1","close",false]',
                '["HTTP/1.1","keep-alive, Close",false]',
                '["HTTP/1.0",null,false]',
                '["HTTP/1.0","Keep-Alive",true]',
            ],
        );
        assert.ok(sets.every((test) => test.location.endsWith("RequestHead.spec.bs:68")));
    });
});

describe("status lines", () => {
    it("reads a name that fills the line up to a single dot", () => {
        const lines = recorded("pass").map((line) =>
            line.includes("joins the title and version :")
                ? "  | |--answers pre-flights and marks answers when enabled : .PASS (4ms)"
                : line,
        );
        const report = parseRooibosReport(lines);
        assert.equal(report?.tests.length, 4);
        assert.equal(report?.tests[0]?.durationMs, 4, "the edited line was read as the first test");
        assert.equal(judgeReport(report).ok, true);
    });
});
