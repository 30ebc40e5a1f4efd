// Writes a Rooibos report as JUnit XML, so CI systems can show per-test results.
import type { RooibosReport, TestCase } from "./report.ts";

function escapeXml(text: string): string {
    return (
        text
            .replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] ?? c)
            // XML 1.0 forbids most control characters, which can appear in BrightScript output.
            .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, "")
    );
}

function testCaseXml(test: TestCase): string {
    const attributes = `name="${escapeXml(test.name)}" classname="${escapeXml(`${test.suite}.${test.group}`)}" time="${Math.max(0, test.durationMs) / 1000}"`;
    const details = escapeXml(test.details.join("\n"));
    const message = escapeXml(test.details.find((line) => /Message:/.test(line)) ?? test.status);
    switch (test.status) {
        case "pass":
            return `    <testcase ${attributes}/>`;
        case "ignored":
            return `    <testcase ${attributes}><skipped/></testcase>`;
        case "fail":
            return `    <testcase ${attributes}><failure message="${message}">${details}</failure></testcase>`;
        case "crash":
            return `    <testcase ${attributes}><error message="${message}">${details}</error></testcase>`;
    }
}

export function toJUnitXml(report: RooibosReport, name = "rooibos"): string {
    const suites = new Map<string, TestCase[]>();
    for (const test of report.tests) {
        suites.set(test.suite, [...(suites.get(test.suite) ?? []), test]);
    }
    const body = [...suites].map(([suite, tests]) => {
        const count = (status: string) => tests.filter((test) => test.status === status).length;
        const time = tests.reduce((sum, test) => sum + Math.max(0, test.durationMs), 0) / 1000;
        return [
            `  <testsuite name="${escapeXml(suite)}" tests="${tests.length}" failures="${count("fail")}" errors="${count("crash")}" skipped="${count("ignored")}" time="${time}">`,
            ...tests.map(testCaseXml),
            "  </testsuite>",
        ].join("\n");
    });
    const { total, failed, crashed, ignored } = report.totals;
    return [
        `<?xml version="1.0" encoding="UTF-8"?>`,
        `<testsuites name="${escapeXml(name)}" tests="${total}" failures="${failed}" errors="${crashed}" skipped="${ignored}">`,
        ...body,
        `</testsuites>`,
        "",
    ].join("\n");
}
