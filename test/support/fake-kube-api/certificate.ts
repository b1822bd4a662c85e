// Self-signed certificates for 127.0.0.1, for the fake Kubernetes API's TLS: made by openssl when
// it is installed, else by node's crypto (an EC P-256 key and a minimal X.509 v3 certificate
// encoded here: node can sign but has no API that makes certificates).
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Certificate {
  cert: string;
  key: string;
}

export function hasOpenssl(): boolean {
  return spawnSync("openssl", ["version"], { encoding: "utf8" }).status === 0;
}

export function opensslCertificate(commonName: string): Certificate {
  const dir = mkdtempSync(join(tmpdir(), "fake-kube-api-cert-"));
  try {
    const result = spawnSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", `/CN=${commonName}`, "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
      { encoding: "utf8" },
    );
    if (result.status !== 0) throw new Error(`openssl req failed: ${result.stderr}`);
    return { cert: readFileSync(join(dir, "cert.pem"), "utf8"), key: readFileSync(join(dir, "key.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// DER: tag, length, content.
function der(tag: number, content: Buffer): Buffer {
  const length = content.length;
  const header = length < 0x80 ? Buffer.from([length]) : length < 0x100 ? Buffer.from([0x81, length]) : Buffer.from([0x82, length >> 8, length & 0xff]);
  return Buffer.concat([Buffer.from([tag]), header, content]);
}
const sequence = (...items: Buffer[]) => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => der(0x31, Buffer.concat(items));
const explicit = (n: number, item: Buffer) => der(0xa0 + n, item);
const octets = (content: Buffer) => der(0x04, content);
const utf8 = (text: string) => der(0x0c, Buffer.from(text, "utf8"));
const utcTime = (date: Date) => der(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-:T]/g, "")}Z`, "ascii"));

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split(".").map(Number);
  const bytes = [first! * 40 + second!];
  for (const value of rest) {
    const chunk = [value & 0x7f];
    for (let v = value >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

function integer(bytes: Buffer): Buffer {
  return der(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

export function cryptoCertificate(commonName: string): Certificate {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const ecdsaWithSha256 = sequence(oid("1.2.840.10045.4.3.2"));
  const name = sequence(set(sequence(oid("2.5.4.3"), utf8(commonName))));
  const now = Date.now();
  const extensions = explicit(
    3,
    sequence(
      // subjectAltName: IP 127.0.0.1
      sequence(oid("2.5.29.17"), octets(sequence(der(0x87, Buffer.from([127, 0, 0, 1]))))),
      // basicConstraints: CA (it is its own issuer)
      sequence(oid("2.5.29.19"), octets(sequence(der(0x01, Buffer.from([0xff]))))),
    ),
  );
  const serial = randomBytes(8);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive, no leading zero: DER's minimal form
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ecdsaWithSha256,
    name,
    sequence(utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + 2 * 86_400_000))),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    extensions,
  );
  const signature = sign("sha256", tbs, privateKey);
  const certificate = sequence(tbs, ecdsaWithSha256, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const pem = `-----BEGIN CERTIFICATE-----\n${certificate.toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;
  return { cert: pem, key: privateKey.export({ type: "pkcs8", format: "pem" }) as string };
}

/** openssl's certificate where openssl is installed, else one made with node's crypto. */
export function selfSignedCertificate(commonName: string): Certificate {
  return hasOpenssl() ? opensslCertificate(commonName) : cryptoCertificate(commonName);
}
