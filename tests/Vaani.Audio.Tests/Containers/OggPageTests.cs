using Vaani.Audio.Containers;

namespace Vaani.Audio.Tests.Containers;

public class OggPageTests
{
    [Fact]
    public void WritePacket_PacketsOfAllSizes_ReassembleIdentically()
    {
        // Sizes around lacing edges (0, 255, 510), a run that fills pages exactly, and one
        // packet far larger than a page (must continue across pages).
        int[] sizes = [1, 0, 255, 254, 256, 510, 70_000, .. Enumerable.Repeat(254, 300), 3, 100_000, 7];
        var random = new Random(5);
        var packets = sizes.Select(n => { var p = new byte[n]; random.NextBytes(p); return p; }).ToList();

        var stream = new MemoryStream();
        var writer = new OggPageWriter(stream, serial: 42);
        for (int i = 0; i < packets.Count; i++)
            writer.WritePacket(packets[i], granulePosition: i + 1);
        writer.Complete();

        stream.Position = 0;
        var reader = new OggPageReader(stream, long.MaxValue);
        var assembler = new OggPacketAssembler { MaxPacketBytes = 200_000 };
        var read = new List<byte[]>();
        var pages = new List<OggPage>();
        while (reader.ReadPage() is { } page)
        {
            int before = read.Count;
            assembler.Feed(page, read);
            pages.Add(page);
            // Granule = position of the last packet completed on the page, -1 if none completes.
            Assert.Equal(read.Count > before ? read.Count : -1, page.GranulePosition);
        }

        Assert.Equal(packets.Count, read.Count);
        for (int i = 0; i < packets.Count; i++)
            Assert.Equal(packets[i], read[i]);
        Assert.True(pages[0].IsBeginOfStream);
        Assert.True(pages[^1].IsEndOfStream);
        Assert.Contains(pages, p => p.IsContinued);
        Assert.Contains(pages, p => !p.IsContinued && p.Sequence > 0);
    }

    [Fact]
    public void ToBytes_OpusencPage_ReproducesStoredChecksum()
    {
        // Re-serialising a page written by opusenc (libogg) must give back the same bytes,
        // which pins the CRC variant (0x04c11db7, unreflected, zero init) to the reference.
        using var dir = new Tool.TempDir();
        Tool.Run("sox", ["-n", "-r", "16000", "-c", "1", "-b", "16", dir.File("s.wav"), "synth", "0.5", "sine", "440"]);
        Tool.Run("opusenc", ["--quiet", dir.File("s.wav"), dir.File("s.opus")]);
        byte[] file = File.ReadAllBytes(dir.File("s.opus"));
        var reader = new OggPageReader(new MemoryStream(file), long.MaxValue);
        long offset = 0;
        while (reader.ReadPage() is { } page)
        {
            byte[] bytes = page.ToBytes();
            Assert.Equal(file.AsSpan((int)offset, bytes.Length).ToArray(), bytes);
            offset = reader.Position;
        }
        Assert.Equal(file.Length, offset);
    }
}
