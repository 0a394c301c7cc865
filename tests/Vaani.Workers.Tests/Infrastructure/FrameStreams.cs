using System.Runtime.CompilerServices;
using Vaani.Workers.Protocol;

namespace Vaani.Workers.Tests.Infrastructure;

/// <summary>
/// Reads frames off a raw stream in tests with the <see cref="FrameReader"/> both processes use. The
/// reader reads in bulk, so one is kept per stream: bytes of the next frame that arrived with this
/// one are not lost between calls.
/// </summary>
internal static class FrameStreams
{
    private static readonly ConditionalWeakTable<Stream, FrameReader> Readers = new();

    /// <summary>The next frame, or null at a clean end of the stream between frames.</summary>
    public static ValueTask<Frame?> ReadFrameAsync(this Stream stream, CancellationToken cancellationToken = default) =>
        Readers.GetValue(stream, _ => new FrameReader()).ReadAsync(stream, cancellationToken);
}
