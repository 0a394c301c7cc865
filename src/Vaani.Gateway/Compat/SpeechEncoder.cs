using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using Vaani.Audio;
using Vaani.Speech.Synthesis;

namespace Vaani.Gateway.Compat;

/// <summary>
/// Encodes engine PCM into a <see cref="SpeechOutput"/> and hands the bytes to a sink as they are
/// produced. Native formats go through <see cref="SynthesisEncoder"/>; mp3/flac/aac are piped
/// through an ffmpeg process with a deadline and an output bound.
/// </summary>
internal abstract class SpeechEncoder : IAsyncDisposable
{
    public delegate Task Sink(ReadOnlyMemory<byte> bytes, CancellationToken ct);

    public static SpeechEncoder Create(SpeechOutput output, AudioFormat engineFormat, CompatOptions options, Sink sink) =>
        output.Native is { } native
            ? new NativeEncoder(new SynthesisEncoder(engineFormat, native), sink)
            : new FfmpegEncoder(output, engineFormat, options, sink);

    public abstract Task WriteAsync(ReadOnlyMemory<byte> enginePcm, CancellationToken ct);

    /// <summary>Flushes everything; the sink has received all bytes when this returns.</summary>
    public abstract Task CompleteAsync(CancellationToken ct);

    public abstract ValueTask DisposeAsync();

    private sealed class NativeEncoder(SynthesisEncoder encoder, Sink sink) : SpeechEncoder
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(16384);

        public override async Task WriteAsync(ReadOnlyMemory<byte> enginePcm, CancellationToken ct)
        {
            _buffer.Clear();
            encoder.Encode(enginePcm.Span, _buffer);
            if (_buffer.WrittenCount > 0) await sink(_buffer.WrittenMemory, ct);
        }

        public override async Task CompleteAsync(CancellationToken ct)
        {
            _buffer.Clear();
            encoder.Complete(_buffer);
            if (_buffer.WrittenCount > 0) await sink(_buffer.WrittenMemory, ct);
        }

        public override ValueTask DisposeAsync()
        {
            encoder.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class FfmpegEncoder : SpeechEncoder
    {
        private readonly SynthesisEncoder _pcm;
        private readonly Process _process;
        private readonly Task _pump;
        private readonly CancellationTokenSource _deadline;
        private readonly ArrayBufferWriter<byte> _buffer = new(16384);
        private readonly CompatOptions _options;
        private readonly string _codec;
        private string _stderrTail = "";

        public FfmpegEncoder(SpeechOutput output, AudioFormat engineFormat, CompatOptions options, Sink sink)
        {
            _options = options;
            _codec = output.FfmpegCodec!;
            _pcm = new SynthesisEncoder(engineFormat, new TtsOutputFormat(TtsContainer.Raw, AudioFormat.Linear16(output.SampleRate)));
            _deadline = new CancellationTokenSource(options.TranscodeTimeout);
            var rate = output.SampleRate.ToString(CultureInfo.InvariantCulture);
            string[] encode = _codec switch
            {
                "mp3" => ["-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3"],
                "flac" => ["-c:a", "flac", "-f", "flac"],
                _ => ["-c:a", "aac", "-b:a", "64k", "-f", "adts"],
            };
            var psi = new ProcessStartInfo("ffmpeg")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in (string[])["-hide_banner", "-loglevel", "error", "-nostdin", "-f", "s16le", "-ar", rate, "-ac", "1", "-i", "pipe:0", .. encode, "pipe:1"])
                psi.ArgumentList.Add(a);
            try { _process = Process.Start(psi) ?? throw new InvalidOperationException("ffmpeg did not start"); }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new Vaani.Engines.EngineException("transcoder_unavailable", $"{_codec} output needs the ffmpeg binary, which could not be started: {ex.Message}", isPermanent: false);
            }
            _ = Task.Run(async () =>
            {
                // Keep only the end of stderr (bounded) for the error message.
                var text = await _process.StandardError.ReadToEndAsync(_deadline.Token).ConfigureAwait(false);
                _stderrTail = text.Length > 500 ? text[^500..] : text;
            });
            _pump = Task.Run(() => PumpAsync(sink));
        }

        private async Task PumpAsync(Sink sink)
        {
            var buffer = new byte[16384];
            long total = 0;
            var stdout = _process.StandardOutput.BaseStream;
            int n;
            while ((n = await stdout.ReadAsync(buffer, _deadline.Token).ConfigureAwait(false)) > 0)
            {
                total += n;
                if (total > _options.MaxTranscodeBytes)
                    throw new Vaani.Engines.EngineException("output_too_large", $"the {_codec} output exceeded {_options.MaxTranscodeBytes} bytes", isPermanent: true);
                await sink(buffer.AsMemory(0, n), _deadline.Token).ConfigureAwait(false);
            }
        }

        public override async Task WriteAsync(ReadOnlyMemory<byte> enginePcm, CancellationToken ct)
        {
            _buffer.Clear();
            _pcm.Encode(enginePcm.Span, _buffer);
            await WritePcmAsync(ct);
        }

        private async Task WritePcmAsync(CancellationToken ct)
        {
            if (_buffer.WrittenCount == 0) return;
            if (_pump.IsCompleted) await _pump; // surfaces a failure of the output side
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _deadline.Token);
            try { await _process.StandardInput.BaseStream.WriteAsync(_buffer.WrittenMemory, linked.Token); }
            catch (IOException) { await _pump; throw Failed(); }
        }

        public override async Task CompleteAsync(CancellationToken ct)
        {
            _buffer.Clear();
            _pcm.Complete(_buffer);
            await WritePcmAsync(ct);
            _process.StandardInput.Close();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _deadline.Token);
            try
            {
                await _pump.WaitAsync(linked.Token);
                await _process.WaitForExitAsync(linked.Token);
            }
            catch (OperationCanceledException) when (_deadline.IsCancellationRequested)
            {
                throw new Vaani.Engines.EngineException("transcode_timeout", $"transcoding to {_codec} took longer than {_options.TranscodeTimeout.TotalSeconds:0} s", isPermanent: false);
            }
            if (_process.ExitCode != 0) throw Failed();
        }

        private Vaani.Engines.EngineException Failed() =>
            new("transcode_failed", $"ffmpeg could not encode {_codec}: {_stderrTail.Trim()}", isPermanent: false);

        public override async ValueTask DisposeAsync()
        {
            try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
            try { await _pump.ConfigureAwait(false); } catch (Exception) { /* already reported or the request is gone */ }
            _process.Dispose();
            _pcm.Dispose();
            _deadline.Dispose();
        }
    }
}
