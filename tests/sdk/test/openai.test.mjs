import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import OpenAI, { toFile } from "openai";
import { startVaani, goforwardWav, probe, normalize } from "../lib/vaani.mjs";

let server, client;
before(async () => {
  server = await startVaani();
  client = new OpenAI({ apiKey: server.key, baseURL: `${server.url}/v1`, maxRetries: 0 });
});
after(async () => { await server?.stop(); });

const file = () => toFile(goforwardWav(), "goforward.wav", { type: "audio/wav" });

test("transcriptions: json and text", async () => {
  const json = await client.audio.transcriptions.create({ file: await file(), model: "whisper-1" });
  assert.equal(json.text, "go forward ten meters");
  const text = await client.audio.transcriptions.create({ file: await file(), model: "gpt-4o-transcribe", response_format: "text" });
  assert.equal(text.trim(), "go forward ten meters");
});

test("transcriptions: verbose_json with word and segment timestamps", async () => {
  const v = await client.audio.transcriptions.create({
    file: await file(), model: "whisper-1", response_format: "verbose_json", timestamp_granularities: ["word", "segment"], temperature: 0,
  });
  assert.equal(v.text, "go forward ten meters");
  assert.equal(v.language, "english");
  assert.ok(Math.abs(v.duration - 2.786) < 0.01);
  assert.deepEqual(v.words.map((w) => w.word), ["go", "forward", "ten", "meters"]);
  let last = 0;
  for (const w of v.words) { assert.ok(w.start >= last && w.end > w.start && w.end <= v.duration); last = w.end; }
  assert.equal(v.segments.length, 1);
  assert.equal(v.segments[0].text.trim(), "go forward ten meters");
});

test("transcriptions: srt and vtt captions", async () => {
  const srt = await client.audio.transcriptions.create({ file: await file(), model: "whisper-1", response_format: "srt" });
  assert.match(srt, /^1\n00:00:00,\d{3} --> 00:00:02,\d{3}\ngo forward ten meters/);
  const vtt = await client.audio.transcriptions.create({ file: await file(), model: "whisper-1", response_format: "vtt" });
  assert.match(vtt, /^WEBVTT\n\n00:00:00\.\d{3} --> 00:00:02\.\d{3}\ngo forward ten meters/);
});

test("transcriptions: stream=true yields text deltas then done", async () => {
  const stream = await client.audio.transcriptions.create({ file: await file(), model: "gpt-4o-mini-transcribe", stream: true });
  const events = [];
  for await (const e of stream) events.push(e);
  const deltas = events.filter((e) => e.type === "transcript.text.delta").map((e) => e.delta).join("");
  assert.equal(deltas, "go forward ten meters");
  assert.equal(events.at(-1).type, "transcript.text.done");
  assert.equal(events.at(-1).text, "go forward ten meters");
});

test("transcriptions: an invalid response_format is a 400 in OpenAI's error shape", async () => {
  await assert.rejects(client.audio.transcriptions.create({ file: await file(), model: "whisper-1", response_format: "yaml" }), (e) => {
    assert.equal(e.status, 400);
    assert.equal(e.error.type, "invalid_request_error");
    assert.equal(e.error.param, "response_format");
    return true;
  });
});

for (const [format, ext, codec] of [["mp3", "mp3", "mp3"], ["wav", "wav", "pcm_s16le"], ["opus", "ogg", "opus"], ["flac", "flac", "flac"], ["aac", "aac", "aac"]]) {
  test(`speech: ${format} decodes to a plausible duration`, async () => {
    const res = await client.audio.speech.create({ model: "tts-1", voice: "alloy", input: "The quick brown fox jumps over the lazy dog.", response_format: format });
    const p = probe(Buffer.from(await res.arrayBuffer()), ext);
    assert.equal(p.codec, codec);
    assert.ok(p.duration > 1.5 && p.duration < 8, `${format} duration ${p.duration}`);
  });
}

test("speech: pcm is 24 kHz s16le and speed shortens it", async () => {
  const input = "The quick brown fox jumps over the lazy dog.";
  const normal = Buffer.from(await (await client.audio.speech.create({ model: "tts-1", voice: "nova", input, response_format: "pcm" })).arrayBuffer());
  const fast = Buffer.from(await (await client.audio.speech.create({ model: "tts-1", voice: "nova", input, response_format: "pcm", speed: 2.0 })).arrayBuffer());
  const seconds = normal.length / 48000;
  assert.ok(seconds > 1.5 && seconds < 8, `pcm ${seconds} s`);
  assert.ok(fast.length < normal.length * 0.75, `speed 2.0: ${fast.length} vs ${normal.length} bytes`);
});

test("speech: stream_format=sse gives audio deltas and done", async () => {
  const res = await client.audio.speech.create({ model: "gpt-4o-mini-tts", voice: "coral", input: "Streaming speech.", response_format: "pcm", stream_format: "sse" });
  const body = await res.text();
  const events = body.split("\n\n").filter((b) => b.startsWith("data: ")).map((b) => JSON.parse(b.slice(6)));
  const audio = Buffer.concat(events.filter((e) => e.type === "speech.audio.delta").map((e) => Buffer.from(e.audio, "base64")));
  assert.equal(events.at(-1).type, "speech.audio.done");
  assert.ok(audio.length / 48000 > 0.5, `sse audio ${audio.length} bytes`);
});

test("speech: speed out of range is a 400", async () => {
  await assert.rejects(client.audio.speech.create({ model: "tts-1", voice: "alloy", input: "x", speed: 9 }), (e) => {
    assert.equal(e.status, 400);
    assert.equal(e.error.param, "speed");
    return true;
  });
});

test("models: the list works with the OpenAI SDK", async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.ok(ids.includes("stt-en") && ids.includes("tts"), ids.join(","));
});
