using System.Buffers.Binary;
using System.Text;

namespace Vaani.Audio.Containers;

/// <summary>The Ogg Opus comment header (RFC 7845 §5.2): vendor string, no user comments.</summary>
internal static class OpusTags
{
    public static ReadOnlySpan<byte> Magic => "OpusTags"u8;

    public static byte[] Create(string vendor)
    {
        byte[] vendorBytes = Encoding.UTF8.GetBytes(vendor);
        var bytes = new byte[8 + 4 + vendorBytes.Length + 4];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)vendorBytes.Length);
        vendorBytes.CopyTo(bytes, 12);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12 + vendorBytes.Length), 0); // comment count
        return bytes;
    }
}
