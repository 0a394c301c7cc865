namespace Vaani.Workers.Tests.Infrastructure;

/// <summary>Deterministic linear16 test audio.</summary>
internal static class TestAudio
{
    /// <summary><paramref name="seconds"/> of 16 kHz mono linear16 noise-like audio (a fixed LCG, so runs repeat).</summary>
    public static byte[] Linear16(double seconds, int seed = 1)
    {
        var bytes = new byte[(int)(seconds * 16000) * 2];
        var state = (uint)seed;
        for (var i = 0; i < bytes.Length; i += 2)
        {
            state = state * 1664525 + 1013904223;
            var sample = (short)((state >> 16) % 8000 - 4000);
            bytes[i] = (byte)sample;
            bytes[i + 1] = (byte)(sample >> 8);
        }
        return bytes;
    }

    /// <summary>Splits audio into chunks of <paramref name="size"/> bytes (the last may be shorter).</summary>
    public static IEnumerable<ReadOnlyMemory<byte>> Chunks(byte[] audio, int size)
    {
        for (var i = 0; i < audio.Length; i += size)
            yield return audio.AsMemory(i, Math.Min(size, audio.Length - i));
    }
}
