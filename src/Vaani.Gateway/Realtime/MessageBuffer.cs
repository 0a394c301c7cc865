using System.Buffers;

namespace Vaani.Gateway.Realtime;

/// <summary>
/// Holds the message <see cref="ClientSocket.ReceiveAsync"/> read last. Its array is rented from the
/// shared pool only once a message has arrived and is given back when the next receive starts
/// waiting, so a connection that sends nothing holds no buffer at all. It grows for a larger message
/// (never beyond the message-size limit plus one byte) and shrinks back to nothing after it.
/// </summary>
public sealed class MessageBuffer : IDisposable
{
    /// <summary>First size rented for a message: an audio frame or a control message fits.</summary>
    internal const int InitialSize = 4096;

    private byte[]? _array;
    private int _count;

    /// <summary>The bytes of the last message; valid until the next receive or <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _array is null ? ReadOnlyMemory<byte>.Empty : _array.AsMemory(0, _count);

    /// <summary>Bytes of the last message.</summary>
    public int WrittenCount => _count;

    /// <summary>Bytes currently held (0 between messages).</summary>
    internal int Capacity => _array?.Length ?? 0;

    /// <summary>Free space for the next read: at least one byte, the array never larger than <paramref name="limit"/> + 1 bytes (rounded up by the pool).</summary>
    internal Memory<byte> GetMemory(int limit)
    {
        if (_array is null)
        {
            _array = ArrayPool<byte>.Shared.Rent((int)Math.Min(InitialSize, (long)limit + 1));
        }
        else if (_count == _array.Length)
        {
            // Only reached while _count <= limit (the caller stops past the limit), so this grows by at least one byte.
            var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)_array.Length * 2, (long)limit + 1));
            _array.AsSpan(0, _count).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_array);
            _array = larger;
        }
        return _array.AsMemory(_count);
    }

    internal void Advance(int count) => _count += count;

    /// <summary>Gives the array back to the pool; the last message's bytes are no longer valid.</summary>
    internal void Release()
    {
        _count = 0;
        if (_array is { } array)
        {
            _array = null;
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    public void Dispose() => Release();
}
