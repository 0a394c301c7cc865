import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import { DeepgramClient, DeepgramError } from "@deepgram/sdk";
import { startVaani, goforwardRaw, goforwardWav, probe, normalize } from "../lib/vaani.mjs";

let server, client;
before(async () => {
  server = await startVaani();
  client = new DeepgramClient({ apiKey: server.key, baseUrl: server.url });
});
after(async () => { await server?.stop(); });

function assertWordTimings(words, duration) {
  assert.ok(words.length >= 4, `expected words, got ${JSON.stringify(words)}`);
  let last = 0;
  for (const w of words) {
    assert.ok(w.start >= last - 1e-6 && w.end > w.start && w.end <= duration + 0.01, `bad timing ${JSON.stringify(w)}`);
    assert.ok(w.confidence >= 0 && w.confidence <= 1);
    last = w.end;
  }
}

test("listen live: interim results, Finalize and CloseStream give the transcript, Metadata and a normal close", async () => {
  const socket = await client.listen.v1.connect({
    model: "nova-3", language: "en", encoding: "linear16", sample_rate: 16000,
    interim_results: "true", punctuate: "true", vad_events: "true", keyterm: "meters", Authorization: `Token ${server.key}`,
    reconnectAttempts: 0,
  });
  const messages = [];
  const closed = new Promise((resolve) => socket.on("close", (e) => resolve(e)));
  socket.on("message", (m) => messages.push(m));
  socket.connect();
  await socket.waitForOpen();
  const pcm = fs.readFileSync(goforwardRaw);
  for (let i = 0; i < pcm.length; i += 3200) socket.sendMedia(pcm.subarray(i, i + 3200));
  socket.sendFinalize({ type: "Finalize" });
  // Wait for the final that answers Finalize before closing.
  for (let i = 0; i < 600 && !messages.some((m) => m.type === "Results" && m.from_finalize); i++)
    await new Promise((r) => setTimeout(r, 50));
  socket.sendCloseStream({ type: "CloseStream" });
  const close = await closed;
  assert.equal(close.code, 1000);

  const results = messages.filter((m) => m.type === "Results");
  assert.ok(results.some((m) => !m.is_final), "expected interim results");
  const finals = results.filter((m) => m.is_final);
  const text = normalize(finals.map((m) => m.channel.alternatives[0].transcript).join(" "));
  assert.equal(text, "go forward ten meters");
  assert.ok(finals.some((m) => m.from_finalize), "a final answers Finalize");
  const words = finals.flatMap((m) => m.channel.alternatives[0].words);
  assertWordTimings(words, 2.8);
  assert.equal(words[0].punctuated_word, "Go");
  for (const r of results) {
    assert.deepEqual(r.channel_index, [0, 1]);
    assert.ok(r.metadata.request_id && r.metadata.model_uuid && r.metadata.model_info.name);
  }
  assert.ok(messages.some((m) => m.type === "SpeechStarted"), "vad_events gives SpeechStarted");
  const meta = messages.at(-1);
  assert.equal(meta.type, "Metadata");
  assert.ok(Math.abs(meta.duration - 2.786) < 0.01, `Metadata duration ${meta.duration}`);
  assert.equal(meta.channels, 1);
});

test("listen pre-recorded file: transcript, word timings and utterances", async () => {
  const res = await client.listen.v1.media.transcribeFile(goforwardWav(), { model: "nova-3", utterances: true, smart_format: true, diarize: true });
  const alt = res.results.channels[0].alternatives[0];
  assert.equal(normalize(alt.transcript), "go forward ten meters");
  assertWordTimings(alt.words, res.metadata.duration);
  assert.equal(alt.words[0].speaker, 0);
  assert.ok(Math.abs(res.metadata.duration - 2.786) < 0.01);
  assert.match(res.metadata.sha256, /^[0-9a-f]{64}$/);
  assert.equal(normalize(res.results.utterances.map((u) => u.transcript).join(" ")), "go forward ten meters");
});

test("listen pre-recorded url and callback: fetched from a loopback server, result POSTed back", async () => {
  const wav = goforwardWav();
  let deliver;
  const delivered = new Promise((r) => { deliver = r; });
  let callbacks = 0;
  const local = http.createServer((req, res) => {
    if (req.method === "GET") { res.writeHead(200, { "content-type": "audio/wav" }); res.end(wav); return; }
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => {
      callbacks++;
      // The first delivery fails with 503: the result must be retried.
      if (callbacks === 1) { res.writeHead(503); res.end(); return; }
      res.writeHead(200); res.end();
      deliver({ body: JSON.parse(body), headers: req.headers });
    });
  });
  await new Promise((r) => local.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${local.address().port}`;
  try {
    const direct = await client.listen.v1.media.transcribeUrl({ url: `${base}/gf.wav`, model: "nova-3" });
    assert.equal(normalize(direct.results.channels[0].alternatives[0].transcript), "go forward ten meters");

    const accepted = await client.listen.v1.media.transcribeUrl({ url: `${base}/gf.wav`, model: "nova-3", callback: `${base}/hook` });
    assert.ok(accepted.request_id);
    const { body, headers } = await delivered;
    assert.equal(callbacks, 2);
    assert.equal(headers["dg-request-id"], accepted.request_id);
    assert.equal(body.metadata.request_id, accepted.request_id);
    assert.equal(normalize(body.results.channels[0].alternatives[0].transcript), "go forward ten meters");
  } finally {
    local.close();
  }
});

test("listen pre-recorded: a url on a non-http scheme is refused Deepgram-style", async () => {
  await assert.rejects(client.listen.v1.media.transcribeUrl({ url: "file:///etc/passwd", model: "nova-3" }), (e) => {
    assert.ok(e instanceof DeepgramError);
    assert.equal(e.statusCode, 400);
    assert.match(e.body.err_msg, /scheme/);
    return true;
  });
});

test("speak REST: wav and mp3 decode to a plausible duration", async () => {
  const text = "Hello from Vaani. This is a short test sentence.";
  const wav = await client.speak.v1.audio.generate({ text, model: "aura-2-thalia-en", encoding: "linear16", container: "wav", sample_rate: 16000 });
  const w = probe(Buffer.from(await wav.arrayBuffer()), "wav");
  assert.equal(w.sampleRate, 16000);
  assert.ok(w.duration > 1.5 && w.duration < 8, `wav duration ${w.duration}`);
  const mp3 = await client.speak.v1.audio.generate({ text, model: "aura-asteria-en" });
  const m = probe(Buffer.from(await mp3.arrayBuffer()), "mp3");
  assert.equal(m.codec, "mp3");
  assert.ok(Math.abs(m.duration - w.duration) < 1.0, `mp3 ${m.duration} vs wav ${w.duration}`);
});

test("speak REST: an unknown model is a 400", async () => {
  await assert.rejects(client.speak.v1.audio.generate({ text: "hi", model: "aura-nobody-en" }), (e) => {
    assert.equal(e.statusCode, 400);
    return true;
  });
});

test("speak WebSocket: Metadata, binary audio, Flushed, Cleared and Close", async () => {
  const socket = await client.speak.v1.connect({ model: "aura-2-thalia-en", encoding: "linear16", sample_rate: 16000, Authorization: `Token ${server.key}`, reconnectAttempts: 0 });
  const messages = [];
  const audio = [];
  const closed = new Promise((resolve) => socket.on("close", (e) => resolve(e)));
  socket.on("message", async (m) => {
    if (m instanceof Blob) audio.push(Buffer.from(await m.arrayBuffer()));
    else if (m instanceof ArrayBuffer || ArrayBuffer.isView(m)) audio.push(Buffer.from(m));
    else messages.push(m);
  });
  socket.connect();
  await socket.waitForOpen();
  socket.sendText({ type: "Speak", text: "Hello from the streaming socket." });
  socket.sendFlush({ type: "Flush" });
  for (let i = 0; i < 600 && !messages.some((m) => m.type === "Flushed"); i++) await new Promise((r) => setTimeout(r, 50));
  socket.sendClear({ type: "Clear" });
  for (let i = 0; i < 200 && !messages.some((m) => m.type === "Cleared"); i++) await new Promise((r) => setTimeout(r, 50));
  socket.sendClose({ type: "Close" });
  const close = await closed;
  assert.equal(close.code, 1000);
  assert.equal(messages[0].type, "Metadata");
  assert.equal(messages[0].model_name, "aura-2-thalia-en");
  assert.deepEqual(messages.find((m) => m.type === "Flushed"), { type: "Flushed", sequence_id: 0 });
  assert.deepEqual(messages.find((m) => m.type === "Cleared"), { type: "Cleared", sequence_id: 1 });
  const seconds = Buffer.concat(audio).length / 32000;
  assert.ok(seconds > 1 && seconds < 6, `streamed ${seconds} s`);
});
