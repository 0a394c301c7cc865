// Starts a live `vaani serve --port 0` for the SDK tests and parses its URL from stderr
// ("vaani: listening on http://127.0.0.1:PORT"). The server runs with its own data directory
// and a root API key chosen up front (VAANI_API_KEY), which the SDK clients authenticate with.
// Loopback fetches are allowed through VAANI_FETCH_ALLOW so url= and callback= can reach the
// tests' own HTTP server.
import { spawn, execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import fs from "node:fs";
import os from "node:os";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const goforwardRaw = "/usr/share/pocketsphinx/test/data/goforward.raw";

/** Starts the server; resolves { url, key, stop }. */
export function startVaani({ timeoutMs = 240_000 } = {}) {
  const key = execFileSync(path.join(repoRoot, "vaani"), ["admin", "keys", "generate"], { cwd: repoRoot }).toString().trim();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vaani-sdk-data-"));
  const child = spawn(path.join(repoRoot, "vaani"), ["serve", "--port", "0", "--control-port", "0", "--data-dir", dataDir], {
    cwd: repoRoot,
    env: { ...process.env, VAANI_FETCH_ALLOW: "127.0.0.0/8,::1/128", VAANI_API_KEY: key },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`vaani serve did not start:\n${log}`)); }, timeoutMs);
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`vaani serve exited with ${code}:\n${log}`)); });
    child.stderr.on("data", (chunk) => {
      log = (log + chunk.toString()).slice(-8000);
      const m = /listening on (http:\/\/[^\s,]+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        resolve({
          url: m[1],
          key,
          stop: () => new Promise((done) => {
            child.once("exit", () => { fs.rmSync(dataDir, { recursive: true, force: true }); done(); });
            child.kill("SIGTERM");
          }),
        });
      }
    });
  });
}

/** goforward.raw (16 kHz s16le mono) wrapped in a WAV header. */
export function goforwardWav() {
  const pcm = fs.readFileSync(goforwardRaw);
  const h = Buffer.alloc(44);
  h.write("RIFF", 0); h.writeUInt32LE(36 + pcm.length, 4); h.write("WAVE", 8);
  h.write("fmt ", 12); h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22);
  h.writeUInt32LE(16000, 24); h.writeUInt32LE(32000, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34);
  h.write("data", 36); h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}

/**
 * Identifies audio bytes with ffprobe and decodes them fully with ffmpeg; returns
 * { duration, codec, sampleRate }. The duration comes from the decoded samples, since streamed
 * containers (FLAC, ADTS) do not declare one.
 */
export function probe(bytes, ext) {
  const file = path.join(os.tmpdir(), `vaani-sdk-${process.pid}-${Math.random().toString(16).slice(2)}.${ext}`);
  fs.writeFileSync(file, bytes);
  try {
    const out = execFileSync("ffprobe", ["-v", "error", "-show_entries", "format=duration:stream=codec_name,sample_rate", "-of", "json", file]).toString();
    const j = JSON.parse(out);
    const pcm = execFileSync("ffmpeg", ["-v", "error", "-i", file, "-f", "s16le", "-ac", "1", "-ar", "16000", "pipe:1"], { maxBuffer: 64 * 1024 * 1024 });
    return { duration: pcm.length / 32000, codec: j.streams[0].codec_name, sampleRate: Number(j.streams[0].sample_rate) };
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** Lower-case words without punctuation, for comparing transcripts. */
export const normalize = (s) => s.toLowerCase().replace(/[^a-z' ]/g, "").replace(/\s+/g, " ").trim();
