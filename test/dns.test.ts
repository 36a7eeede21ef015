import type { Answer } from "@dnsquery/dns-packet";
import * as dnsPacket from "@dnsquery/dns-packet";
import { describe, expect, it } from "vitest";
import { createDohResolver, encodeQuery, type LookupResult, parseAnswer } from "@/clients/dns";

/** A well-formed response to `name`/`type` with the given answers (the library never compresses names). */
function response(name: string, type: string, answers: Answer[], extra: Partial<dnsPacket.Packet> = {}): Uint8Array {
  // The encoder takes the response code from the low four bits of `flags`.
  const { rcode, ...rest } = extra;
  return dnsPacket.encode({
    type: "response",
    id: 0,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (RCODES[rcode ?? "NOERROR"] ?? 0),
    questions: [{ name, type: type as dnsPacket.Question["type"], class: "IN" }],
    answers,
    ...rest,
  });
}
const RCODES: Record<string, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };

const txt = (name: string, data: string | string[]): Answer => ({ type: "TXT", name, ttl: 60, data });
const cname = (name: string, data: string): Answer => ({ type: "CNAME", name, ttl: 60, data });
const mx = (name: string, preference: number, exchange: string): Answer => ({
  type: "MX",
  name,
  ttl: 60,
  data: { preference, exchange },
});

/** Wire bytes from numbers, strings (as raw ASCII) and nested arrays. */
function bytes(...parts: (number | string | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === "number") out.push(part);
    else if (typeof part === "string") for (const ch of part) out.push(ch.charCodeAt(0));
    else out.push(...part);
  }
  return new Uint8Array(out);
}
/** A name as length-prefixed labels, ending with the root label unless `pointer` follows. */
const labels = (name: string, end = true) => [
  ...name.split(".").flatMap((l) => [l.length, ...Array.from(l, (c) => c.charCodeAt(0))]),
  ...(end ? [0] : []),
];
const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const ptr = (offset: number) => [0xc0 | (offset >> 8), offset & 0xff];
const HEADER = (answers: number, flags = 0x8180, id = 0) => [
  ...u16(id),
  ...u16(flags),
  0,
  1,
  ...u16(answers),
  0,
  0,
  0,
  0,
];

function expectFound(result: LookupResult) {
  expect(result.status, JSON.stringify(result)).toBe("found");
  if (result.status !== "found") throw new Error("unreachable");
  return result;
}
function expectError(result: LookupResult, pattern?: RegExp) {
  expect(result.status, JSON.stringify(result)).toBe("error");
  if (result.status !== "error") throw new Error("unreachable");
  if (pattern) expect(result.reason).toMatch(pattern);
  return result;
}

describe("encodeQuery", () => {
  it("builds a recursive query with id 0, one question and an EDNS(0) OPT record", () => {
    const packet = dnsPacket.decode(encodeQuery("Mail.Example.COM.", "TXT"));
    expect(packet.type).toBe("query");
    expect(packet.id).toBe(0);
    expect(packet.flag_rd).toBe(true);
    expect(packet.questions).toEqual([{ name: "mail.example.com", type: "TXT", class: "IN" }]);
    expect(packet.additionals?.map((a) => a.type)).toEqual(["OPT"]);
  });
});

describe("parseAnswer: records", () => {
  it("joins the character-strings of a multi-string TXT record", () => {
    const answer = response("example.com", "TXT", [
      txt("example.com", ["v=spf1 include:_spf.google.com ", "include:spf.epilot.cloud ", "~all"]),
      txt("example.com", "epilot-verification=abc"),
    ]);
    const result = expectFound(parseAnswer(answer, "example.com", "TXT"));
    expect(result.records).toEqual([
      { type: "TXT", value: "v=spf1 include:_spf.google.com include:spf.epilot.cloud ~all" },
      { type: "TXT", value: "epilot-verification=abc" },
    ]);
  });

  it("keeps a 255-byte string boundary and UTF-8 text intact", () => {
    const long = "k".repeat(255);
    const answer = response("example.com", "TXT", [txt("example.com", [long, "ü-tail"])]);
    const result = expectFound(parseAnswer(answer, "example.com", "TXT"));
    expect(result.records).toEqual([{ type: "TXT", value: `${long}ü-tail` }]);
  });

  it("returns every MX record with its preference, exchange lowercased without the trailing dot", () => {
    const answer = response("example.com", "MX", [
      mx("example.com", 20, "Backup.Example.NET."),
      mx("example.com", 5, "primary.example.net"),
      mx("example.com", 10, "inbound.epilot.cloud"),
    ]);
    const result = expectFound(parseAnswer(answer, "example.com", "MX"));
    expect(result.records).toEqual([
      { type: "MX", preference: 20, exchange: "backup.example.net" },
      { type: "MX", preference: 5, exchange: "primary.example.net" },
      { type: "MX", preference: 10, exchange: "inbound.epilot.cloud" },
    ]);
  });

  it("matches the asked name case-insensitively and ignores records for other names", () => {
    const answer = response("example.com", "TXT", [txt("EXAMPLE.com", "yes"), txt("other.example.com", "no")]);
    expect(expectFound(parseAnswer(answer, "Example.Com.", "TXT")).records).toEqual([{ type: "TXT", value: "yes" }]);
  });

  it("answers a CNAME question with the CNAME record itself", () => {
    const answer = response("s1._domainkey.example.com", "CNAME", [
      cname("s1._domainkey.example.com", "S1.key.dkim.epilot.cloud."),
    ]);
    const result = expectFound(parseAnswer(answer, "s1._domainkey.example.com", "CNAME"));
    expect(result.records).toEqual([{ type: "CNAME", value: "s1.key.dkim.epilot.cloud" }]);
    expect(result.cnames).toEqual([]);
  });

  it("returns NS records", () => {
    const answer = response("example.com", "NS", [
      { type: "NS", name: "example.com", data: "NS2.Epilot.cloud." },
      { type: "NS", name: "example.com", data: "ns1.epilot.cloud" },
    ]);
    expect(expectFound(parseAnswer(answer, "example.com", "NS")).records).toEqual([
      { type: "NS", value: "ns2.epilot.cloud" },
      { type: "NS", value: "ns1.epilot.cloud" },
    ]);
  });
});

describe("parseAnswer: CNAME chains", () => {
  it("follows a chain to the records of the final name, in any answer order", () => {
    const answer = response("_dmarc.example.com", "TXT", [
      txt("policy.dmarc-host.org", "v=DMARC1; p=reject"),
      cname("step.example.net", "policy.dmarc-host.org"),
      cname("_dmarc.example.com", "step.example.net"),
    ]);
    const result = expectFound(parseAnswer(answer, "_dmarc.example.com", "TXT"));
    expect(result.cnames).toEqual(["step.example.net", "policy.dmarc-host.org"]);
    expect(result.records).toEqual([{ type: "TXT", value: "v=DMARC1; p=reject" }]);
  });

  it("reports where an unfinished chain stops so the resolver can ask for it", () => {
    const answer = response("_dmarc.example.com", "TXT", [cname("_dmarc.example.com", "policy.dmarc-host.org")]);
    expect(parseAnswer(answer, "_dmarc.example.com", "TXT")).toEqual({
      status: "empty",
      rcode: "NOERROR",
      cnames: ["policy.dmarc-host.org"],
      danglingCname: "policy.dmarc-host.org",
    });
  });

  it("treats NXDOMAIN at the end of a chain as missing", () => {
    const answer = response("_dmarc.example.com", "TXT", [cname("_dmarc.example.com", "gone.example.org")], {
      rcode: "NXDOMAIN",
    });
    expect(parseAnswer(answer, "_dmarc.example.com", "TXT")).toEqual({
      status: "empty",
      rcode: "NXDOMAIN",
      cnames: ["gone.example.org"],
    });
  });

  it("turns a CNAME loop into an error", () => {
    const answer = response("a.example.com", "TXT", [
      cname("a.example.com", "b.example.com"),
      cname("b.example.com", "a.example.com"),
    ]);
    expectError(parseAnswer(answer, "a.example.com", "TXT"), /CNAME loop/);
  });
});

describe("parseAnswer: compressed names", () => {
  // Question at offset 12: example.com TXT/MX; answers point back into it (RFC 1035 §4.1.4).
  const question = (type: number) => [...labels("example.com"), ...u16(type), 0, 1];

  it("reads an owner name that is a pointer to the question", () => {
    const value = "v=spf1 -all";
    const packet = bytes(
      HEADER(1),
      question(16),
      ptr(12),
      ...[u16(16), u16(1), [0, 0, 0, 60]],
      u16(value.length + 1),
      value.length,
      value,
    );
    expect(expectFound(parseAnswer(packet, "example.com", "TXT")).records).toEqual([{ type: "TXT", value }]);
  });

  it("reads an MX exchange whose suffix is a pointer into an earlier name", () => {
    // exchange = "mx" + pointer to "example.com" at offset 12
    const rdata = [...u16(10), ...labels("mx", false), ...ptr(12)];
    const packet = bytes(HEADER(1), question(15), ptr(12), u16(15), u16(1), [0, 0, 0, 60], u16(rdata.length), rdata);
    expect(expectFound(parseAnswer(packet, "example.com", "MX")).records).toEqual([
      { type: "MX", preference: 10, exchange: "mx.example.com" },
    ]);
  });

  it("follows a CNAME chain whose names are all compressed", () => {
    // Question: _dmarc.example.com TXT at 12. Answer 1: owner ptr(12) CNAME "p." + ptr(example.com).
    const q = [...labels("_dmarc.example.com"), ...u16(16), 0, 1];
    const exampleAt = 12 + 7; // "_dmarc" label is 7 bytes, then example.com
    const answer1Start = 12 + q.length;
    const target = [...labels("p", false), ...ptr(exampleAt)];
    const answer1 = [...ptr(12), ...u16(5), ...u16(1), 0, 0, 0, 60, ...u16(target.length), ...target];
    const targetAt = answer1Start + 2 + 10; // the target's first byte inside answer 1's rdata
    const value = "v=DMARC1; p=none";
    const answer2 = [...ptr(targetAt), ...u16(16), ...u16(1), 0, 0, 0, 60, ...u16(value.length + 1), value.length];
    const packet = bytes(HEADER(2), q, answer1, answer2, value);
    const result = expectFound(parseAnswer(packet, "_dmarc.example.com", "TXT"));
    expect(result.cnames).toEqual(["p.example.com"]);
    expect(result.records).toEqual([{ type: "TXT", value }]);
  });

  it("refuses a pointer that points forward (a loop in disguise)", () => {
    const packet = bytes(HEADER(1), question(16), ptr(200), u16(16), u16(1), [0, 0, 0, 60], u16(2), 1, "x");
    expectError(parseAnswer(packet, "example.com", "TXT"), /malformed/);
  });

  it("refuses a pointer to itself", () => {
    const at = 12 + question(16).length;
    const packet = bytes(HEADER(1), question(16), ptr(at), u16(16), u16(1), [0, 0, 0, 60], u16(2), 1, "x");
    expectError(parseAnswer(packet, "example.com", "TXT"), /malformed/);
  });
});

describe("parseAnswer: response codes and header checks", () => {
  it("NXDOMAIN and NOERROR without records are empty, not errors", () => {
    expect(
      parseAnswer(response("nope.example.com", "TXT", [], { rcode: "NXDOMAIN" }), "nope.example.com", "TXT"),
    ).toEqual({ status: "empty", rcode: "NXDOMAIN", cnames: [] });
    expect(parseAnswer(response("example.com", "MX", []), "example.com", "MX")).toEqual({
      status: "empty",
      rcode: "NOERROR",
      cnames: [],
    });
  });

  it("records of another type at the name are no answer (NODATA)", () => {
    const answer = response("example.com", "MX", [txt("example.com", "v=spf1 -all")]);
    expect(parseAnswer(answer, "example.com", "MX")).toMatchObject({ status: "empty", rcode: "NOERROR" });
  });

  it.each(["SERVFAIL", "REFUSED", "NOTIMP", "FORMERR"])("%s is an error naming the code", (rcode) => {
    const answer = response("example.com", "TXT", [], { rcode: rcode as dnsPacket.Packet["rcode"] });
    expectError(parseAnswer(answer, "example.com", "TXT"), new RegExp(rcode));
  });

  it("a truncated answer (TC bit) is an error", () => {
    const answer = response("example.com", "TXT", [txt("example.com", "partial")], {
      flags: dnsPacket.TRUNCATED_RESPONSE | dnsPacket.RECURSION_AVAILABLE,
    });
    expectError(parseAnswer(answer, "example.com", "TXT"), /truncated/i);
  });

  it("an answer with another id, to another question, or that is a query is an error", () => {
    expectError(parseAnswer(response("example.com", "TXT", [], { id: 4242 }), "example.com", "TXT"), /id 4242/);
    expectError(parseAnswer(response("other.com", "TXT", []), "example.com", "TXT"), /not TXT example\.com/);
    expectError(parseAnswer(response("example.com", "MX", []), "example.com", "TXT"), /not TXT/);
    expectError(parseAnswer(encodeQuery("example.com", "TXT"), "example.com", "TXT"), /query, not a response/);
  });
});

describe("parseAnswer: truncated and malformed packets never crash", () => {
  const full = response(
    "example.com",
    "TXT",
    [
      txt("example.com", ["v=spf1 include:spf.epilot.cloud ", "~all"]),
      txt("example.com", "epilot-verification=0123456789abcdef"),
    ],
    { additionals: [{ type: "OPT", name: ".", data: [] } as unknown as Answer] },
  );

  it("the full packet parses", () => {
    expect(expectFound(parseAnswer(full, "example.com", "TXT")).records).toHaveLength(2);
  });

  it("every cut-off prefix of it is an error", () => {
    for (let length = 0; length < full.length; length++) {
      const result = parseAnswer(full.subarray(0, length), "example.com", "TXT");
      expect(result.status, `prefix of ${length} bytes: ${JSON.stringify(result)}`).toBe("error");
    }
  });

  it("a header promising more records than the packet holds is an error", () => {
    const packet = bytes(HEADER(3), labels("example.com"), u16(16), u16(1));
    expectError(parseAnswer(packet, "example.com", "TXT"), /malformed/);
  });

  it("a TXT character-string longer than its record is an error", () => {
    const packet = bytes(
      HEADER(1),
      labels("example.com"),
      u16(16),
      u16(1),
      ptr(12),
      u16(16),
      u16(1),
      [0, 0, 0, 1],
      u16(3),
      200,
      "ab",
    );
    expectError(parseAnswer(packet, "example.com", "TXT"), /malformed/);
  });

  it("a label with the reserved 0x80 length bits is an error", () => {
    const packet = bytes(HEADER(1), labels("example.com"), u16(16), u16(1), 0x80, 1, u16(16), u16(1));
    expectError(parseAnswer(packet, "example.com", "TXT"), /malformed/);
  });

  it("random bytes give an error or a well-formed result, never an exception", () => {
    let seed = 0x2545f491;
    const random = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 0x1_0000_0000;
    };
    for (let i = 0; i < 2000; i++) {
      // Half the cases mutate a valid packet, half are noise.
      const packet =
        i % 2 === 0
          ? full.map((byte) => (random() < 0.05 ? Math.floor(random() * 256) : byte))
          : new Uint8Array(Array.from({ length: Math.floor(random() * 80) }, () => Math.floor(random() * 256)));
      const result = parseAnswer(packet, "example.com", "TXT");
      expect(["found", "empty", "error"]).toContain(result.status);
    }
  });
});

describe("createDohResolver", () => {
  const URL_ = "https://resolver.test/dns-query";

  /** A fake fetch that answers with `reply(question)` and records each request. */
  function fakeFetch(reply: (q: dnsPacket.Question, request: Request) => Response | Promise<Response>) {
    const requests: { url: string; method: string; contentType: string | null; question: dnsPacket.Question }[] = [];
    const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      const packet = dnsPacket.decode(new Uint8Array(await request.arrayBuffer()));
      const question = packet.questions?.[0] as dnsPacket.Question;
      requests.push({
        url: request.url,
        method: request.method,
        contentType: request.headers.get("content-type"),
        question,
      });
      return reply(question, request);
    }) as typeof fetch;
    return { fetcher, requests };
  }
  const dnsResponse = (body: Uint8Array) =>
    new Response(body, { status: 200, headers: { "content-type": "application/dns-message" } });

  it("POSTs the wire-format query to the fixed URL; the looked-up name never reaches the URL", async () => {
    const { fetcher, requests } = fakeFetch((q) => dnsResponse(response(q.name, q.type, [txt(q.name, "hello")])));
    const resolver = createDohResolver({ url: URL_, timeoutMs: 1000, fetch: fetcher });
    const result = await resolver.lookup("Evil.Example.com.", "TXT");
    expect(expectFound(result).records).toEqual([{ type: "TXT", value: "hello" }]);
    expect(requests).toEqual([
      {
        url: URL_,
        method: "POST",
        contentType: "application/dns-message",
        question: { name: "evil.example.com", type: "TXT", class: "IN" },
      },
    ]);
  });

  it("follows an unfinished CNAME chain with further queries", async () => {
    const { fetcher, requests } = fakeFetch((q) => {
      if (q.name === "_dmarc.example.com")
        return dnsResponse(response(q.name, "TXT", [cname(q.name, "hop.dmarc.net")]));
      if (q.name === "hop.dmarc.net") return dnsResponse(response(q.name, "TXT", [cname(q.name, "final.dmarc.net")]));
      return dnsResponse(response(q.name, "TXT", [txt(q.name, "v=DMARC1; p=none")]));
    });
    const resolver = createDohResolver({ url: URL_, timeoutMs: 1000, fetch: fetcher });
    const result = expectFound(await resolver.lookup("_dmarc.example.com", "TXT"));
    expect(result.cnames).toEqual(["hop.dmarc.net", "final.dmarc.net"]);
    expect(result.records).toEqual([{ type: "TXT", value: "v=DMARC1; p=none" }]);
    expect(requests.map((r) => r.question.name)).toEqual(["_dmarc.example.com", "hop.dmarc.net", "final.dmarc.net"]);
  });

  it("stops a CNAME loop spread over several answers", async () => {
    const { fetcher } = fakeFetch((q) =>
      dnsResponse(
        response(q.name, "TXT", [cname(q.name, q.name === "a.example.com" ? "b.example.com" : "a.example.com")]),
      ),
    );
    const resolver = createDohResolver({ url: URL_, timeoutMs: 1000, fetch: fetcher });
    expectError(await resolver.lookup("a.example.com", "TXT"), /CNAME loop/);
  });

  it("an HTTP error status is an error naming it", async () => {
    const { fetcher } = fakeFetch(() => new Response("busy", { status: 503 }));
    const resolver = createDohResolver({ url: URL_, timeoutMs: 1000, fetch: fetcher });
    expect(await resolver.lookup("example.com", "TXT")).toEqual({
      status: "error",
      reason: "the resolver answered HTTP 503",
    });
  });

  it("a body that is not application/dns-message is an error", async () => {
    const { fetcher } = fakeFetch(
      () => new Response("<html>login</html>", { status: 200, headers: { "content-type": "text/html" } }),
    );
    const resolver = createDohResolver({ url: URL_, timeoutMs: 1000, fetch: fetcher });
    expectError(await resolver.lookup("example.com", "TXT"), /text\/html instead of application\/dns-message/);
  });

  it("a malformed body is an error", async () => {
    const { fetcher } = fakeFetch(() => dnsResponse(new Uint8Array([0, 0, 0x81, 0x80, 0, 1, 0, 1])));
    const resolver = createDohResolver({ url: URL_, timeoutMs: 1000, fetch: fetcher });
    expectError(await resolver.lookup("example.com", "TXT"), /malformed/);
  });

  it("a resolver that never answers is an error once the bound passes", async () => {
    let aborted = false;
    const fetcher = ((_input: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => {
          aborted = true;
          reject(new Error("aborted"));
        });
      })) as typeof fetch;
    const resolver = createDohResolver({ url: URL_, timeoutMs: 20, fetch: fetcher });
    const result = expectError(await resolver.lookup("example.com", "TXT"), /did not answer within 20 ms/);
    expect(result.unreachable).toBeUndefined();
    expect(aborted).toBe(true);
  });

  it("a connection failure is an error marked unreachable", async () => {
    const fetcher = (async () => {
      throw new TypeError("connect ECONNREFUSED");
    }) as typeof fetch;
    const resolver = createDohResolver({ url: URL_, timeoutMs: 1000, fetch: fetcher });
    const result = expectError(await resolver.lookup("example.com", "TXT"), /could not be reached/);
    expect(result.unreachable).toBe(true);
  });
});
