using System.Security.Cryptography;

namespace Vaani.Gateway.Tests.Infrastructure;

/// <summary>WebSocket frames as a client sends them (RFC 6455 §5.2), for tests that write frames by hand.</summary>
internal static class ClientFrame
{
    /// <summary>
    /// One frame: <paramref name="opcode"/> with FIN unless <paramref name="fin"/> is false, a 7- or
    /// 16-bit length (payloads below 64 KiB), and the payload masked with a random key unless
    /// <paramref name="masked"/> is false (a protocol error a server must refuse).
    /// </summary>
    public static byte[] Encode(int opcode, ReadOnlySpan<byte> payload, bool fin = true, bool masked = true)
    {
        var frame = new List<byte>(payload.Length + 8) { (byte)((fin ? 0x80 : 0) | opcode) };
        byte maskBit = masked ? (byte)0x80 : (byte)0;
        if (payload.Length < 126) frame.Add((byte)(maskBit | payload.Length));
        else { frame.Add((byte)(maskBit | 126)); frame.Add((byte)(payload.Length >> 8)); frame.Add((byte)payload.Length); }
        var mask = RandomNumberGenerator.GetBytes(4);
        if (masked) frame.AddRange(mask);
        for (int i = 0; i < payload.Length; i++) frame.Add(masked ? (byte)(payload[i] ^ mask[i % 4]) : payload[i]);
        return frame.ToArray();
    }
}
