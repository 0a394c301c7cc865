namespace Vaani.Control;

/// <summary>Reads a stream into memory without ever holding more than a limit.</summary>
internal static class BoundedRead
{
    /// <summary>
    /// Up to <paramref name="limit"/> bytes of <paramref name="stream"/>; <c>Complete</c> is false
    /// when the stream had more (the rest is left unread).
    /// </summary>
    /// <param name="expectedLength">A declared length (e.g. Content-Length) to size the buffer; null when unknown.</param>
    public static async Task<(MemoryStream Body, bool Complete)> ReadAtMostAsync(Stream stream, long limit, long? expectedLength, CancellationToken ct)
    {
        var body = new MemoryStream((int)Math.Min(expectedLength ?? 0, limit));
        var chunk = new byte[(int)Math.Min(64 * 1024, limit + 1)];
        int n;
        while ((n = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (body.Length + n > limit)
            {
                body.Write(chunk, 0, (int)(limit - body.Length));
                return (body, false);
            }
            body.Write(chunk, 0, n);
        }
        return (body, true);
    }
}
