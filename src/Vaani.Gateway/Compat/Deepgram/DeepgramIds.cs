using System.Security.Cryptography;
using System.Text;

namespace Vaani.Gateway.Compat.Deepgram;

/// <summary>Request ids and the stable model identity Deepgram clients read from <c>metadata</c>.</summary>
internal static class DeepgramIds
{
    public static string NewRequestId() => Guid.NewGuid().ToString();

    /// <summary>A stable UUID for a pool, so <c>model_uuid</c> is the same on every request.</summary>
    public static string ModelUuid(string pool)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("vaani-model:" + pool));
        return new Guid(hash.AsSpan(0, 16)).ToString();
    }

    public static object ModelInfo(string pool, string engine) => new { name = pool, version = "1.0", arch = engine };
}
